/**
 * A minimal ONNX model writer (protobuf wire format by hand), enough for a Conv + Relu graph:
 * ModelProto { ir_version, opset_import, graph { node, initializer, input, output } }.
 */

/** @param {number} value @returns {number[]} */
function varint(value) {
  const bytes = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return bytes;
}

/** @param {number} field @param {number} wire */
const key = (field, wire) => varint((field << 3) | wire);

/** @param {number} field @param {number} value */
const int = (field, value) => [...key(field, 0), ...varint(value)];

/** @param {number} field @param {Uint8Array | number[]} bytes */
const bytesField = (field, bytes) => [...key(field, 2), ...varint(bytes.length), ...bytes];

/** @param {number} field @param {string} text */
const str = (field, text) => bytesField(field, new TextEncoder().encode(text));

/** AttributeProto of type INTS (7). @param {string} name @param {number[]} values */
function intsAttribute(name, values) {
  return [...str(1, name), ...values.flatMap((v) => int(8, v)), ...int(20, 7)];
}

/** ValueInfoProto for a float tensor. @param {string} name @param {number[]} shape */
function valueInfo(name, shape) {
  const dims = shape.flatMap((d) => bytesField(1, int(1, d)));
  const tensorType = [...int(1, 1), ...bytesField(2, dims)];
  return [...str(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/**
 * An ONNX model computing relu(conv(x, w)) (NCHW), with w an initializer.
 * @param {{ inShape: number[], weights: Float32Array, weightShape: number[], pads: number[], strides: number[], outShape: number[] }} spec
 * @returns {Uint8Array}
 */
export function convReluModel({ inShape, weights, weightShape, pads, strides, outShape }) {
  const conv = [
    ...str(1, 'x'),
    ...str(1, 'w'),
    ...str(2, 'c'),
    ...str(3, 'conv'),
    ...str(4, 'Conv'),
    ...bytesField(5, intsAttribute('kernel_shape', weightShape.slice(2))),
    ...bytesField(5, intsAttribute('pads', pads)),
    ...bytesField(5, intsAttribute('strides', strides)),
  ];
  const relu = [...str(1, 'c'), ...str(2, 'y'), ...str(3, 'relu'), ...str(4, 'Relu')];
  const raw = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const initializer = [...weightShape.flatMap((d) => int(1, d)), ...int(2, 1), ...str(8, 'w'), ...bytesField(9, raw)];
  const graph = [
    ...bytesField(1, conv),
    ...bytesField(1, relu),
    ...str(2, 'conv_relu'),
    ...bytesField(5, initializer),
    ...bytesField(11, valueInfo('x', inShape)),
    ...bytesField(12, valueInfo('y', outShape)),
  ];
  const opset = [...str(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 8), ...bytesField(8, opset), ...bytesField(7, graph)]);
}

import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { f32, mnistShapedData, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { mul } from '../ops/arithmetic.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  Activation,
  Add,
  AveragePooling2D,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Cropping2D,
  type DataBatch,
  Dense,
  DepthwiseConv2D,
  Dropout,
  Flatten,
  type Functional,
  GaussianNoise,
  GlobalAveragePooling2D,
  Input,
  Layer,
  LeakyReLU,
  MaxPool2D,
  Multiply,
  model,
  Reshape,
  resetNames,
  SeparableConv2D,
  Sequential,
  type SymbolicTensor,
  ZeroPadding2D,
} from './index.js';
import { gather, range } from './model_common.js';

// predict on arrays computes batch by batch in the model's inference workspace (a pool of buffers
// the layers share as their outputs come and go, reused from batch to batch): tfjs-layers'
// numbers, the numbers the layers give outside it, outputs that are arrays of their own,
// activations that are not allocated anew for every batch, and buffers taken back only once no
// layer is left to read them.

beforeEach(() => resetNames());

/** The MNIST reference net: Conv2D 16 3 same relu, MaxPool2D, Conv2D 32 3 same relu, MaxPool2D, Flatten, Dense 10 softmax. */
function mnistNet(...more: Layer[]): Sequential {
  const net = new Sequential([
    new Conv2D({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    new MaxPool2D(),
    new Conv2D({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new MaxPool2D(),
    new Flatten(),
    new Dense({ units: 10, activation: 'softmax' }),
    ...more,
  ]);
  randomizeWeights(net, caseRng('predict workspace mnist', 0));
  return net;
}

/** tfjs-layers' predictions of the same model (saved and loaded there), one array per output. */
async function tfjsPredict(net: Sequential | Functional, x: Tensor | Tensor[], batchSize: number): Promise<Float32Array[]> {
  const { modelJson, weightData } = net.toArtifacts();
  const theirs = await tfjsLoad(modelJson, weightData);
  const out = theirs.predict(Array.isArray(x) ? x.map(tfOf) : tfOf(x), { batchSize }) as tf.Tensor | tf.Tensor[];
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
}

/** The layers applied in turn to each batch outside any workspace (fresh arrays, as predict computed before), joined. */
function layerByLayer(net: Sequential, x: Tensor, batchSize: number): number[] {
  const values: number[] = [];
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const batch = gather(x, range(start, Math.min(x.shape[0], start + batchSize)));
    values.push(...net.layers.reduce((t, layer) => layer.apply(t), batch).data);
  }
  return values;
}

/** The bytes `net` keeps between predict calls: its inference workspace's buffers (every layer computes in it). */
const heldBytes = (net: Sequential | Functional) => net.layers[0].workspace!.heldBytes;

/**
 * Two branches from a trunk, each through a nested Sequential (one model applied twice), merged,
 * and three outputs, one of which later layers take too. The trunk's output is read by the last
 * layers, through a view of it (Flatten); every buffer a branch holds must outlive the other
 * branch and both runs of the nested model.
 */
function branchingNet(): Functional {
  const input = Input({ shape: [6, 6, 2], name: 'image' });
  const trunk = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'trunk' }).apply(input);
  const flatTrunk = new Flatten({ name: 'flat_trunk' }).apply(trunk);
  const left = applyAll(
    [
      new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', name: 'left_conv' }),
      new BatchNormalization({ name: 'left_bn' }),
      new LeakyReLU({ alpha: 0.2, name: 'left' }),
    ],
    trunk,
  );
  const right = applyAll(
    [new DepthwiseConv2D({ kernelSize: 3, padding: 'same', name: 'right_dw' }), new Conv2D({ filters: 3, kernelSize: 1, name: 'right' })],
    trunk,
  );
  const encoder = new Sequential(
    [
      new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', inputShape: [6, 6, 3], name: 'enc_conv' }),
      new MaxPool2D({ name: 'enc_pool' }),
      new Flatten({ name: 'enc_flat' }),
    ],
    { name: 'encoder' },
  );
  const encoded = new Concatenate({ name: 'encoded' }).apply([encoder.apply(left), encoder.apply(right)]);
  const merged = new Concatenate({ name: 'merged' }).apply([left, trunk, right]);
  const head = new Dense({ units: 4, name: 'head' }).apply(new Flatten({ name: 'flat_merged' }).apply(merged));
  const side = new Dense({ units: 2, name: 'side' }).apply(new Concatenate({ name: 'joined' }).apply([flatTrunk, encoded]));
  const net = model({ inputs: input, outputs: [head, side, left] });
  randomizeWeights(net, caseRng('predict workspace branches', 11));
  return net;
}

/** Each output of `net`, computed batch by batch outside any workspace (layerOutputs' fresh arrays), joined. */
function outputsOutside(net: Functional, x: Tensor, batchSize: number): number[][] {
  const values = net.outputNames.map((): number[] => []);
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const entries = net.layerOutputs(gather(x, range(start, Math.min(x.shape[0], start + batchSize))));
    net.outputNames.forEach((name, k) => {
      values[k].push(...entries.find((e) => e.path === name)!.output.data);
    });
  }
  return values;
}

/** Whether `t`'s data is an array of its own: the whole of its buffer (not a view into a workspace or an input). */
const ownsItsData = (t: Tensor) => t.data.byteOffset === 0 && t.data.buffer.byteLength === t.data.byteLength;

/** A layer the workspace does not cover (a user's own): doubles its input with ops, which allocate their output. */
class Doubling extends Layer {
  constructor() {
    super('Doubling', 'doubling');
  }
  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    return mul(x, new Tensor(new Float32Array([2]), [], 'float32')) as Tensor<'float32'>;
  }
  backward(): undefined {
    return undefined;
  }
  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}

/** Passes its input on, noting the memory that array buffers hold (all of the process's) at every batch. */
class MemoryProbe extends Layer {
  readonly readings: number[] = [];
  constructor() {
    super('MemoryProbe', 'memory_probe');
  }
  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    this.readings.push(process.memoryUsage().arrayBuffers);
    return x;
  }
  backward(): undefined {
    return undefined;
  }
  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}

type ImageShape = [number, number, number];
const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'elu', 'softplus', 'relu6', 'swish'] as const;

/** TensorFlow's output length of a window `k` dilated by `d` at stride `s` over `n`. */
const windowOutput = (n: number, k: number, s: number, d: number, same: boolean) =>
  same ? Math.ceil(n / s) : Math.floor((n - (k - 1) * d - 1) / s) + 1;

/** A random image layer for inputs of `shape` and its output shape; `keepSize` asks for one that keeps height and width (a branch to merge). */
function randomImageLayer(rng: Rng, shape: ImageShape, keepSize: boolean): [Layer, ImageShape] {
  const [h, w, c] = shape;
  for (;;) {
    const kind = rng.int(0, 9);
    const [kh, kw] = [rng.int(1, 3), rng.int(1, 3)];
    const strides = keepSize ? 1 : rng.pick([1, 2]);
    // Conv2D and SeparableConv2D only: tfjs-layers' DepthwiseConv2D ignores dilationRate (see depthwise_conv2d.test.ts)
    const dilation = (kind === 0 || kind === 2) && strides === 1 && !keepSize && rng.bool(0.3) ? 2 : 1;
    const same = keepSize || rng.bool();
    const size: [number, number] = [windowOutput(h, kh, strides, dilation, same), windowOutput(w, kw, strides, dilation, same)];
    if (kind <= 3 && Math.min(...size) < 1) continue;
    const window = { kernelSize: [kh, kw] as [number, number], strides, padding: same ? ('same' as const) : ('valid' as const) };
    const activation = rng.pick(ACTIVATIONS);
    const filters = rng.int(1, 4);
    switch (kind) {
      case 0:
        return [new Conv2D({ filters, ...window, dilationRate: dilation, activation }), [...size, filters]];
      case 1:
        return [new DepthwiseConv2D({ ...window, depthMultiplier: 2, activation }), [...size, 2 * c]];
      case 2:
        return [new SeparableConv2D({ filters, ...window, dilationRate: dilation, activation }), [...size, filters]];
      case 3:
        return [new (rng.bool() ? MaxPool2D : AveragePooling2D)({ poolSize: [kh, kw], strides, padding: window.padding }), [...size, c]];
      case 4:
        return [new BatchNormalization(), shape];
      case 5:
        return [new Dropout(0.5), shape];
      case 6:
        return [rng.bool() ? new Activation(activation) : new LeakyReLU({ alpha: 0.2 }), shape];
      case 7:
        if (keepSize) continue;
        return [new ZeroPadding2D({ padding: [kh - 1, kw - 1] }), [h + 2 * kh - 2, w + 2 * kw - 2, c]];
      case 8:
        if (keepSize || Math.min(h, w) < 3) continue;
        return [new Cropping2D({ cropping: [1, 1] }), [h - 2, w - 2, c]];
      default:
        if (keepSize) continue;
        return [new Reshape({ targetShape: [w, h, c] }), [w, h, c]];
    }
  }
}

/** `count` random image layers from inputs of `shape`, and the shape they give. */
function randomImageLayers(rng: Rng, shape: ImageShape, count: number, keepSize = false): [Layer[], ImageShape] {
  const layers: Layer[] = [];
  for (let i = 0; i < count; i++) {
    const [layer, next] = randomImageLayer(rng, shape, keepSize);
    layers.push(layer);
    shape = next;
  }
  return [layers, shape];
}

/** Flatten or global pooling, maybe a hidden Dense, and a Dense of `units`. */
const randomHead = (rng: Rng, units: number): Layer[] => [
  rng.bool() ? new Flatten() : new GlobalAveragePooling2D(),
  ...(rng.bool() ? [new Dense({ units: rng.int(2, 6), activation: rng.pick(ACTIVATIONS) }), new LeakyReLU()] : []),
  new Dense({ units, activation: rng.pick(['linear', 'softmax', 'sigmoid'] as const) }),
];

const applyAll = (layers: Layer[], x: SymbolicTensor) => layers.reduce((t, layer) => layer.apply(t), x);

/**
 * Case `index`'s model and its inputs' shapes: a Sequential (`index` % 3 = 0); a Functional of
 * two branches merged by Add or Concatenate (1); or one of two inputs and two outputs that applies
 * a nested Sequential to both (2).
 */
function randomModel(rng: Rng, index: number): { net: Sequential | Functional; inputShapes: ImageShape[]; units: number[] } {
  const shape: ImageShape = [rng.int(4, 10), rng.int(4, 10), rng.int(1, 3)];
  const units = [rng.int(1, 4), rng.int(1, 3)];
  if (index % 3 === 0) {
    const [layers] = randomImageLayers(rng, shape, rng.int(1, 4));
    return {
      net: new Sequential([new Reshape({ targetShape: shape, inputShape: shape }), ...layers, ...randomHead(rng, units[0])]),
      inputShapes: [shape],
      units: [units[0]],
    };
  }
  if (index % 3 === 1) {
    const input = Input({ shape });
    const [trunkLayers, trunkShape] = randomImageLayers(rng, shape, rng.int(0, 2));
    const trunk = applyAll(trunkLayers, input);
    const [a, b] = [0, 1].map(() => {
      const [layers] = randomImageLayers(rng, trunkShape, rng.int(1, 3), true);
      return new Conv2D({ filters: trunkShape[2], kernelSize: 1 }).apply(applyAll(layers, trunk));
    });
    const merged = rng.bool() ? new Add().apply([a, b, trunk]) : new Concatenate().apply([a, trunk, b]);
    return { net: model({ inputs: input, outputs: applyAll(randomHead(rng, units[0]), merged) }), inputShapes: [shape], units: [units[0]] };
  }
  const [layers] = randomImageLayers(rng, shape, rng.int(1, 3));
  const encoder = new Sequential([new Reshape({ targetShape: shape, inputShape: shape }), ...layers, new GlobalAveragePooling2D()]);
  const [left, right] = [Input({ shape, name: 'left' }), Input({ shape, name: 'right' })];
  const joined = (rng.bool() ? new Add() : new Concatenate()).apply([encoder.apply(left), encoder.apply(right)]);
  const hidden = new Dense({ units: 4, activation: rng.pick(ACTIVATIONS) }).apply(joined);
  const outputs = [new Dense({ units: units[0], activation: 'softmax' }).apply(hidden), new Dense({ units: units[1] }).apply(joined)];
  return { net: model({ inputs: [left, right], outputs }), inputShapes: [shape, shape], units };
}

/** `xs` cut into batches of 1 to 4 examples, as a dataset of `{ x }` (one input) or `{ x: { left, right } }`. */
function batchesOf(rng: Rng, xs: Tensor[]): AsyncIterable<DataBatch> {
  const n = xs[0].shape[0];
  const batches: DataBatch[] = [];
  for (let start = 0; start < n; ) {
    const rows = range(start, Math.min(n, start + rng.int(1, 4)));
    const [left, right] = xs.map((x) => gather(x, rows));
    batches.push({ x: right ? { left, right } : left });
    start += rows.length;
  }
  return {
    async *[Symbol.asyncIterator]() {
      yield* batches;
    },
  };
}

forEachBackend(() => {
  describe('predict on arrays, in the workspace', () => {
    it("Sequential: tfjs-layers' numbers, and the layers' own outside the workspace, whether batches divide the data or hold it all", async () => {
      const net = mnistNet();
      const x = f32(caseRng('predict workspace x', 1), [45, 28, 28, 1], 0, 1);
      for (const batchSize of [8, 32, 45, 64]) {
        const predicted = net.predict(x, { batchSize });
        expect(predicted.shape).toEqual([45, 10]);
        expect(Array.from(predicted.data), `batchSize ${batchSize}`).toEqual(layerByLayer(net, x, batchSize));
        expectClose(predicted, (await tfjsPredict(net, x, batchSize))[0], 1e-5, `tfjs, batchSize ${batchSize}`);
      }
      // the default, 32: a batch of 32, then one of 13 in the same (larger) buffers
      expect(Array.from(net.predict(x).data)).toEqual(layerByLayer(net, x, 32));
    });

    it('gives outputs of their own: a later call, on other data or batch sizes, leaves an earlier result as it was', () => {
      // a linear last layer: its output is its workspace buffer (a softmax's is an array of its own)
      const net = new Sequential([
        new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
        new MaxPool2D(),
        new Flatten(),
        new Dense({ units: 10 }),
      ]);
      randomizeWeights(net, caseRng('predict workspace aliasing net', 2));
      const rng = caseRng('predict workspace aliasing', 2);
      const [a, b] = [f32(rng, [40, 28, 28, 1], 0, 1), f32(rng, [40, 28, 28, 1], 0, 1)];
      for (const batchSize of [16, 40]) {
        const first = net.predict(a, { batchSize });
        const kept = Array.from(first.data);
        const second = net.predict(b, { batchSize });
        net.predict(b, { batchSize: 7 });
        expect(Array.from(first.data), `batchSize ${batchSize}`).toEqual(kept);
        expect(Array.from(second.data)).not.toEqual(kept);
        expect(ownsItsData(first) && ownsItsData(second)).toBe(true);
        expect(first.data.buffer).not.toBe(second.data.buffer);
      }
    });

    it("an output that is the input at inference (Flatten, Dropout) is a copy, not a view of the caller's data", () => {
      const net = new Sequential([new Flatten({ inputShape: [2, 3] }), new Dropout(0.5)]);
      const x = f32(caseRng('predict workspace identity', 3), [5, 2, 3]);
      const expected = Array.from(x.data);
      for (const batchSize of [2, 8]) {
        const out = net.predict(x, { batchSize });
        expect(Array.from(out.data)).toEqual(expected);
        expect(ownsItsData(out)).toBe(true);
        out.data.fill(0);
        expect(Array.from(x.data)).toEqual(expected);
      }
    });

    it('BatchNormalization and Dropout in inference mode, and layers the workspace does not cover (Activation, Add, GaussianNoise, Reshape), as tfjs-layers', async () => {
      const input = Input({ shape: [9, 9, 2] });
      const conv = new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input);
      const normed = new BatchNormalization().apply(conv);
      const branch = new Activation('tanh').apply(new GaussianNoise(0.5).apply(normed));
      const joined = new Add().apply([normed, branch]);
      const flat = new Reshape({ targetShape: [7 * 7 * 4] }).apply(joined);
      const net = model({ inputs: input, outputs: new Dense({ units: 3 }).apply(new Dropout(0.5).apply(flat)) });
      randomizeWeights(net, caseRng('predict workspace uncovered', 4));
      const x = f32(caseRng('predict workspace uncovered x', 5), [11, 9, 9, 2]);
      for (const batchSize of [3, 11]) {
        const predicted = net.predict(x, { batchSize }) as Tensor;
        expectClose(predicted, (await tfjsPredict(net, x, batchSize))[0], 1e-5, `batchSize ${batchSize}`);
      }
    });

    it("a user's layer between covered ones computes with fresh arrays, and the result is the layers' own", () => {
      const net = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 3, inputShape: [6, 6, 1] }),
        new Doubling(),
        new MaxPool2D(),
        new Doubling(),
        new Flatten(),
        new Dense({ units: 2 }),
      ]);
      randomizeWeights(net, caseRng('predict workspace doubling', 6));
      const x = f32(caseRng('predict workspace doubling x', 7), [9, 6, 6, 1]);
      for (const batchSize of [2, 9]) {
        expect(Array.from(net.predict(x, { batchSize }).data), `batchSize ${batchSize}`).toEqual(layerByLayer(net, x, batchSize));
      }
    });

    it('a shared nested encoder (BatchNormalization, Dropout) in a model of two inputs and two outputs: outputs of their own, as tfjs-layers', async () => {
      const encoder = new Sequential(
        [
          new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [7, 7, 1], name: 'enc_conv' }),
          new BatchNormalization({ name: 'enc_bn' }),
          new Dropout({ rate: 0.5, name: 'enc_dropout' }),
          new GlobalAveragePooling2D({ name: 'enc_pool' }),
        ],
        { name: 'encoder' },
      );
      const [left, right] = [Input({ shape: [7, 7, 1], name: 'left' }), Input({ shape: [7, 7, 1], name: 'right' })];
      const [a, b] = [encoder.apply(left), encoder.apply(right)];
      const net = model({
        inputs: [left, right],
        outputs: [
          new Dense({ units: 2, activation: 'softmax', name: 'same' }).apply(new Concatenate().apply([a, b])),
          new Dense({ units: 1, name: 'closeness' }).apply(new Multiply().apply([a, b])),
        ],
      });
      randomizeWeights(net, caseRng('predict workspace siamese', 8));
      const rng = caseRng('predict workspace siamese x', 9);
      const xs = [f32(rng, [10, 7, 7, 1]), f32(rng, [10, 7, 7, 1])];
      for (const batchSize of [4, 10]) {
        const predicted = net.predict(xs, { batchSize }) as Tensor[];
        expect(predicted.map((t) => t.shape)).toEqual([
          [10, 2],
          [10, 1],
        ]);
        expect(predicted.every(ownsItsData)).toBe(true);
        const theirs = await tfjsPredict(net, xs, batchSize);
        predicted.forEach((t, k) => {
          expectClose(t, theirs[k], 1e-5, `output ${k}, batchSize ${batchSize}`);
        });
        const kept = predicted.map((t) => Array.from(t.data));
        net.predict({ left: f32(rng, [10, 7, 7, 1]), right: f32(rng, [10, 7, 7, 1]) }, { batchSize });
        expect(predicted.map((t) => Array.from(t.data))).toEqual(kept);
        // the encoder alone, in its own workspace, then the model in its: still tfjs' numbers
        expectClose(encoder.predict(xs[0]), (await tfjsPredict(encoder, xs[0], batchSize))[0], 1e-5, 'encoder alone');
        expectClose(net.predict(xs, { batchSize }) as Tensor[], theirs, 1e-5, `again, batchSize ${batchSize}`);
      }
    });

    it('predicting in a fit callback leaves training as it is (predict computes in buffers of its own)', async () => {
      const rng = caseRng('predict workspace fit', 10);
      const x = f32(rng, [24, 28, 28, 1], 0, 1);
      const y = new Tensor(
        Int32Array.from({ length: 24 }, (_, i) => i % 10),
        [24],
        'int32',
      );
      const [predicting, plain] = [mnistNet(), mnistNet()];
      for (const net of [predicting, plain])
        net.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      const seen: number[][] = [];
      const history = await predicting.fit(x, y, {
        epochs: 2,
        batchSize: 8,
        shuffle: false,
        validationSplit: 0.25,
        callbacks: {
          onBatchEnd: () => {
            seen.push(Array.from(predicting.predict(x, { batchSize: 5 }).data));
          },
        },
      });
      expect(history).toEqual(await plain.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, validationSplit: 0.25 }));
      expect(Array.from(predicting.predict(x).data)).toEqual(Array.from(plain.predict(x).data));
      // 18 training examples: 3 batches an epoch
      expect(seen).toHaveLength(6);
      expect(seen.at(-1)).toEqual(Array.from(plain.predict(x, { batchSize: 5 }).data));
    });
  });

  describe('random models, as tfjs-layers (a property check)', () => {
    it('Sequential and Functional models (branches, merges, a nested Sequential used twice): predict at several batch sizes, twice, on a dataset, and after fit', async () => {
      for (let index = 0; index < 12; index++) {
        resetNames();
        const rng = caseRng('predict workspace random models', index);
        const { net, inputShapes, units } = randomModel(rng, index);
        randomizeWeights(net, rng);
        const n = rng.int(2, 13);
        const xs = inputShapes.map((shape) => f32(rng, [n, ...shape]));
        const x = xs.length === 1 ? xs[0] : xs;
        const nonDivisor = Array.from({ length: n - 1 }, (_, i) => i + 2).find((d) => n % d !== 0) ?? n;
        const divisor = [2, 3, 1].find((d) => n % d === 0)!;
        const expectLikeTfjs = async (stage: string, batchSizes: number[]) => {
          const theirs = await tfjsPredict(net, x, n);
          for (const batchSize of batchSizes) {
            const context = `case ${index} (seed ${rng.seed}), ${stage}, batchSize ${batchSize}`;
            // twice: the second call in the workspace the first left, sized for the same or another batch
            for (const call of [1, 2]) expectClose((net as Functional).predict(x, { batchSize }), theirs, 1e-5, `${context}, call ${call}`);
          }
          expectClose(await (net as Functional).predict(batchesOf(rng, xs)), theirs, 1e-5, `case ${index}, ${stage}, dataset`);
        };
        await expectLikeTfjs('before fit', [1, divisor, nonDivisor, n + 5]);
        net.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'meanSquaredError' });
        const ys = units.map((u) => f32(rng, [n, u], 0, 1));
        await (net as Functional).fit(x, ys.length === 1 ? ys[0] : ys, { epochs: 1, batchSize: rng.int(1, n), verbose: 0 });
        await expectLikeTfjs('after fit', [n + 5, nonDivisor, 1]);
      }
    });
  });

  describe('buffers shared by liveness', () => {
    it('a Sequential chain keeps two activation buffers between calls, however many layers it has', async () => {
      const net = new Sequential([
        new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 4] }),
        new BatchNormalization(),
        new Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }),
        new LeakyReLU(),
        new DepthwiseConv2D({ kernelSize: 3, padding: 'same' }),
        new Conv2D({ filters: 4, kernelSize: 1 }),
      ]);
      randomizeWeights(net, caseRng('predict workspace chain', 12));
      const rng = caseRng('predict workspace chain x', 13);
      const x = f32(rng, [23, 8, 8, 4]);
      // every layer outputs [batch, 8, 8, 4]: one buffer per layer would be six of them
      const activationBytes = (batch: number) => batch * 8 * 8 * 4 * 4;
      for (const batchSize of [10, 4, 23]) {
        const predicted = net.predict(x, { batchSize });
        expect(Array.from(predicted.data), `batchSize ${batchSize}`).toEqual(layerByLayer(net, x, batchSize));
        // a smaller batch computes in the larger buffers; a larger one replaces them
        expect(heldBytes(net), `batchSize ${batchSize}`).toBe(2 * activationBytes(batchSize === 4 ? 10 : batchSize));
      }
      const fromDataset = await net.predict(batchesOf(rng, [x]));
      expect(Array.from(fromDataset.data)).toEqual(Array.from(net.predict(x, { batchSize: 4 }).data));
      expect(heldBytes(net)).toBe(2 * activationBytes(23));
    });

    it("branches, a nested model applied twice and a view of an early output: the layers' own numbers and tfjs-layers', in fewer buffers than layers", async () => {
      const net = branchingNet();
      const x = f32(caseRng('predict workspace branches x', 14), [9, 6, 6, 2]);
      const theirs = await tfjsPredict(net, x, 9);
      for (const batchSize of [1, 4, 9]) {
        const predicted = net.predict(x, { batchSize }) as Tensor[];
        expect(
          predicted.map((t) => Array.from(t.data)),
          `batchSize ${batchSize}`,
        ).toEqual(outputsOutside(net, x, batchSize));
        expectClose(predicted, theirs, 1e-5, `tfjs, batchSize ${batchSize}`);
      }
      expectClose(
        (await net.predict(batchesOf(caseRng('predict workspace branches batches', 15), [x]))) as Tensor[],
        theirs,
        1e-5,
        'dataset',
      );
      // every layer but Flatten (a view) and the nested model (its layers') computes into a buffer: one for each is what fit's workspace keeps
      const perLayer = net
        .layerOutputs(x, { expandNested: true })
        .filter((e) => !(e.layer instanceof Flatten) && !(e.layer instanceof Sequential))
        .reduce((sum, e) => sum + e.output.size * 4, 0);
      expect(heldBytes(net)).toBeLessThan(perLayer);
    });
  });

  describe('memory', () => {
    it('predict and evaluate hold as much for the 100th batch as for the 2nd: activations are not allocated anew for each', () => {
      const probe = new MemoryProbe();
      const net = mnistNet(probe);
      net.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const { x, y } = mnistShapedData(3200);
      // one batch's activations: 1.6 MB, 0.4 MB, 0.8 MB and 0.2 MB. Computed in fresh arrays, the
      // garbage of a hundred batches piled up to 20-30 MB before a collection; in the workspace,
      // what grows is the kernels' scratch (the js backend's: about 12 kB a batch) and the softmax
      const oneBatch = 32 * (28 * 28 * 16 + 14 * 14 * 16 + 14 * 14 * 32 + 7 * 7 * 32) * 4;
      for (const run of [() => net.predict(x, { batchSize: 32 }), () => net.evaluate(x, y, { batchSize: 32 })]) {
        probe.readings.length = 0;
        run();
        expect(probe.readings).toHaveLength(100);
        const [, second, ...rest] = probe.readings;
        expect(Math.max(...rest) - second).toBeLessThan(oneBatch);
      }
    });
  });
});

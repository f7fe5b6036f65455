import { describe, expect, it } from 'vitest';
import { expectTensor } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { backend } from '../backend/index.js';
import { Tensor } from '../tensor/tensor.js';
import { type ExtractionBuffers, extractFeature, extractFeatureInto } from './extraction.js';

/** Buffers as the CLI's workers keep them: one resident array per stage, grown when too small. */
function keptBuffers(): ExtractionBuffers & { arrays: Map<string, Float32Array> } {
  const arrays = new Map<string, Float32Array>();
  return {
    arrays,
    take(stage, length) {
      let array = arrays.get(stage);
      if (!array || array.length < length) {
        array = backend().residentBuffer(length);
        arrays.set(stage, array);
      }
      return array.subarray(0, length);
    },
  };
}

function randomImage(seed: number, h: number, w: number, c: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: h * w * c }, () => rng.next()),
    [1, h, w, c],
    'float32',
  );
}

const edge = [
  [-1, -1, -1],
  [-1, 8, -1],
  [-1, -1, -1],
];

describe('extractFeatureInto', () => {
  it("gives tf.conv2d → relu → maxPool's maps, in the buffers' arrays, image after image", () => {
    const buffers = keptBuffers();
    // a large image, then smaller ones that reuse its arrays, gray and RGB
    for (const [seed, h, w, c] of [
      [1, 160, 200, 1],
      [2, 90, 70, 1],
      [3, 64, 48, 3],
    ]) {
      const image = randomImage(seed, h, w, c);
      const options = { convPadding: 'same' as const, poolSize: 3, poolStride: 2 };
      const r = extractFeatureInto(image, edge, options, buffers);
      const filters = tf.tile(tf.tensor(edge.flat(), [3, 3, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
      const x = tf.tensor4d(Array.from(image.data), [1, h, w, c]);
      const filter = tf.conv2d(x, filters, 1, 'same');
      const detect = tf.relu(filter);
      const condense = tf.maxPool(detect as tf.Tensor4D, 3, 2, 'same');
      expectTensor(r.filter, filter.shape, filter.dataSync(), 1e-5, `filter ${seed}`);
      expectTensor(r.detect, detect.shape, detect.dataSync(), 1e-5, `detect ${seed}`);
      expectTensor(r.condense!, condense.shape, condense.dataSync(), 1e-5, `condense ${seed}`);
      // bit for bit the maps extractFeature makes in new arrays
      const fresh = extractFeature(image, edge, options);
      expect(r.filter.data).toEqual(fresh.filter.data);
      expect(r.detect.data).toEqual(fresh.detect.data);
      expect(r.condense!.data).toEqual(fresh.condense!.data);
      expect(r.detect.data.buffer).toBe(buffers.arrays.get('detect')!.buffer);
    }
  });

  it("reports a step's error as extractFeature does", () => {
    const tiny = randomImage(4, 2, 2, 1);
    const message =
      'extractFeature: filter step (convStride 1, convPadding "valid"): conv2d: window height 3 is larger than the input height 2 under VALID padding';
    expectConvlensError(() => extractFeature(tiny, edge), message);
    expectConvlensError(() => extractFeatureInto(tiny, edge, {}, keptBuffers()), message);
  });
});

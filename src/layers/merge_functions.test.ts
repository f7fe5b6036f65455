import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { add, average, Conv2D, concatenate, Input, maximum, minimum, model, multiply, resetNames, subtract } from './index.js';

// Keras' functional merges (`x = layers.add([x, residual])` in its image classification tutorial).

beforeEach(() => resetNames());

const batch = (values: number[]) => new Tensor(Float32Array.from(values), [1, values.length], 'float32');

describe("Keras' merge functions", () => {
  it('on batches compute the merge of the list', () => {
    const [a, b] = [batch([1, -2, 3]), batch([4, 5, -6])];
    expect(Array.from(add([a, b]).data)).toEqual([5, 3, -3]);
    expect(Array.from(subtract([a, b]).data)).toEqual([-3, -7, 9]);
    expect(Array.from(multiply([a, b]).data)).toEqual([4, -10, -18]);
    expect(Array.from(average([a, b]).data)).toEqual([2.5, 1.5, -1.5]);
    expect(Array.from(maximum([a, b]).data)).toEqual([4, 5, 3]);
    expect(Array.from(minimum([a, b]).data)).toEqual([1, -2, -6]);
    expect(concatenate([a, b]).shape).toEqual([1, 6]);
    expect(concatenate([a, b], { axis: 1 }).data).toEqual(Float32Array.from([1, -2, 3, 4, 5, -6]));
  });

  it("on symbolic tensors build the residual block tfjs-layers' add layer builds", () => {
    const rng = caseRng('merge functions residual', 0);
    const image = Input({ shape: [6, 6, 2] });
    const residual = add([new Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(image), image]);
    const ours = model({ inputs: image, outputs: residual });
    randomizeWeights(ours, rng);
    const tImage = tfl.input({ shape: [6, 6, 2] });
    const tConv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(tImage) as tfl.SymbolicTensor;
    const theirs = tfl.model({ inputs: tImage, outputs: tfl.layers.add().apply([tConv, tImage]) as tfl.SymbolicTensor });
    theirs.setWeights(ours.getWeights().map(tfOf));
    expect(ours.layers.map((l) => l.className)).toEqual(['Conv2D', 'Add']);
    const x = f32(rng, [2, 6, 6, 2]);
    expectClose((ours.predict(x) as Tensor).data, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5);
  });

  it('take a list, as in Keras, and the layer options after it', () => {
    const x = Input({ shape: [3] });
    expect(add([x, x], { name: 'sum' }).name).toBe('sum');
    expectConvlensError(
      () => add(x as never),
      'layers.add: expects a list of the tensors to merge, e.g. add([x, residual]), got a SymbolicTensor',
    );
  });
});

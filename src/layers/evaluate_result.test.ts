import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { Dense, Input, model, resetNames, Sequential } from './index.js';

// Keras' evaluate returns [loss, metric, ...] (`score = model.evaluate(x_test, y_test);
// score[1]`), as tfjs-layers' does (a list of scalars); convlens' returns the named scores, which
// also read by position, in the order tfjs (and Keras) list them.

beforeEach(() => resetNames());

const numbers = (scores: tf.Scalar | tf.Scalar[]) => (Array.isArray(scores) ? scores : [scores]).map((s) => s.dataSync()[0]);

describe("evaluate's scores by position, as Keras' and tfjs' lists", () => {
  it("[loss, ...metrics] of a Sequential model are tfjs-layers' evaluate", () => {
    const rng = caseRng('evaluate positions', 0);
    const ours = new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    randomizeWeights(ours, rng);
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    theirs.setWeights(ours.getWeights().map(tfOf));
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
    theirs.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
    const x = f32(rng, [8, 4]);
    const y = new Tensor(
      Float32Array.from({ length: 24 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
      [8, 3],
      'float32',
    );
    const score = ours.evaluate(x, y);
    const expected = numbers(theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[]);
    expectClose([score[0], score[1], score[2]], expected, 1e-5);
    expect(score.length).toBe(3);
    const [loss, accuracy, mse] = score;
    expect([loss, accuracy, mse]).toEqual([score.loss, score.accuracy, score.mse]);
    // still the object of named scores: keys, printing and equality as before
    expect(Object.keys(score)).toEqual(['loss', 'accuracy', 'mse']);
    expect(JSON.parse(JSON.stringify(score))).toEqual({ loss, accuracy, mse });
    expect(score).toEqual({ loss, accuracy, mse });
  });

  it('a model compiled without metrics: the loss alone by position (evaluate still names its accuracy)', () => {
    const net = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    net.compile({ optimizer: 'sgd', loss: 'mse' });
    const score = net.evaluate(
      new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2], 'float32'),
      new Tensor(Float32Array.from([0, 1]), [2, 1], 'float32'),
    );
    expect([...score]).toEqual([score.loss]);
    expect(score.accuracy).toBeTypeOf('number');
  });

  it('a model of two outputs: [loss, each output loss, each metric], as tfjs-layers lists them', () => {
    const rng = caseRng('evaluate positions two outputs', 0);
    const x = Input({ shape: [3], name: 'x' });
    const ours = model({
      inputs: x,
      outputs: [new Dense({ units: 2, activation: 'softmax', name: 'a' }).apply(x), new Dense({ units: 1, name: 'b' }).apply(x)],
    });
    randomizeWeights(ours, rng);
    const tx = tfl.input({ shape: [3], name: 'x' });
    const theirs = tfl.model({
      inputs: tx,
      outputs: [
        tfl.layers.dense({ units: 2, activation: 'softmax', name: 'a' }).apply(tx) as tfl.SymbolicTensor,
        tfl.layers.dense({ units: 1, name: 'b' }).apply(tx) as tfl.SymbolicTensor,
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'], metrics: { a: ['accuracy'] } });
    theirs.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: { a: 'accuracy' } });
    const inputs = f32(rng, [6, 3]);
    const labels = new Tensor(Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]), [6, 2], 'float32');
    const targets = f32(rng, [6, 1]);
    const score = ours.evaluate(inputs, [labels, targets]);
    // tfjs-layers 4's evaluate puts an extra first score before the list its metricsNames names
    // (loss, a_loss, b_loss, a_acc), Keras' metrics_names order
    const all = numbers(theirs.evaluate(tfOf(inputs), [tfOf(labels), tfOf(targets)]) as tf.Scalar[]);
    const expected = all.slice(all.length - theirs.metricsNames.length);
    expect(theirs.metricsNames).toEqual(['loss', 'a_loss', 'b_loss', 'a_acc']);
    expect(Object.keys(score)).toEqual(['loss', 'a_loss', 'b_loss', 'a_accuracy']);
    expect(score.length).toBe(4);
    expectClose([...score], expected, 1e-5);
  });
});

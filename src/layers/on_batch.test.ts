import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Dense, type Functional, Input, model, resetNames, Sequential } from './index.js';

// trainOnBatch, predictOnBatch and Sequential's pop against tfjs-layers' (same weights, same SGD steps).

beforeEach(() => resetNames());

const rng = caseRng('on batch', 0);
const x = f32(rng, [6, 4]);
const labels = (n: number, classes: number, shift: number) =>
  new Tensor(
    Float32Array.from({ length: n * classes }, (_, i) => (i % classes === (Math.floor(i / classes) + shift) % classes ? 1 : 0)),
    [n, classes],
    'float32',
  );
const y = labels(6, 3, 0);

function sequential(): Sequential {
  const net = new Sequential([
    new Dense({ units: 5, activation: 'relu', inputShape: [4] }),
    new Dense({ units: 4, activation: 'tanh' }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  for (const [i, layer] of net.layers.entries()) randomizeWeights(layer, caseRng('on batch weights', i));
  return net;
}

const expectSameWeights = (ours: Sequential | Functional, theirs: tf.Tensor[]) => {
  for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirs[i].dataSync(), 1e-5, ours.weights[i].name);
};

describe('trainOnBatch', () => {
  it("steps once on the whole batch, in order, as tfjs-layers' trainOnBatch: [loss, accuracy] before each step, then the same weights", async () => {
    const ours = sequential();
    const { modelJson, weightData } = ours.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    ours.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    theirs.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    for (let step = 0; step < 3; step++) {
      expectClose(
        (await ours.trainOnBatch(x, y)) as number[],
        (await theirs.trainOnBatch(tfOf(x), tfOf(y))) as number[],
        1e-5,
        `step ${step}`,
      );
      expectSameWeights(ours, theirs.getWeights());
    }
  });

  it('without metrics, the loss alone, a number, as tfjs gives it; a functional model of two outputs lists each loss as tfjs does', async () => {
    const input = Input({ shape: [4] });
    const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
    const net = model({
      inputs: input,
      outputs: [
        new Dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(hidden),
        new Dense({ units: 1, name: 'reg' }).apply(hidden),
      ],
    });
    for (const [i, layer] of net.layers.entries()) randomizeWeights(layer, caseRng('on batch functional', i));
    const { modelJson, weightData } = net.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    const loss = ['categoricalCrossentropy', 'meanSquaredError'];
    net.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss });
    const targets = [y, f32(rng, [6, 1])];
    for (let step = 0; step < 2; step++) {
      const expected = (await theirs.trainOnBatch(tfOf(x), targets.map(tfOf))) as number[];
      expectClose((await net.trainOnBatch(x, targets)) as number[], expected, 1e-5, `step ${step}`);
    }
    expectSameWeights(net, theirs.getWeights());

    const plain = sequential();
    plain.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expect(typeof (await plain.trainOnBatch(x, y))).toBe('number');
  });

  it("with useEma, the weights are the step's, not their averages (fit's end sets the averages; Keras' train_on_batch does not)", async () => {
    const compiled = (useEma: boolean) => {
      const net = sequential();
      net.compile({ optimizer: new SGD({ learningRate: 0.2, useEma, emaMomentum: 0.5 }), loss: 'categoricalCrossentropy' });
      return net;
    };
    const weights = (net: Sequential) => net.getWeights().map((w) => Array.from(w.data));
    const half = (t: Tensor, i: number) =>
      new Tensor(Float32Array.from(t.data).slice((i * t.size) / 2, ((i + 1) * t.size) / 2), [3, t.shape[1]], 'float32');
    const [averaged, plain] = [compiled(true), compiled(false)];
    for (const net of [averaged, plain]) for (const i of [0, 1]) await net.trainOnBatch(half(x, i), half(y, i));
    expect(weights(averaged)).toEqual(weights(plain));
    // the same two steps in one fit: at its end, the weights become their average over the steps (Keras' momentum 0 at the first)
    const [fitAveraged, fitPlain] = [compiled(true), compiled(false)];
    await fitAveraged.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false });
    await fitPlain.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false });
    expect(weights(fitPlain)).toEqual(weights(plain));
    expect(weights(fitAveraged)).not.toEqual(weights(plain));
  });

  it('names itself in errors, and refuses fit-only options', async () => {
    const net = sequential();
    await expectConvlensRejection(net.trainOnBatch(x, y), /^trainOnBatch: compile the model first/);
    net.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await expectConvlensRejection(net.trainOnBatch(x, y, { epochs: 2 } as never), /^trainOnBatch: unknown option 'epochs'/);
    await expectConvlensRejection(net.trainOnBatch(x, labels(5, 3, 0)), /^trainOnBatch: /);
  });
});

describe('predictOnBatch', () => {
  it("is predict on the whole batch at once, as tfjs-layers' predictOnBatch", async () => {
    const ours = sequential();
    const { modelJson, weightData } = ours.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    const big = f32(rng, [70, 4]);
    expectClose(ours.predictOnBatch(big), (theirs.predictOnBatch(tfOf(big)) as tf.Tensor).dataSync(), 1e-6);
  });
});

describe('Sequential.pop', () => {
  it("removes the last layer, as tfjs-layers' pop: the model predicts what the layer before gave", async () => {
    const ours = sequential();
    const { modelJson, weightData } = ours.toArtifacts();
    const theirs = (await tfjsLoad(modelJson, weightData)) as unknown as { pop(): void; predict(x: tf.Tensor): tf.Tensor };
    const last = ours.layers[2];
    expect(ours.pop()).toBe(last);
    theirs.pop();
    expect(ours.layers).toHaveLength(2);
    expect(ours.outputShape).toEqual([4]);
    expectClose(ours.predict(x), theirs.predict(tfOf(x)).dataSync(), 1e-6);
    ours.add(new Dense({ units: 2 }));
    expect(ours.predict(x).shape).toEqual([6, 2]);
    const empty = new Sequential([], { name: 'empty' });
    expectConvlensError(() => empty.pop(), "Sequential 'empty': pop needs a layer to remove, and the model has none");
  });
});

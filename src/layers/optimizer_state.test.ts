import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectClose, maxDiff } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { Adadelta } from '../train/adadelta.js';
import { Adagrad } from '../train/adagrad.js';
import { Adamax } from '../train/adamax.js';
import type { Optimizer } from '../train/optimizer.js';
import { Adam, AdamW, RMSprop, SGD } from '../train/optimizers.js';
import { ExponentialDecay } from '../train/schedules.js';
import type { ModelArtifacts, ModelJson, WeightSpec } from './artifacts.js';
import {
  Dense,
  type Functional,
  fromArtifacts,
  functionalFromArtifacts,
  Input,
  loadFunctional,
  loadModel,
  model,
  resetNames,
  Sequential,
} from './index.js';

// model.save(path, { includeOptimizer: true }) and toArtifacts({ includeOptimizer: true }) write the
// optimizer's state as tfjs-layers does (group 'optimizer': the int32 step count 'iter', then each
// slot of each trainable weight); loading restores it into the optimizer compiled from the saved settings.

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convlens-optimizer-state-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => resetNames());

const LOSS = 'categoricalCrossentropy';
const FIT = { batchSize: 3, shuffle: false } as const;

/** Two Dense layers, 4 → 5 → 3. */
const sequential = () =>
  new Sequential([new Dense({ units: 5, activation: 'tanh', inputShape: [4] }), new Dense({ units: 3, activation: 'softmax' })]);
const tfjsSequential = (seed: string) =>
  seeded(
    tfl.sequential({
      layers: [tfl.layers.dense({ units: 5, activation: 'tanh', inputShape: [4] }), tfl.layers.dense({ units: 3, activation: 'softmax' })],
    }),
    seed,
  );

/** `model` with weights drawn from a seeded generator, so that a failure can be replayed. */
function seeded(model: tfl.LayersModel, seed: string): tfl.LayersModel {
  const rng = caseRng(seed, 1);
  model.setWeights(model.getWeights().map((w) => tfOf(f32(rng, w.shape))));
  return model;
}
const functional = () => {
  const input = Input({ shape: [4] });
  const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
  return model({ inputs: input, outputs: new Dense({ units: 3, activation: 'softmax' }).apply(hidden) });
};

/** 9 examples of 4 features and one-hot labels of 3 classes. */
const data = (seed: string) => {
  const rng = caseRng(seed, 0);
  const labels = rng.ints(9, 0, 2);
  const y = Float32Array.from({ length: 27 }, (_, i) => (labels[Math.floor(i / 3)] === i % 3 ? 1 : 0));
  return { x: f32(rng, [9, 4]), y: new Tensor(y, [9, 3], 'float32') };
};

const copy = (artifacts: ModelArtifacts): ModelArtifacts => ({
  modelJson: JSON.parse(JSON.stringify(artifacts.modelJson)),
  weightData: artifacts.weightData.slice(0),
});
const load = (artifacts: ModelArtifacts, functionalModel: boolean) =>
  functionalModel ? functionalFromArtifacts(copy(artifacts)) : fromArtifacts(copy(artifacts));
const optimizerSpecs = (modelJson: ModelJson) => modelJson.weightsManifest.flatMap((g) => g.weights).filter((w) => w.group === 'optimizer');

/** Every optimizer whose state tfjs' format holds, with settings that make the state matter. */
const OPTIMIZERS: [string, () => Optimizer][] = [
  ['Adam', () => new Adam({ learningRate: 0.05 })],
  ['AdamW', () => new AdamW({ learningRate: 0.05, weightDecay: 0.1 })],
  ['SGD', () => new SGD({ learningRate: 0.3 })],
  ['SGD momentum', () => new SGD({ learningRate: 0.2, momentum: 0.9 })],
  ['SGD nesterov', () => new SGD({ learningRate: 0.2, momentum: 0.8, nesterov: true })],
  // the velocity is saved as tfjs' accumulator at the learning rate of the next step, and read back at the same
  [
    'SGD momentum schedule',
    () => new SGD({ learningRate: new ExponentialDecay({ initialLearningRate: 0.3, decaySteps: 2, decayRate: 0.7 }), momentum: 0.9 }),
  ],
  ['RMSprop', () => new RMSprop({ learningRate: 0.02 })],
  ['RMSprop momentum centered', () => new RMSprop({ learningRate: 0.01, momentum: 0.7, centered: true })],
  ['Adagrad', () => new Adagrad({ learningRate: 0.2, initialAccumulatorValue: 0.3 })],
  ['Adadelta', () => new Adadelta({ learningRate: 1, rho: 0.9 })],
  ['Adadelta tfjsUpdate', () => new Adadelta({ learningRate: 1, rho: 0.9, tfjsUpdate: true })],
];

describe('convlens: fit, save with includeOptimizer, load, fit on = fit straight through', () => {
  for (const functionalModel of [false, true]) {
    it(`${functionalModel ? 'a functional model' : 'a Sequential'}, every optimizer whose state tfjs can save`, async () => {
      for (const [name, make] of OPTIMIZERS) {
        const start = (functionalModel ? functional() : sequential()).toArtifacts();
        const { x, y } = data(name);
        const straight = load(start, functionalModel);
        straight.compile({ optimizer: make(), loss: LOSS });
        await straight.fit(x, y, { ...FIT, epochs: 4 });

        const first = load(start, functionalModel);
        first.compile({ optimizer: make(), loss: LOSS });
        await first.fit(x, y, { ...FIT, epochs: 2 });
        const saved = first.toArtifacts({ includeOptimizer: true });
        expect(optimizerSpecs(saved.modelJson)[0], name).toEqual({ name: 'iter', shape: [], dtype: 'int32', group: 'optimizer' });
        const resumed = load(saved, functionalModel);
        await resumed.fit(x, y, { ...FIT, epochs: 2 });
        const expected = straight.getWeights();
        for (const [i, w] of resumed.getWeights().entries()) expectClose(w, expected[i], 1e-5, `${name} weight ${i}`);

        // without the state the run differs (SGD without momentum has none but its step count; tfjs'
        // Adadelta keeps its two means equal from zero, so that it steps by η·g whatever they are)
        if (name !== 'SGD' && name !== 'Adadelta tfjsUpdate') {
          const fresh = load(first.toArtifacts(), functionalModel);
          await fresh.fit(x, y, { ...FIT, epochs: 2 });
          const apart = Math.max(...fresh.getWeights().map((w, i) => maxDiff(w.data, expected[i].data)));
          expect(apart, name).toBeGreaterThan(1e-4);
        }
      }
    });
  }

  it('a functional model of two outputs, with RMSprop: fit 2, save, load, fit 2 = fit 4', async () => {
    const twoHeads = () => {
      const input = Input({ shape: [4] });
      const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
      const cls = new Dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(hidden);
      return model({ inputs: input, outputs: [cls, new Dense({ units: 2, name: 'reg' }).apply(hidden)] });
    };
    const start = twoHeads().toArtifacts();
    const { x, y } = data('two outputs');
    const ys = [y, f32(caseRng('two outputs', 2), [9, 2])];
    const compile = (m: Functional) =>
      m.compile({ optimizer: new RMSprop({ learningRate: 0.02, momentum: 0.5 }), loss: [LOSS, 'meanSquaredError'] });
    const straight = functionalFromArtifacts(copy(start));
    compile(straight);
    await straight.fit(x, ys, { ...FIT, epochs: 4 });
    const first = functionalFromArtifacts(copy(start));
    compile(first);
    await first.fit(x, ys, { ...FIT, epochs: 2 });
    const resumed = functionalFromArtifacts(copy(first.toArtifacts({ includeOptimizer: true })));
    await resumed.fit(x, ys, { ...FIT, epochs: 2 });
    const expected = straight.getWeights();
    for (const [i, w] of resumed.getWeights().entries()) expectClose(w, expected[i], 1e-5, `weight ${i}`);
  });

  it('through files: save(path, { includeOptimizer: true }), then loadModel and loadFunctional', async () => {
    for (const functionalModel of [false, true]) {
      const start = (functionalModel ? functional() : sequential()).toArtifacts();
      const { x, y } = data(`files ${functionalModel}`);
      const straight = load(start, functionalModel);
      straight.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: LOSS });
      await straight.fit(x, y, { ...FIT, epochs: 3 });
      const first = load(start, functionalModel);
      first.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: LOSS });
      await first.fit(x, y, { ...FIT, epochs: 1 });
      const dir = join(root, functionalModel ? 'functional' : 'sequential');
      await first.save(dir, { includeOptimizer: true });
      const resumed = functionalModel ? await loadFunctional(dir) : await loadModel(dir);
      await resumed.fit(x, y, { ...FIT, epochs: 2 });
      const expected = straight.getWeights();
      for (const [i, w] of resumed.getWeights().entries()) expectClose(w, expected[i], 1e-5, `weight ${i}`);
    }
  });
});

/**
 * tfjs' optimizers that can save their state, and ours that train alike: Adam with a tiny ε, which
 * tfjs adds to √v̂ and we, as Keras, to √v (the drift docs/layers.md tells of); but tfjs' centered
 * RMSProp, which subtracts ε under its square root (√(s − ḡ² − ε), ours and Keras' √(s − ḡ² + ε)):
 * its state is compared, not its training.
 */
const TFJS_OPTIMIZERS: [string, () => tf.Optimizer, () => Optimizer, boolean?][] = [
  ['adam', () => tf.train.adam(0.05, 0.9, 0.999, 1e-10), () => new Adam({ learningRate: 0.05, epsilon: 1e-10 })],
  ['sgd', () => tf.train.sgd(0.3), () => new SGD({ learningRate: 0.3 })],
  ['momentum', () => tf.train.momentum(0.2, 0.9), () => new SGD({ learningRate: 0.2, momentum: 0.9 })],
  ['nesterov', () => tf.train.momentum(0.2, 0.8, true), () => new SGD({ learningRate: 0.2, momentum: 0.8, nesterov: true })],
  ['rmsprop', () => tf.train.rmsprop(0.02, 0.9, 0, 1e-7), () => new RMSprop({ learningRate: 0.02 })],
  ['rmsprop momentum', () => tf.train.rmsprop(0.01, 0.9, 0.7, 1e-7), () => new RMSprop({ learningRate: 0.01, momentum: 0.7 })],
  [
    'rmsprop momentum centered',
    () => tf.train.rmsprop(0.01, 0.9, 0.7, 1e-7, true),
    () => new RMSprop({ learningRate: 0.01, momentum: 0.7, centered: true }),
    false,
  ],
  ['adagrad', () => tf.train.adagrad(0.2, 0.3), () => new Adagrad({ learningRate: 0.2, initialAccumulatorValue: 0.3 })],
  ['adadelta', () => tf.train.adadelta(1, 0.9, 1e-7), () => new Adadelta({ learningRate: 1, rho: 0.9, tfjsUpdate: true })],
];

/** Our weights match tfjs' (the same order for these models). */
function expectSameWeights(ours: Sequential | Functional, theirs: tfl.LayersModel, rtol: number, what: string): void {
  const expected = theirs.getWeights();
  expect(expected.length).toBe(ours.weights.length);
  for (const [i, w] of ours.getWeights().entries()) expectClose(w, expected[i].dataSync(), rtol, `${what} weight ${i}`);
}

describe('against tfjs-layers', () => {
  it('tfjs-layers fits and saves with includeOptimizer; convlens loads it and fits on as tfjs-layers does', async () => {
    for (const [name, makeTheirs, , alike = true] of TFJS_OPTIMIZERS) {
      if (!alike) continue;
      const theirs = tfjsSequential(name);
      theirs.compile({ optimizer: makeTheirs(), loss: LOSS });
      const { x, y } = data(name);
      await theirs.fit(tfOf(x), tfOf(y), { ...FIT, epochs: 2, verbose: 0 });
      const saved = await tfjsSaved(theirs, { includeOptimizer: true });
      const ours = fromArtifacts(saved.modelJson, saved.weightData);
      expect(ours.optimizer, name).toBeDefined();
      const withoutState = fromArtifacts(saved.modelJson, saved.weightData);
      withoutState.compile({ optimizer: makeOurs(name), loss: LOSS }); // a fresh optimizer

      await theirs.fit(tfOf(x), tfOf(y), { ...FIT, epochs: 1, verbose: 0 });
      await ours.fit(x, y, { ...FIT, epochs: 1 });
      expectSameWeights(ours, theirs, 1e-5, name);
      // the state is what made them agree (tfjs' SGD has none but its step count; its Adadelta, which
      // divides by the mean squared gradient before this step's, keeps both means equal and so steps by η·g)
      if (name !== 'sgd' && name !== 'adadelta') {
        await withoutState.fit(x, y, { ...FIT, epochs: 1 });
        const expected = theirs.getWeights();
        const apart = Math.max(...withoutState.getWeights().map((w, i) => maxDiff(w.data, expected[i].dataSync())));
        expect(apart, name).toBeGreaterThan(1e-4);
      }
    }
  });

  it('convlens fits and saves with includeOptimizer; tfjs-layers loads it and fits on as convlens does, with the state tfjs itself writes', async () => {
    for (const [name, makeTheirs, makeOurs, alike = true] of TFJS_OPTIMIZERS) {
      const ours = sequential();
      ours.compile({ optimizer: makeOurs(), loss: LOSS });
      const { x, y } = data(name);
      await ours.fit(x, y, { ...FIT, epochs: 2 });
      const { modelJson, weightData } = ours.toArtifacts({ includeOptimizer: true });
      const theirs = await tfjsLoad(modelJson, weightData);
      expect(theirs.optimizer.getClassName(), name).toBe(makeTheirs().getClassName());

      // tfjs saves back the state it read: the same entries (its weight names aside) and values
      const again = await tfjsSaved(theirs, { includeOptimizer: true });
      const theirSpecs = (again.modelJson.weightsManifest as { weights: WeightSpec[] }[])[0].weights;
      const ourSpecs = modelJson.weightsManifest[0].weights;
      const shapeOf = (specs: WeightSpec[]) =>
        specs.map(({ name: n, shape, dtype, group }) => ({ slot: n.split('/').slice(1), shape, dtype, group }));
      expect(shapeOf(theirSpecs), name).toEqual(shapeOf(ourSpecs));
      const modelBytes = ours.weights.reduce((n, w) => n + w.value.length * 4, 0);
      const ourState = new Uint8Array(weightData, modelBytes);
      const theirState = new Uint8Array(again.weightData, modelBytes);
      expect(theirState.length).toBe(ourState.length);
      expectClose(new Float32Array(theirState.slice(4).buffer), new Float32Array(ourState.slice(4).buffer), 1e-6, `${name} state`);
      expect(new Int32Array(theirState.slice(0, 4).buffer)[0], `${name} iter`).toBe(6);

      if (!alike) continue;
      await ours.fit(x, y, { ...FIT, epochs: 1 });
      await theirs.fit(tfOf(x), tfOf(y), { ...FIT, epochs: 1, verbose: 0 });
      expectSameWeights(ours, theirs, 1e-5, name);
    }
  });

  it('a functional model both ways: tfjs-layers → convlens → tfjs-layers, an epoch each, as tfjs-layers fits straight', async () => {
    const input = tfl.input({ shape: [4] });
    const hidden = tfl.layers.dense({ units: 5, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(hidden) as tfl.SymbolicTensor;
    const theirs = seeded(tfl.model({ inputs: input, outputs: output }), 'functional both ways');
    theirs.compile({ optimizer: tf.train.adam(0.05, 0.9, 0.999, 1e-10), loss: LOSS });
    const { x, y } = data('functional both ways');
    await theirs.fit(tfOf(x), tfOf(y), { ...FIT, epochs: 1, verbose: 0 });
    const saved = await tfjsSaved(theirs, { includeOptimizer: true });
    // tfjs-layers goes on from its own save
    const straight = await tfjsLoad(saved.modelJson, saved.weightData);
    await straight.fit(tfOf(x), tfOf(y), { ...FIT, epochs: 2, verbose: 0 });

    const ours = functionalFromArtifacts(saved.modelJson, saved.weightData);
    await ours.fit(x, y, { ...FIT, epochs: 1 });
    const back = ours.toArtifacts({ includeOptimizer: true });
    const theirsAgain = await tfjsLoad(back.modelJson, back.weightData);
    await theirsAgain.fit(tfOf(x), tfOf(y), { ...FIT, epochs: 1, verbose: 0 });
    const expected = straight.getWeights();
    for (const [i, w] of theirsAgain.getWeights().entries()) expectClose(w.dataSync(), expected[i].dataSync(), 1e-5, `weight ${i}`);
  });

  it('an uncompiled model saved with includeOptimizer holds no optimizer state, as in tfjs-layers', async () => {
    const theirs = tfjsSequential('uncompiled');
    const tfjsSave = await tfjsSaved(theirs, { includeOptimizer: true });
    const tfjsSpecs = (tfjsSave.modelJson.weightsManifest as { weights: WeightSpec[] }[])[0].weights;
    expect(tfjsSpecs.filter((w) => w.group === 'optimizer')).toEqual([]);
    expect(tfjsSave.modelJson.trainingConfig).toBeUndefined();
    const ours = sequential();
    const plain = ours.toArtifacts();
    const withOption = ours.toArtifacts({ includeOptimizer: true });
    expect(withOption.modelJson).toEqual(plain.modelJson);
    expect(new Uint8Array(withOption.weightData)).toEqual(new Uint8Array(plain.weightData));
  });
});

describe('bad input and what cannot be saved', () => {
  /** A Sequential fit one epoch with Adam, saved with its state. */
  async function savedWithAdam(): Promise<ModelArtifacts> {
    const ours = sequential();
    ours.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: LOSS });
    const { x, y } = data('bad input');
    await ours.fit(x, y, { ...FIT, epochs: 1 });
    return ours.toArtifacts({ includeOptimizer: true });
  }

  it('optimizer weights of the wrong count, shape or step count: a ConvlensError naming the problem', async () => {
    const saved = await savedWithAdam();
    // the last entry (the last bias' v, 3 values) and its bytes dropped
    const fewer = copy(saved);
    fewer.modelJson.weightsManifest[0].weights.pop();
    fewer.weightData = fewer.weightData.slice(0, fewer.weightData.byteLength - 12);
    expectConvlensError(
      () => fromArtifacts(fewer),
      /^fromArtifacts: the optimizer weights do not fit the model: adam\.setWeights: got 7 weights after 'iter', expected 8 \(m, v for each of the 4 trainable weights\) or none/,
    );
    // the first kernel's m read as 5×4 rather than 4×5 (the same bytes)
    const transposed = copy(saved);
    const m = transposed.modelJson.weightsManifest[0].weights.find((w) => w.group === 'optimizer' && w.shape.length === 2)!;
    expect(m.name).toMatch(/kernel\/m$/);
    m.shape = [5, 4];
    expectConvlensError(
      () => fromArtifacts(transposed),
      /adam\.setWeights: weight 1 ".*kernel\/m" \(m of .*kernel\) has shape \[5, ?4\], dtype float32 and 20 values, expected \[4, ?5\], float32 and 20/,
    );
    // a step count that is not a scalar
    const vector = copy(saved);
    vector.modelJson.weightsManifest[0].weights.find((w) => w.name === 'iter')!.shape = [1];
    expectConvlensError(
      () => fromArtifacts(vector),
      /the first weight must be the step count 'iter', a scalar integer ≥ 0, got "iter" of shape \[1\]/,
    );
    // Adam's state for SGD with momentum, which has one slot
    const momentum = copy(saved);
    momentum.modelJson.trainingConfig!.optimizer_config = { class_name: 'Momentum', config: { learningRate: 0.1, momentum: 0.9 } };
    expectConvlensError(
      () => fromArtifacts(momentum),
      /^fromArtifacts: the optimizer weights do not fit the model: sgd\.setWeights: got 8 weights after 'iter', expected 4 \(momentum for each of the 4 trainable weights\) or none$/,
    );
  });

  it('setWeights checks everything before it sets anything', async () => {
    const ours = sequential();
    ours.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: LOSS });
    const { x, y } = data('setWeights');
    await ours.fit(x, y, { ...FIT, epochs: 1 });
    const optimizer = ours.optimizer!;
    const before = optimizer.getWeights!(ours.trainableWeights);
    expect(before.map((w) => w.name)).toEqual(['iter', ...ours.trainableWeights.map((w) => `${w.name}/momentum`)]);
    const bad = before.map((w, i) => (i === 4 ? { ...w, shape: [1, 3] } : { ...w, values: w.values.map(() => 7) }));
    expectConvlensError(
      () => optimizer.setWeights!(ours.trainableWeights, bad),
      /^sgd\.setWeights: weight 4 "dense_1\/bias\/momentum" \(momentum of dense_1\/bias\) has shape \[1, ?3\], dtype float32 and 3 values, expected \[3\], float32 and 3$/,
    );
    const after = optimizer.getWeights!(ours.trainableWeights);
    for (const [i, w] of after.entries()) expect(Array.from(w.values), w.name).toEqual(Array.from(before[i].values));
  });

  it("saving the state of an optimizer tfjs' format cannot hold is a ConvlensError (tfjs-layers' Adamax throws too)", async () => {
    const theirs = tfjsSequential('adamax');
    theirs.compile({ optimizer: tf.train.adamax(0.01), loss: LOSS });
    await expect(tfjsSaved(theirs, { includeOptimizer: true })).rejects.toThrow(/not implemented for Adamax/);
    const cases: [Optimizer, RegExp][] = [
      [new Adamax(), /^toArtifacts: includeOptimizer: adamax\.getWeights: .*tfjs-layers saves no Adamax state/],
      [new Adam({ amsgrad: true }), /^toArtifacts: includeOptimizer: adam\.getWeights: .*amsgrad/],
      [new SGD({ useEma: true }), /^toArtifacts: includeOptimizer: sgd\.getWeights: .*useEma/],
      [new RMSprop({ gradientAccumulationSteps: 2 }), /^toArtifacts: includeOptimizer: rmsprop\.getWeights: .*gradientAccumulationSteps/],
    ];
    for (const [optimizer, message] of cases) {
      const ours = sequential();
      ours.compile({ optimizer, loss: LOSS });
      expectConvlensError(() => ours.toArtifacts({ includeOptimizer: true }), message);
      // saved without it, as before
      expect(optimizerSpecs(ours.toArtifacts().modelJson)).toEqual([]);
    }
    const ours = sequential();
    ours.compile({ optimizer: new Adamax(), loss: LOSS });
    await expectConvlensRejection(
      ours.save(join(root, 'adamax'), { includeOptimizer: true }),
      /^save: includeOptimizer: adamax\.getWeights/,
    );
  });

  it('bad options, and includeOptimizer for an .h5 file, which holds no optimizer state', async () => {
    const ours = sequential();
    ours.compile({ optimizer: new Adam(), loss: LOSS });
    expectConvlensError(
      () => ours.toArtifacts({ includeOptimizer: 'yes' as never }),
      /^toArtifacts: includeOptimizer must be true or false, got "yes"/,
    );
    expectConvlensError(() => ours.toArtifacts({ includeOptimiser: true } as never), /^toArtifacts: .*includeOptimiser/);
    await expectConvlensRejection(
      ours.save(join(root, 'model.h5'), { includeOptimizer: true }),
      /^save: includeOptimizer: convlens' \.h5 files hold no optimizer state/,
    );
  });
});

function makeOurs(name: string): Optimizer {
  return TFJS_OPTIMIZERS.find(([n]) => n === name)![2]();
}

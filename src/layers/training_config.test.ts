import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { KERAS3_BASE_SETTINGS } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { Adadelta, adadelta } from '../train/adadelta.js';
import { Adagrad, adagrad } from '../train/adagrad.js';
import { Adamax, adamax } from '../train/adamax.js';
import type { Optimizer } from '../train/optimizer.js';
import { Adam, AdamW, RMSprop, SGD } from '../train/optimizers.js';
import { CosineDecay, ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay } from '../train/schedules.js';
import { Add, Dense, fromArtifacts, functionalFromArtifacts, Input, model, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

const dense = () => new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
const tfjsDense = () => tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });

const data = (seed: string, n = 6) => {
  const rng = caseRng(seed, 0);
  const labels = rng.ints(n, 0, 2);
  const y = Float32Array.from({ length: n * 3 }, (_, i) => (labels[Math.floor(i / 3)] === i % 3 ? 1 : 0));
  return { x: f32(rng, [n, 4]), y: new Tensor(y, [n, 3], 'float32') };
};

/** How convlens saves the optimizer and where: `trainingConfig` (tfjs compiles the same from it) or Keras' `modelTopology.training_config`. */
const saving: [string, () => Optimizer, { class_name: string; config: Record<string, unknown> }, 'tfjs' | 'keras'][] = [
  [
    'train.adagrad',
    () => adagrad({ learningRate: 0.05, initialAccumulatorValue: 0.2 }),
    { class_name: 'Adagrad', config: { learningRate: 0.05, initialAccumulatorValue: 0.2 } },
    'tfjs',
  ],
  [
    'train.adadelta',
    () => adadelta({ learningRate: 1 }),
    { class_name: 'Adadelta', config: { learningRate: 1, rho: 0.95, epsilon: 1e-7 } },
    'tfjs',
  ],
  [
    'train.adamax',
    () => adamax({ decay: 0.01 }),
    { class_name: 'Adamax', config: { learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0.01 } },
    'tfjs',
  ],
  // Keras' Adadelta update, which tfjs lacks: Keras' snake_case form tells it apart
  [
    'new Adadelta',
    () => new Adadelta({ learningRate: 0.5 }),
    { class_name: 'Adadelta', config: { learning_rate: 0.5, rho: 0.95, epsilon: 1e-7 } },
    'keras',
  ],
  [
    'Adam amsgrad',
    () => new Adam({ amsgrad: true }),
    { class_name: 'Adam', config: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: true } },
    'keras',
  ],
  [
    'SGD clipnorm',
    () => new SGD({ learningRate: 0.1, clipnorm: 1 }),
    { class_name: 'SGD', config: { learningRate: 0.1, clipnorm: 1 } },
    'keras',
  ],
  [
    'RMSprop globalClipnorm',
    () => new RMSprop({ globalClipnorm: 2 }),
    { class_name: 'RMSProp', config: { learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false, global_clipnorm: 2 } },
    'keras',
  ],
  // tfjs' Adagrad fixes ε at 1e-7
  [
    'Adagrad epsilon',
    () => new Adagrad({ epsilon: 1e-4 }),
    { class_name: 'Adagrad', config: { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-4 } },
    'keras',
  ],
  [
    'train.adadelta clipvalue',
    () => adadelta({ clipvalue: 0.5 }),
    { class_name: 'Adadelta', config: { learningRate: 0.001, rho: 0.95, epsilon: 1e-7, clipvalue: 0.5 } },
    'keras',
  ],
  // a learning-rate schedule, as Keras 3 serializes it, and weight decay: tfjs has neither
  [
    'SGD schedule',
    () => new SGD({ learningRate: new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.5 }), momentum: 0.9 }),
    {
      class_name: 'Momentum',
      config: {
        learningRate: {
          module: 'keras.optimizers.schedules',
          class_name: 'ExponentialDecay',
          config: { initial_learning_rate: 0.1, decay_steps: 4, decay_rate: 0.5, staircase: false, name: 'ExponentialDecay' },
          registered_name: null,
        },
        momentum: 0.9,
        useNesterov: false,
      },
    },
    'keras',
  ],
  [
    'Adam weightDecay',
    () => new Adam({ weightDecay: 0.01 }),
    { class_name: 'Adam', config: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weight_decay: 0.01 } },
    'keras',
  ],
  // Keras 3's moving average and gradient accumulation, which tfjs lacks (it would train without them)
  [
    'SGD useEma',
    () => new SGD({ learningRate: 0.1, useEma: true, emaMomentum: 0.9, emaOverwriteFrequency: 5 }),
    { class_name: 'SGD', config: { learningRate: 0.1, use_ema: true, ema_momentum: 0.9, ema_overwrite_frequency: 5 } },
    'keras',
  ],
  [
    'RMSprop gradientAccumulationSteps',
    () => new RMSprop({ gradientAccumulationSteps: 4 }),
    {
      class_name: 'RMSProp',
      config: { learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false, gradient_accumulation_steps: 4 },
    },
    'keras',
  ],
  [
    'AdamW useEma gradientAccumulationSteps',
    () => new AdamW({ useEma: true, gradientAccumulationSteps: 2 }),
    {
      class_name: 'AdamW',
      config: {
        learning_rate: 0.001,
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-7,
        amsgrad: false,
        weight_decay: 0.004,
        use_ema: true,
        ema_momentum: 0.99,
        gradient_accumulation_steps: 2,
      },
    },
    'keras',
  ],
  // AdamW, which tfjs lacks, as Keras writes it
  [
    'AdamW schedule',
    () => new AdamW({ learningRate: new CosineDecay({ initialLearningRate: 0.01, decaySteps: 10, warmupTarget: 0.1, warmupSteps: 2 }) }),
    {
      class_name: 'AdamW',
      config: {
        learning_rate: {
          module: 'keras.optimizers.schedules',
          class_name: 'CosineDecay',
          config: { initial_learning_rate: 0.01, decay_steps: 10, alpha: 0, name: 'CosineDecay', warmup_target: 0.1, warmup_steps: 2 },
          registered_name: null,
        },
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-7,
        amsgrad: false,
        weight_decay: 0.004,
      },
    },
    'keras',
  ],
];

describe('optimizers in saved compile settings', () => {
  it('convlens writes tfjs-readable optimizers where TF.js compiles them, the rest where it does not read them; both load back alike', async () => {
    for (const [what, make, expected, place] of saving) {
      resetNames();
      const ours = dense();
      ours.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
      const { modelJson, weightData } = ours.toArtifacts();
      const [written, other] =
        place === 'tfjs'
          ? [modelJson.trainingConfig, modelJson.modelTopology.training_config]
          : [modelJson.modelTopology.training_config, modelJson.trainingConfig];
      expect(written?.optimizer_config, what).toEqual(expected);
      expect(other, what).toBeUndefined();
      const loaded = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
      expect(loaded.trainingConfig()?.optimizer_config, `${what} read back`).toEqual(expected);
      const theirs = await tfjsLoad(modelJson, weightData);
      if (place === 'tfjs') expect(theirs.optimizer.getConfig(), `${what} in TF.js`).toEqual(expected.config);
      else expect(theirs.optimizer, `${what}: TF.js loads it uncompiled`).toBeUndefined();
    }
  });

  it("a schedule of one's own trains but is not saved (it could not be read back), as an optimizer of one's own", async () => {
    class Halving extends LearningRateSchedule {
      readonly className = 'Halving';
      valueAt(step: number): number {
        return 0.1 / 2 ** step;
      }
      getConfig() {
        return {};
      }
    }
    const ours = dense();
    const sgd = new SGD({ learningRate: new Halving() });
    ours.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    expect(ours.trainingConfig()).toBeUndefined();
    const { x, y } = data('halving');
    await ours.fit(x, y, { epochs: 2 });
    expect(sgd.currentLearningRate).toBe(0.025);
  });

  it('a functional model places them alike, with one output or several', () => {
    const a = Input({ shape: [4], name: 'a' });
    const b = Input({ shape: [4], name: 'b' });
    const sum = new Add({ name: 'sum' }).apply([a, b]);
    const one = model({ inputs: a, outputs: new Dense({ units: 2, name: 'one' }).apply(a) });
    const two = model({
      inputs: [a, b],
      outputs: [new Dense({ units: 2, name: 'p' }).apply(sum), new Dense({ units: 3, name: 'q' }).apply(sum)],
    });
    for (const functional of [one, two]) {
      functional.compile({ optimizer: new Adamax({ clipnorm: 3 }), loss: 'mse' });
      const { modelJson, weightData } = functional.toArtifacts();
      expect(modelJson.trainingConfig).toBeUndefined();
      expect(modelJson.modelTopology.training_config?.optimizer_config).toEqual({
        class_name: 'Adamax',
        config: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0, clipnorm: 3 },
      });
      const loaded = functionalFromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
      expect(loaded.trainingConfig()).toEqual(modelJson.modelTopology.training_config);
      functional.compile({ optimizer: adamax(), loss: 'mse' });
      expect(functional.toArtifacts().modelJson.trainingConfig?.optimizer_config.class_name).toBe('Adamax');
    }
  });

  it("a tfjs-layers model compiled with adagrad, adadelta or adamax loads compiled in convlens and trains on as tfjs' does", async () => {
    const cases: [string, () => tf.Optimizer][] = [
      ['adagrad', () => tf.train.adagrad(0.1, 0.3)],
      ['adadelta', () => tf.train.adadelta(1, 0.9, 1e-6)],
      ['adamax', () => tf.train.adamax(0.01, 0.9, 0.99, 1e-7, 0.1)],
    ];
    for (const [name, make] of cases) {
      const theirs = tfjsDense();
      const optimizer = make();
      theirs.compile({ optimizer, loss: 'categoricalCrossentropy' });
      // tfjs saves its trainingConfig with the optimizer's state, which its Adamax cannot give (getWeights
      // is not implemented): that one is written by hand, as tfjs' getTrainingConfig would
      const saved = await tfjsSaved(theirs, { includeOptimizer: name !== 'adamax' });
      saved.modelJson.trainingConfig ??= {
        loss: 'categoricalCrossentropy',
        metrics: [],
        optimizer_config: { class_name: optimizer.getClassName(), config: optimizer.getConfig() },
      };
      const ours = fromArtifacts(saved.modelJson, saved.weightData);
      expect(ours.trainingConfig()?.optimizer_config, name).toEqual({
        class_name: optimizer.getClassName(),
        config: optimizer.getConfig(),
      });
      const { x, y } = data(name);
      const options = { epochs: 3, batchSize: 3, shuffle: false };
      const history = await ours.fit(x, y, options);
      const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, `${name} loss`);
      const ourWeights = ours.getWeights();
      for (const [i, w] of theirs.getWeights().entries()) expectClose(ourWeights[i], w.dataSync(), 1e-5, `${name} weight ${i}`);
    }
  });

  it('Keras 3 and tf.keras 2 configs of Adagrad, Adadelta, Adamax, clipping and amsgrad compile, and train as compiled by hand', async () => {
    const cases: [string, Record<string, unknown>, Optimizer][] = [
      [
        'Adagrad',
        { ...KERAS3_BASE_SETTINGS, name: 'adagrad', learning_rate: 0.01, initial_accumulator_value: 0.2, epsilon: 1e-7 },
        new Adagrad({ learningRate: 0.01, initialAccumulatorValue: 0.2 }),
      ],
      [
        'Adadelta',
        { ...KERAS3_BASE_SETTINGS, name: 'adadelta', learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
        new Adadelta({ learningRate: 1, rho: 0.9, epsilon: 1e-6 }),
      ],
      [
        'Adamax',
        { ...KERAS3_BASE_SETTINGS, name: 'adamax', learning_rate: 0.02, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-7 },
        new Adamax({ learningRate: 0.02, beta1: 0.8, beta2: 0.99 }),
      ],
      [
        'Adam',
        {
          ...KERAS3_BASE_SETTINGS,
          name: 'adam',
          learning_rate: 0.02,
          clipnorm: 0.05,
          beta_1: 0.9,
          beta_2: 0.999,
          epsilon: 1e-7,
          amsgrad: true,
        },
        new Adam({ learningRate: 0.02, clipnorm: 0.05, amsgrad: true }),
      ],
      [
        'SGD',
        { ...KERAS3_BASE_SETTINGS, name: 'SGD', learning_rate: 0.5, global_clipnorm: 0.1, momentum: 0.5, nesterov: true },
        new SGD({ learningRate: 0.5, globalClipnorm: 0.1, momentum: 0.5, nesterov: true }),
      ],
      [
        'RMSprop',
        {
          ...KERAS3_BASE_SETTINGS,
          name: 'rmsprop',
          learning_rate: 0.01,
          clipvalue: 0.02,
          rho: 0.9,
          momentum: 0,
          epsilon: 1e-7,
          centered: false,
        },
        new RMSprop({ learningRate: 0.01, clipvalue: 0.02 }),
      ],
      // Keras 3's schedules (keras.optimizers.schedules.serialize's form), weight decay and AdamW
      [
        'SGD',
        {
          ...KERAS3_BASE_SETTINGS,
          name: 'SGD',
          learning_rate: {
            module: 'keras.optimizers.schedules',
            class_name: 'ExponentialDecay',
            config: { initial_learning_rate: 0.5, decay_steps: 2, decay_rate: 0.3, staircase: true, name: 'ExponentialDecay' },
            registered_name: null,
          },
          momentum: 0.9,
          nesterov: false,
        },
        new SGD({
          learningRate: new ExponentialDecay({ initialLearningRate: 0.5, decaySteps: 2, decayRate: 0.3, staircase: true }),
          momentum: 0.9,
        }),
      ],
      [
        'AdamW',
        {
          ...KERAS3_BASE_SETTINGS,
          name: 'adamw',
          learning_rate: 0.05,
          weight_decay: 0.004,
          beta_1: 0.9,
          beta_2: 0.999,
          epsilon: 1e-7,
          amsgrad: false,
        },
        new AdamW({ learningRate: 0.05 }),
      ],
      [
        'Adam',
        {
          ...KERAS3_BASE_SETTINGS,
          name: 'adam',
          learning_rate: {
            module: 'keras.optimizers.schedules',
            class_name: 'PiecewiseConstantDecay',
            config: { boundaries: [2, 4], values: [0.05, 0.02, 0.01], name: 'PiecewiseConstant' },
            registered_name: null,
          },
          weight_decay: 0.1,
          beta_1: 0.9,
          beta_2: 0.999,
          epsilon: 1e-7,
          amsgrad: false,
        },
        new Adam({ learningRate: new PiecewiseConstantDecay({ boundaries: [2, 4], values: [0.05, 0.02, 0.01] }), weightDecay: 0.1 }),
      ],
      // tf.keras 2: `decay`, which Adamax applies as tfjs does; a clip bound of 0 is off, as Keras takes it
      [
        'Adamax',
        { name: 'Adamax', learning_rate: 0.02, decay: 0.05, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, clipnorm: 0 },
        new Adamax({ learningRate: 0.02, decay: 0.05 }),
      ],
    ];
    const theirs = tfjsDense();
    const saved = await tfjsSaved(theirs);
    for (const [className, config, byHand] of cases) {
      const what = `${className} ${JSON.stringify(config)}`;
      const json = structuredClone(saved.modelJson) as { modelTopology: Record<string, unknown> };
      json.modelTopology.training_config = {
        loss: 'categorical_crossentropy',
        metrics: [],
        optimizer_config: { class_name: className, config },
      };
      const warn = vi.spyOn(console, 'warn');
      const loaded = fromArtifacts(json, saved.weightData);
      expect(warn, what).not.toHaveBeenCalled();
      warn.mockRestore();
      const compiled = fromArtifacts(saved.modelJson, saved.weightData);
      compiled.compile({ optimizer: byHand, loss: 'categoricalCrossentropy' });
      expect(loaded.trainingConfig(), what).toEqual(compiled.trainingConfig());
      const { x, y } = data(what);
      const options = { epochs: 2, batchSize: 3, shuffle: false };
      await loaded.fit(x, y, options);
      await compiled.fit(x, y, options);
      expect(
        loaded.getWeights().map((w) => Array.from(w.data)),
        what,
      ).toEqual(compiled.getWeights().map((w) => Array.from(w.data)));
    }
  });
});

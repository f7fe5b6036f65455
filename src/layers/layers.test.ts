import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose, maxDiff, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { f32, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Activation,
  AvgPool2D,
  Conv2D,
  Cropping2D,
  Dense,
  Dropout,
  Flatten,
  GaussianNoise,
  type Layer,
  MaxPool2D,
  RandomContrast,
  Reshape,
  resetNames,
  Sequential,
  SpatialDropout2D,
} from './index.js';

/** Builds the same single layer in tfjs-layers, gives it our weights and returns its output. */
function tfLayerOutput(layer: tfl.layers.Layer, ours: Layer, x: Tensor): Float32Array {
  const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: x.shape.slice(1) }), layer] });
  layer.setWeights(ours.getWeights().map(tfOf));
  return (model.predict(tfOf(x)) as tf.Tensor).dataSync() as Float32Array;
}

/** The activations tfjs-layers also has, by the names it takes (convlens takes tfjs' camelCase hardSigmoid too). */
const ACTIVATIONS = [
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'relu6',
  'gelu',
  'gelu_new',
  'swish',
  'mish',
  'hardSigmoid',
] as const;

beforeEach(() => resetNames());

forEachBackend(() => {
  describe('forward passes match tfjs-layers with the same weights', () => {
    it('Conv2D (random kernels, strides, padding, dilation, activations)', () => {
      let worst = 0;
      for (let index = 0; index < 25; index++) {
        const rng = caseRng('conv2d layer', index);
        const kernelSize: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
        const dilated = rng.bool(0.3);
        const strides: [number, number] = dilated ? [1, 1] : [rng.int(1, 2), rng.int(1, 2)];
        const dilationRate: [number, number] = dilated ? [2, rng.int(1, 2)] : [1, 1];
        const options = {
          filters: rng.int(1, 4),
          kernelSize,
          strides,
          dilationRate,
          padding: rng.pick(['valid', 'same'] as const),
          activation: rng.pick(ACTIVATIONS),
          useBias: rng.bool(0.8),
        };
        const x = f32(rng, [rng.int(1, 2), rng.int(5, 8), rng.int(5, 8), rng.int(1, 3)]);
        const ours = new Conv2D(options);
        const got = ours.apply(x);
        // Random biases, so the comparison covers them too.
        ours.setWeights(ours.getWeights().map((w) => f32(rng, w.shape)));
        const expected = tfLayerOutput(tfl.layers.conv2d(options), ours, x);
        const y = ours.apply(x);
        expect(y.shape).toEqual(got.shape);
        expectClose(y, expected, 1e-5, `case ${index}: ${JSON.stringify(options)} input ${JSON.stringify(x.shape)}`);
        worst = Math.max(worst, maxDiff(y.data, expected));
      }
      reportDiff('Conv2D forward vs tfjs-layers', worst);
    });

    it('Dense (2-D and 3-D inputs, activations, with and without bias)', () => {
      let worst = 0;
      for (let index = 0; index < 15; index++) {
        const rng = caseRng('dense layer', index);
        const options = {
          units: rng.int(1, 6),
          activation: rng.pick(ACTIVATIONS),
          useBias: rng.bool(0.8),
        };
        const x = f32(rng, index % 3 === 0 ? [2, 3, rng.int(1, 5)] : [rng.int(1, 4), rng.int(1, 8)]);
        const ours = new Dense(options);
        ours.apply(x);
        ours.setWeights(ours.getWeights().map((w) => f32(rng, w.shape)));
        const expected = tfLayerOutput(tfl.layers.dense(options), ours, x);
        const y = ours.apply(x);
        expectClose(y, expected, 1e-5, `case ${index}: ${JSON.stringify(options)}`);
        worst = Math.max(worst, maxDiff(y.data, expected));
      }
      reportDiff('Dense forward vs tfjs-layers', worst);
    });

    it('MaxPool2D, AvgPool2D and Flatten', () => {
      for (let index = 0; index < 20; index++) {
        const rng = caseRng('pool layer', index);
        const poolSize: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
        const options = {
          poolSize,
          strides: rng.bool() ? undefined : ([rng.int(1, 3), rng.int(1, 3)] as [number, number]),
          padding: rng.pick(['valid', 'same'] as const),
        };
        const x = f32(rng, [rng.int(1, 2), rng.int(3, 7), rng.int(3, 7), rng.int(1, 3)]);
        const context = `case ${index}: ${JSON.stringify(options)} ${JSON.stringify(x.shape)}`;
        expectClose(new MaxPool2D(options).apply(x), tfLayerOutput(tfl.layers.maxPooling2d(options), new Flatten(), x), 1e-6, context);
        expectClose(new AvgPool2D(options).apply(x), tfLayerOutput(tfl.layers.averagePooling2d(options), new Flatten(), x), 1e-6, context);
        const flat = new Flatten().apply(x);
        expect(flat.shape).toEqual([x.shape[0], x.shape[1] * x.shape[2] * x.shape[3]]);
        expectClose(flat, tfLayerOutput(tfl.layers.flatten(), new Flatten(), x), 0, context);
      }
    });

    it('Activation layers and Dropout at inference', () => {
      const rng = caseRng('activation layer', 0);
      const x = f32(rng, [3, 5], -8, 8);
      for (const name of ACTIVATIONS) {
        expectClose(
          new Activation(name).apply(x),
          tfLayerOutput(tfl.layers.activation({ activation: name }), new Flatten(), x),
          1e-6,
          name,
        );
      }
      expect(new Dropout(0.5).apply(x).data).toEqual(x.data);
      // softplus across TensorFlow's thresholds (±13.94), where it switches to x and to e^x
      const wide = new Tensor(
        Float32Array.from({ length: 81 }, (_, i) => -40 + i),
        [1, 81],
        'float32',
      );
      expectClose(
        new Activation('softplus').apply(wide),
        tfLayerOutput(tfl.layers.activation({ activation: 'softplus' }), new Flatten(), wide),
        0,
        'softplus, wide',
      );
    });
  });
});

describe('Keras defaults', () => {
  it('Conv2D pads valid, strides 1, Glorot-uniform kernel within ±√(6 / (fan_in + fan_out)), zero bias', () => {
    setSeed(1);
    const conv = new Conv2D({ filters: 64, kernelSize: 3, inputShape: [8, 8, 16] });
    const model = new Sequential([conv]);
    expect(conv.padding).toBe('valid');
    expect(conv.strides).toEqual([1, 1]);
    expect(model.outputShape).toEqual([6, 6, 64]);
    const [kernel, bias] = conv.getWeights();
    expect(kernel.shape).toEqual([3, 3, 16, 64]);
    const limit = Math.sqrt(6 / (9 * 16 + 9 * 64));
    const values = Array.from(kernel.data);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    // Uniform on [−L, L]: mean 0, variance L²/3 (9,216 samples: well within these bounds).
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.02 * limit);
    expect(variance / ((limit * limit) / 3)).toBeGreaterThan(0.95);
    expect(variance / ((limit * limit) / 3)).toBeLessThan(1.05);
    expect(Array.from(bias.data).every((v) => v === 0)).toBe(true);
  });

  it('Dense kernels use fan_in = inputs, fan_out = units', () => {
    setSeed(2);
    const dense = new Dense({ units: 30, inputShape: [50] });
    new Sequential([dense]);
    const limit = Math.sqrt(6 / 80);
    const values = Array.from(dense.getWeights()[0].data);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.98 * limit);
  });

  it('MaxPool2D pools 2×2 with strides equal to the pool size, padding valid', () => {
    const pool = new MaxPool2D();
    expect(pool.poolSize).toEqual([2, 2]);
    expect(pool.strides).toEqual([2, 2]);
    expect(pool.padding).toBe('valid');
    expect(new MaxPool2D({ poolSize: 3 }).strides).toEqual([3, 3]);
    expect(new Sequential([new MaxPool2D({ inputShape: [7, 5, 2] })]).outputShape).toEqual([3, 2, 2]);
  });

  it('names layers as Keras does: conv2d, conv2d_1, ..., one counter per kind', () => {
    const names = [
      new Conv2D({ filters: 1, kernelSize: 1 }),
      new Conv2D({ filters: 1, kernelSize: 1 }),
      new MaxPool2D(),
      new Dense({ units: 1 }),
      new Conv2D({ filters: 1, kernelSize: 1 }),
      new Flatten(),
      new AvgPool2D(),
      new Activation('relu'),
      new Dropout(0.1),
      new Dense({ units: 1, name: 'head' }),
    ].map((l) => l.name);
    expect(names).toEqual([
      'conv2d',
      'conv2d_1',
      'max_pooling2d',
      'dense',
      'conv2d_2',
      'flatten',
      'average_pooling2d',
      'activation',
      'dropout',
      'head',
    ]);
  });

  it("takes Keras' first positional argument, then the options (Dropout(0.5, name=...)); refuses what it would drop", () => {
    const layers: Layer[] = [
      new Dropout(0.25, { name: 'drop' }),
      new SpatialDropout2D(0.25, { name: 'spatial' }),
      new GaussianNoise(0.1, { name: 'noise' }),
      new Activation('tanh', { name: 'act' }),
      new MaxPool2D(3, { strides: 1, name: 'max' }),
      new AvgPool2D([2, 1], { padding: 'same', name: 'avg' }),
    ];
    expect(layers.map((l) => l.name)).toEqual(['drop', 'spatial', 'noise', 'act', 'max', 'avg']);
    expect([(layers[0] as Dropout).rate, (layers[4] as MaxPool2D).strides, (layers[5] as AvgPool2D).padding]).toEqual([
      0.25,
      [1, 1],
      'same',
    ]);
    expectConvlensError(
      () => new Dropout(0.5, 3 as never),
      /^Dropout: give the rate first, then an options object .*got 3 after the rate$/,
    );
    expectConvlensError(() => new Dropout({ rate: 0.5 }, { name: 'x' }), /^Dropout: give the rate first, .*after an options object$/);
    expectConvlensError(
      () => new Activation('relu', { activation: 'tanh' } as never),
      'Activation: activation is given twice, first and in the options after it',
    );
    expectConvlensError(() => new MaxPool2D(2, { stride: 1 } as never), "MaxPooling2D: unknown option 'stride' (did you mean 'strides'?)");
  });

  it('seeded initialisation is reproducible', () => {
    setSeed(42);
    const a = new Sequential([new Conv2D({ filters: 4, kernelSize: 3, inputShape: [5, 5, 2] })]).getWeights()[0];
    setSeed(42);
    const b = new Sequential([new Conv2D({ filters: 4, kernelSize: 3, inputShape: [5, 5, 2] })]).getWeights()[0];
    expect(a.data).toEqual(b.data);
  });
});

/** The reference MNIST network of issue 4. */
function mnistNet(): Sequential {
  return new Sequential([
    new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
    new MaxPool2D(),
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
    new MaxPool2D(),
    new Flatten(),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
}

describe('Sequential', () => {
  it('a layer name TensorFlow would refuse for its weights is refused (the saved model would not open in TensorFlow.js)', () => {
    for (const name of ['', 'dénse', 'has space', '_lead', 'a:b']) {
      expectConvlensError(() => new Dense({ units: 1, name }), /^Dense: name must be a letter or digit, then letters, digits/);
    }
    for (const name of ['dense', 'block1/conv-2.a_b', '3x3']) expect(new Dense({ units: 1, name }).name).toBe(name);
  });

  it('predict names what it got instead of a Tensor, a TensorFlow.js tensor included', () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    expectConvlensError(() => model.predict([[1, 2]] as never), /^predict: x must be a convlens Tensor, got \[\[1, 2\]\]$/);
    expectConvlensError(
      () => model.predict(tf.tensor([[1, 2]]) as never),
      /^predict: x must be a convlens Tensor, got a Tensor of another library \(or another copy of convlens\): make one with tensor\(data, shape\)$/,
    );
  });

  it('a layer too large for any array is a ConvlensError naming the layer and the weight', () => {
    expectConvlensError(
      () => new Sequential([new Dense({ units: 1e9, inputShape: [12] })]),
      /^dense(_\d+)?: kernel \[12, 1000000000\]: cannot allocate 1\.20e\+10 float32 values \(44\.7 GiB\): the result is too large$/,
    );
  });

  it('summary() takes a print function or null, nothing else', () => {
    expectConvlensError(
      () => mnistNet().summary(42 as never),
      /^summary: print must be a function \(console.log by default\) or null, got 42$/,
    );
  });

  it("summary() in tfjs' and Keras' form (lineLength, positions, printFn) is refused rather than printing past the print function", () => {
    const lines: string[] = [];
    expectConvlensError(
      () => mnistNet().summary(undefined, ...([undefined, (line: string) => lines.push(line)] as never[])),
      "summary: expected one argument, the print function (or null), got 3: tfjs' and Keras' summary(lineLength, positions, printFn) is summary(printFn) here",
    );
    expect(lines).toEqual([]);
  });

  it('summary() prints the Keras table: output shapes, parameter counts, totals', () => {
    const model = mnistNet();
    const text = model.summary(null);
    const rows = text.split('\n');
    const row = (name: string) =>
      rows
        .find((r) => r.includes(name))!
        .trim()
        .split(/\s{2,}/);
    expect(rows[0]).toBe('Model: "sequential"');
    expect(row('conv2d (Conv2D)')).toEqual(['conv2d (Conv2D)', '(None, 28, 28, 16)', '160']);
    expect(row('max_pooling2d (MaxPooling2D)')).toEqual(['max_pooling2d (MaxPooling2D)', '(None, 14, 14, 16)', '0']);
    expect(row('conv2d_1 (Conv2D)')).toEqual(['conv2d_1 (Conv2D)', '(None, 14, 14, 32)', '4,640']);
    expect(row('max_pooling2d_1')).toEqual(['max_pooling2d_1 (MaxPooling2D)', '(None, 7, 7, 32)', '0']);
    expect(row('flatten (Flatten)')).toEqual(['flatten (Flatten)', '(None, 1568)', '0']);
    expect(row('dense (Dense)')).toEqual(['dense (Dense)', '(None, 10)', '15,690']);
    expect(text).toContain('Total params: 20,490');
    expect(text).toContain('Trainable params: 20,490');
    expect(text).toContain('Non-trainable params: 0');
    expect(model.countParams()).toBe(20_490);
  });

  it('summary() of the same network built in tfjs-layers has the same shapes and counts', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const ours = mnistNet();
    expect(ours.layers.map((l) => l.outputShape)).toEqual(model.layers.map((l) => (l.outputShape as number[]).slice(1)));
    expect(ours.layers.map((l) => l.countParams())).toEqual(model.layers.map((l) => l.countParams()));
  });

  it('getWeights/setWeights round-trip on models and layers (kernel, then bias)', () => {
    const rng = caseRng('weights', 0);
    const model = mnistNet();
    const weights = model.getWeights();
    expect(weights.map((w) => w.shape)).toEqual([[3, 3, 1, 16], [16], [3, 3, 16, 32], [32], [1568, 10], [10]]);
    const fresh = weights.map((w) => f32(rng, w.shape));
    model.setWeights(fresh);
    expect(model.getWeights().map((w) => w.data)).toEqual(fresh.map((w) => w.data));
    // getWeights returns copies: changing them does not change the model.
    model.getWeights()[0].data[0] = 123;
    expect(model.getWeights()[0].data[0]).toBe(fresh[0].data[0]);
    // The lesson's layer_filter.set_weights([kernel]) on a bias-free layer.
    const filter = new Conv2D({ filters: 1, kernelSize: 3, useBias: false, inputShape: [6, 6, 1] });
    new Sequential([filter]);
    const kernel = new Tensor(Float32Array.of(-1, -1, -1, -1, 8, -1, -1, -1, -1), [3, 3, 1, 1], 'float32');
    filter.setWeights([kernel]);
    expect(filter.getWeights()[0].data).toEqual(kernel.data);
  });

  it('setWeights errors name the layer, the weight and both shapes', () => {
    const model = mnistNet();
    const conv = model.getLayer('conv2d');
    expectConvlensError(
      () => conv.setWeights([new Tensor(new Float32Array(9), [3, 3, 1, 1], 'float32'), new Tensor(new Float32Array(16), [16], 'float32')]),
      'conv2d: weight conv2d/kernel has shape [3, 3, 1, 16], setWeights got [3, 3, 1, 1]',
    );
    expectConvlensError(() => conv.setWeights([]), 'conv2d: setWeights got 0 arrays, expected 2 (conv2d/kernel, conv2d/bias)');
    expectConvlensError(() => model.setWeights(model.getWeights().slice(1)), 'setWeights: the model has 6 weight arrays, got 5');
    // built on its first input, as Keras and tfjs build such a model: no weights before that
    const deferred = new Sequential([new Conv2D({ filters: 2, kernelSize: 3 }), new Flatten(), new Dense({ units: 2 })]);
    const weights = mnistNet().getWeights().slice(0, 4);
    expectConvlensError(
      () => deferred.setWeights(weights),
      "setWeights: the model has 0 weight arrays, got 4 (layer 'conv2d_2' is not built yet, so its weights do not exist: give the first layer an inputShape, or call predict first)",
    );
    const wrongDense = model.getWeights();
    wrongDense[4] = new Tensor(new Float32Array(15_680), [10, 1568], 'float32');
    expectConvlensError(() => model.setWeights(wrongDense), 'dense: weight dense/kernel has shape [1568, 10], setWeights got [10, 1568]');
    expectConvlensError(
      () => conv.setWeights([[1, 2], new Tensor(new Float32Array(16), [16], 'float32')] as never),
      'conv2d: weight conv2d/kernel has shape [3, 3, 1, 16], setWeights got [1, 2] (expected a Tensor: tensor(values) makes one)',
    );
  });

  it('a probability model on top of a logits model, as its layers spread into a new Sequential or as the model nested in one, shares its weights', () => {
    setSeed(21);
    const logits = new Sequential([new Flatten({ inputShape: [4, 4, 1] }), new Dense({ units: 3 })]);
    const probabilities = new Sequential([...logits.layers, new Activation('softmax')]);
    const x = f32(caseRng('probability model', 0), [2, 4, 4, 1]);
    const z = logits.predict(x).array() as number[][];
    // Keras' tutorial way: keras.Sequential([model, layers.Softmax()])
    const nested = new Sequential([logits, new Activation('softmax')]);
    for (const model of [probabilities, nested]) {
      const p = model.predict(x, { verbose: 0 }).array() as number[][];
      z.forEach((row, i) => {
        const exps = row.map(Math.exp);
        const sum = exps.reduce((a, b) => a + b, 0);
        expectClose(
          p[i],
          exps.map((e) => e / sum),
          1e-6,
          `${model.name}, row ${i}`,
        );
      });
    }
  });

  it("takes tfjs' form, new Sequential({ layers, name }) as tf.sequential({ layers, name }), and predicts as tfjs' model of it", () => {
    const rng = caseRng('sequential args', 0);
    const model = new Sequential({
      layers: [new Conv2D({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] }), new Flatten(), new Dense({ units: 3 })],
      name: 'net',
    });
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3 }),
      ],
      name: 'net',
    });
    theirs.setWeights(model.getWeights().map(tfOf));
    expect([model.name, model.layers.map((l) => l.className)]).toEqual([theirs.name, theirs.layers.map((l) => l.getClassName())]);
    const x = f32(rng, [2, 4, 4, 1]);
    expectClose(model.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6);
    expect(new Sequential({ layers: [] }).layers).toEqual([]);
    expectConvlensError(
      () => new Sequential({ layers: new Dense({ units: 1 }) as never }),
      'Sequential: expected an array of layers, got a Dense',
    );
    expectConvlensError(
      () => new Sequential({ layers: [], nmae: 'x' } as never),
      "Sequential: unknown option 'nmae' (did you mean 'name'?)",
    );
  });

  it("takes tfjs' and Keras' batchInputShape (any layer) and inputDim (Dense) as tfjs-layers does: the same model, saved alike", () => {
    const rng = caseRng('batch input shape', 0);
    const ours = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 2, batchInputShape: [null, 4, 5, 1] }),
      new Flatten(),
      new Dense({ units: 3 }),
    ]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 2, batchInputShape: [null, 4, 5, 1] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3 }),
      ],
    });
    const dense = new Sequential([new Dense({ units: 2, inputDim: 3 })]);
    const theirDense = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputDim: 3 })] });
    for (const [model, reference, x] of [
      [ours, theirs, f32(rng, [2, 4, 5, 1])],
      [dense, theirDense, f32(rng, [4, 3])],
    ] as const) {
      reference.setWeights(model.getWeights().map(tfOf));
      expect(model.layers.map((l) => l.outputShape)).toEqual(reference.layers.map((l) => (l.outputShape as number[]).slice(1)));
      expectClose(model.predict(x), (reference.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6);
      const first = (model.toArtifacts().modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config
        .layers[0];
      expect(first.config.batch_input_shape).toEqual([null, ...x.shape.slice(1)]);
    }
    expectConvlensError(
      () => new Dense({ units: 1, batchInputShape: [8, 3] }),
      /^Dense 'dense_\d+': batchInputShape must be \[null, \.\.\.inputShape\], the batch axis null \(any batch size\), got \[8, 3\]$/,
    );
    expectConvlensError(
      () => new Dense({ units: 1, inputShape: [3], batchInputShape: [null, 3] }),
      /^Dense 'dense_\d+': give inputShape or batchInputShape, not both$/,
    );
    expectConvlensError(
      () => new Dense({ units: 1, inputDim: 3, inputShape: [3] }),
      'Dense: give inputDim or inputShape (or batchInputShape), not both',
    );
    expectConvlensError(() => new Dense({ units: 1, inputDim: 0 }), 'Dense: inputDim must be a positive integer, got 0');
  });

  it('getLayer finds layers by name or index and names the choices when it cannot', () => {
    const model = mnistNet();
    expect(model.getLayer('conv2d_1')).toBe(model.layers[2]);
    expect(model.getLayer(2)).toBe(model.layers[2]);
    expectConvlensError(() => model.getLayer(6), 'getLayer: no layer at index 6 (the model has 6, from 0)');
    expectConvlensError(
      () => model.getLayer('conv2d_9'),
      'getLayer: no layer named "conv2d_9"; did you mean "conv2d_1" or "conv2d"? (layers: conv2d, max_pooling2d, conv2d_1, max_pooling2d_1, flatten, dense)',
    );
  });

  it("getLayer(undefined, index) finds the layer tfjs-layers' getLayer(undefined, index) finds; a name and an index together are refused, as in Keras", () => {
    const ours = mnistNet();
    const theirs = tfl.sequential({
      layers: ours.layers.map((l, i) => {
        const name = `${l.name}_${i}`;
        if (i === 0) return tfl.layers.conv2d({ filters: 16, kernelSize: 3, inputShape: [28, 28, 1], name });
        if (l instanceof MaxPool2D) return tfl.layers.maxPooling2d({ poolSize: 2, name });
        if (l instanceof Conv2D) return tfl.layers.conv2d({ filters: 32, kernelSize: 3, name });
        return l instanceof Flatten ? tfl.layers.flatten({ name }) : tfl.layers.dense({ units: 10, name });
      }),
    });
    for (const [i, layer] of ours.layers.entries()) {
      expect(ours.getLayer(undefined, i)).toBe(layer);
      expect(ours.getLayer(null, i)).toBe(layer);
      expect(theirs.getLayer(undefined as unknown as string, i).name).toBe(`${layer.name}_${i}`);
    }
    expectConvlensError(() => ours.getLayer(undefined, 6), 'getLayer: no layer at index 6 (the model has 6, from 0)');
    expectConvlensError(() => ours.getLayer('dense' as never, 1), 'getLayer: give a layer name or an index, not both (got "dense" and 1)');
    expectConvlensError(() => ours.getLayer(undefined, '1' as never), 'getLayer: index must be a number, got "1"');
  });

  it('getLayer of neither a name nor an index is a ConvlensError naming what it got', () => {
    const model = mnistNet();
    for (const [arg, shown] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [{ name: 'conv2d' }, '{ name: "conv2d" }'],
    ] as const) {
      expectConvlensError(() => model.getLayer(arg as unknown as string), `getLayer: expected a layer name, path or index, got ${shown}`);
    }
  });

  it("layerOutputs gives every layer's feature maps, the last equal to predict", () => {
    setSeed(3);
    const model = mnistNet();
    const x = f32(caseRng('layerOutputs', 0), [2, 28, 28, 1], 0, 1);
    const outputs = model.layerOutputs(x);
    expect(outputs.map((o) => o.layer.name)).toEqual(model.layers.map((l) => l.name));
    expect(outputs.map((o) => o.output.shape)).toEqual(model.layers.map((l) => [2, ...l.outputShape!]));
    expect(outputs[5].output.data).toEqual(model.predict(x).data);
    // The first feature maps are the convolution + ReLU of the input, as tfjs computes it.
    const [kernel, bias] = model.layers[0].getWeights();
    const expected = tf.relu(tf.add(tf.conv2d(tfOf(x) as tf.Tensor4D, tfOf(kernel) as tf.Tensor4D, 1, 'same'), tfOf(bias)));
    expectClose(outputs[0].output, expected.dataSync(), 1e-5);
  });

  it('predict in batches gives the same result as one batch', () => {
    setSeed(4);
    const model = mnistNet();
    const x = f32(caseRng('predict batches', 0), [5, 28, 28, 1], 0, 1);
    expectClose(model.predict(x, { batchSize: 2 }), model.predict(x, { batchSize: 8 }), 0);
    // A zero batch size would never finish.
    expectConvlensError(() => model.predict(x, { batchSize: 0 }), 'predict: batchSize must be a positive integer, got 0');
  });

  it('shape mismatches name the layer and the shapes', () => {
    const model = mnistNet();
    expectConvlensError(
      () => model.predict(new Tensor(new Float32Array(2 * 28 * 28 * 3), [2, 28, 28, 3], 'float32')),
      'conv2d (Conv2D): expected input of shape (None, 28, 28, 1), got [2, 28, 28, 3]',
    );
    const first = new Dense({ units: 2, inputShape: [4], name: 'first' });
    expectConvlensError(
      () => new Sequential([first, new Dense({ units: 3, inputShape: [5], name: 'second' })]),
      'second (Dense): expects input (None, 5) but first outputs (None, 2)',
    );
    // The same check when the model is built by its first input.
    const deferred = new Sequential([new Dense({ units: 2, name: 'a' }), new Dense({ units: 3, inputShape: [5], name: 'b' })]);
    expectConvlensError(() => deferred.predict(f32(caseRng('x', 0), [1, 4])), 'b (Dense): expects input (None, 5) but a outputs (None, 2)');
    expectConvlensError(
      () => new Conv2D({ filters: 2, kernelSize: 5, name: 'big' }).build([3, 3, 1]),
      'big (Conv2D): conv2d: window height 5 is larger than the input height 3 under VALID padding',
    );
    expectConvlensError(
      () => new MaxPool2D({ poolSize: [1, 2], name: 'pool' }).build([3, 1, 1]),
      'pool (MaxPooling2D): maxPool2d: window width 2 is larger than the input width 1 under VALID padding',
    );
    expectConvlensError(
      () => new AvgPool2D({ poolSize: 3, name: 'avg' }).build([2, 4, 1]),
      'avg (AveragePooling2D): avgPool2d: window height 3 is larger than the input height 2 under VALID padding',
    );
    expectConvlensError(
      () =>
        new Sequential([new Dense({ units: 2 }), new Conv2D({ filters: 1, kernelSize: 1, name: 'c' })]).predict(
          f32(caseRng('x', 1), [1, 4]),
        ),
      'c (Conv2D): expected inputs of shape (height, width, channels), got [2]',
    );
    // one image without its batch axis, given straight to a layer
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 2, name: 'one' }).apply(f32(caseRng('x', 2), [5, 5, 1])),
      'one (Conv2D): apply takes a batch [batch, height, width, channels], got shape [5, 5, 1] (for one image, expandDims(x, 0) adds the batch axis; for gray images without a channel axis, expandDims(x, -1) adds it)',
    );
    const grayNet = (name: string) => new Sequential([new Conv2D({ filters: 1, kernelSize: 2, inputShape: [5, 5, 1], name })]);
    expectConvlensError(
      () => grayNet('known').predict(f32(caseRng('x', 5), [5, 5, 1])),
      'known (Conv2D): expected input of shape (None, 5, 5, 1), got [5, 5, 1] (one example: expandDims(x, 0) makes a batch of one)',
    );
    // the same for a large one, which predict checks before splitting it into batches
    expectConvlensError(
      () => new Sequential([new Dense({ units: 2, inputShape: [40], name: 'flat' })]).predict(f32(caseRng('x', 6), [40])),
      'flat (Dense): expected input of shape (None, 40), got [40] (one example: expandDims(x, 0) makes a batch of one)',
    );
    // gray images without their channel axis are told how to add it
    expectConvlensError(
      () => grayNet('gray').predict(f32(caseRng('x', 4), [3, 5, 5])),
      'gray (Conv2D): expected input of shape (None, 5, 5, 1), got [3, 5, 5] (expandDims(x, -1) adds the channel axis)',
    );
    // a batch whose images are too small is told just that
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 9, name: 'wide' }).apply(f32(caseRng('x', 3), [1, 5, 5, 1])),
      'wide (Conv2D): conv2d: window height 9 is larger than the input height 5 under VALID padding',
    );
  });

  it('rejects bad layer arguments with messages that name the layer', () => {
    expectConvlensError(() => new Conv2D({ filters: 0, kernelSize: 3 }), /Conv2D 'conv2d': filters must be a positive integer, got 0/);
    expectConvlensError(
      () => new Conv2D({ filters: 2 } as never),
      /Conv2D 'conv2d(_\d)?': kernelSize must be positive integers \(n or \[h, w\]\), got undefined/,
    );
    expectConvlensError(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'full' as never }), /unknown padding "full"/);
    expectConvlensError(
      () => new Dense({ units: 2, activation: 'hard_silu' as never }),
      /Dense 'dense': unknown activation "hard_silu" \(expected one of linear, relu, sigmoid, tanh, softmax, log_softmax, elu, selu, softplus, softsign, relu6, gelu, gelu_new, swish, mish, hard_sigmoid, exponential; or silu, hardSigmoid, geluNew, logSoftmax\)/,
    );
    expectConvlensError(
      () => new MaxPool2D({ poolSize: 0 }),
      /MaxPooling2D 'max_pooling2d': poolSize must be positive integers \(n or \[h, w\]\), got 0/,
    );
    expectConvlensError(() => new Dropout(1), /rate must be a number in \[0, 1\), got 1/);
    const model = new Sequential([new Dense({ units: 1, name: 'x', inputShape: [1] })]);
    expectConvlensError(() => model.add(new Dense({ units: 1, name: 'x' })), /a layer named 'x' is already in the model/);
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 3, strides: 2, dilationRate: 2 }),
      /^Conv2D 'conv2d(_\d+)?': strides \[2, 2\] and dilationRate \[2, 2\] cannot both be above 1, as in Keras \(one of them must be 1\)$/,
    );
  });
});

describe("what models and layers hand out cannot change them (Keras gives new lists and tuples; tfjs' model.layers is its own array)", () => {
  it("model.layers is a new list each time: a caller's push or pop leaves the model as it was", () => {
    const model = mnistNet();
    const x = f32(caseRng('layers list', 0), [2, 28, 28, 1]);
    const before = model.predict(x);
    const names = model.layers.map((l) => l.name);
    const list = model.layers;
    expect(list).not.toBe(model.layers);
    list.pop();
    list.push(new Dense({ units: 3 }));
    model.layers.splice(0, 2);
    expect(model.layers.map((l) => l.name)).toEqual(names);
    expect(model.predict(x).data).toEqual(before.data);
    expect(model.countParams()).toBe(16 * 10 + 32 * (9 * 16 + 1) + 1568 * 10 + 10);
  });

  it("a layer's and a model's weights and trainableWeights are new lists too", () => {
    const model = mnistNet();
    const conv = model.getLayer('conv2d');
    conv.weights.pop();
    conv.trainableWeights.length = 0;
    model.weights.pop();
    model.trainableWeights.pop();
    expect(conv.weights.map((w) => w.name)).toEqual(['conv2d/kernel', 'conv2d/bias']);
    expect(model.getWeights()).toHaveLength(6);
    expect(model.trainableWeights).toHaveLength(6);
  });

  it('shapes are immutable, as Keras tuples: a push or an assignment throws and the layer keeps its shape', () => {
    const model = mnistNet();
    const conv = model.getLayer('conv2d');
    const pushes: [string, (number | null)[] | undefined][] = [
      ['inputShape', conv.inputShape],
      ['outputShape', conv.outputShape],
      ["model's inputShape", model.inputShape],
      ["model's outputShape", model.outputShape],
      ['a weight shape', conv.weights[0].shape],
    ];
    for (const [what, shape] of pushes) {
      expect(() => shape!.push(1), what).toThrow(TypeError);
      expect(() => {
        shape![0] = 99;
      }, what).toThrow(TypeError);
    }
    expect(conv.inputShape).toEqual([28, 28, 1]);
    expect(conv.outputShape).toEqual([28, 28, 16]);
    expect(conv.weights[0].shape).toEqual([3, 3, 1, 16]);
  });

  it("a layer's settings are immutable, and the caller's own arrays stay theirs", () => {
    const kernelSize: [number, number] = [3, 3];
    const inputShape = [8, 8, 1];
    const conv = new Conv2D({ filters: 2, kernelSize, strides: [1, 1], inputShape });
    new Sequential([conv]);
    for (const setting of [conv.kernelSize, conv.strides, conv.dilationRate]) expect(Object.isFrozen(setting)).toBe(true);
    kernelSize[0] = 5;
    inputShape.push(1);
    expect(conv.kernelSize).toEqual([3, 3]);
    expect(conv.inputShape).toEqual([8, 8, 1]);
    const crop = new Cropping2D({
      cropping: [
        [1, 0],
        [0, 1],
      ],
    });
    expect(() => {
      crop.cropping[0][0] = 4;
    }).toThrow(TypeError);
    expect(Object.isFrozen(new MaxPool2D({ poolSize: [2, 3] }).poolSize)).toBe(true);
    expect(Object.isFrozen(new Reshape({ targetShape: [4, -1] }).targetShape)).toBe(true);
    expect(Object.isFrozen(new RandomContrast({ factor: 0.2 }).valueRange)).toBe(true);
  });
});

describe('layer options are checked, never silently ignored', () => {
  it('a pool size alone stands for the options, as in Keras; other non-objects are errors', () => {
    expect(new MaxPool2D(3).poolSize).toEqual([3, 3]);
    expect(new MaxPool2D(3).strides).toEqual([3, 3]);
    expect(new MaxPool2D([3, 2]).poolSize).toEqual([3, 2]);
    expect(new AvgPool2D(3).poolSize).toEqual([3, 3]);
    const model = new Sequential([new Conv2D({ filters: 1, kernelSize: 1, inputShape: [6, 6, 1] }), new AvgPool2D(3)]);
    expect(model.outputShape).toEqual([2, 2, 1]);
    expectConvlensError(
      () => new MaxPool2D('same' as never),
      'MaxPooling2D: expected a pool size (n or [h, w]) or an options object ({ poolSize, strides, padding, dataFormat, name, inputShape, batchInputShape, trainable }), got "same"',
    );
    expectConvlensError(
      () => new MaxPool2D([3, 0]),
      /MaxPooling2D 'max_pooling2d(_\d+)?': poolSize must be positive integers \(n or \[h, w\]\), got \[3, 0\]/,
    );
    expectConvlensError(() => new MaxPool2D(Number.NaN), /poolSize must be positive integers \(n or \[h, w\]\), got NaN/);
    expectConvlensError(
      () => new Flatten('x' as never),
      'Flatten: expected an options object ({ dataFormat, name, inputShape, batchInputShape, trainable }), got "x"',
    );
  });

  it("Keras' positional Conv2D(16, 3) and Dense(10) say how to write them", () => {
    expectConvlensError(
      () => new (Conv2D as unknown as new (...args: unknown[]) => Conv2D)(16, 3),
      "Conv2D: expected an options object ({ filters, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, kernelConstraint, biasRegularizer, biasConstraint, activityRegularizer, name, inputShape, batchInputShape, trainable }), got 16 (Keras' Conv2D(16, 3) is new Conv2D({ filters: 16, kernelSize: 3 }))",
    );
    expectConvlensError(
      () => new Dense(10 as never),
      "Dense: expected an options object ({ units, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, kernelConstraint, biasRegularizer, biasConstraint, activityRegularizer, inputDim, name, inputShape, batchInputShape, trainable }), got 10 (Keras' Dense(10) is new Dense({ units: 10 }))",
    );
  });

  it('null (or another non-object) is a ConvlensError naming the layer, never a TypeError', () => {
    const cases: [string, () => unknown, string][] = [
      ['Conv2D', () => new Conv2D(null as never), 'Conv2D: expected an options object ({ filters, '],
      ['Dense', () => new Dense(null as never), 'Dense: expected an options object ({ units, '],
      ['MaxPool2D', () => new MaxPool2D(null as never), 'MaxPooling2D: expected a pool size (n or [h, w]) or an options object ('],
      ['AvgPool2D', () => new AvgPool2D(null as never), 'AveragePooling2D: expected a pool size (n or [h, w]) or an options object ('],
      ['Flatten', () => new Flatten(null as never), 'Flatten: expected an options object ('],
      ['Activation', () => new Activation(null as never), 'Activation: expected an activation name or an options object ({ activation, '],
      ['Dropout', () => new Dropout(null as never), 'Dropout: expected a rate or an options object ({ rate, '],
      ['Sequential options', () => new Sequential([], null as never), 'Sequential: expected an options object ({ name }), '],
      ['Sequential layers', () => new Sequential(null as never), 'Sequential: expected an array of layers, '],
    ];
    for (const [what, make, start] of cases) {
      // the message's start, then the value given
      expectConvlensError(make, new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*got null$`));
      void what;
    }
    expectConvlensError(() => new Dropout(true as never), /^Dropout: expected a rate or an options object .*, got true$/);
  });

  it('unknown or misspelt keys are errors that suggest the intended name', () => {
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 3, use_bias: false } as never),
      "Conv2D: unknown option 'use_bias' (did you mean 'useBias'?)",
    );
    expectConvlensError(
      () => new MaxPool2D({ pool_size: 3 } as never),
      "MaxPooling2D: unknown option 'pool_size' (did you mean 'poolSize'?)",
    );
    expectConvlensError(() => new AvgPool2D({ stride: 1 } as never), "AveragePooling2D: unknown option 'stride' (did you mean 'strides'?)");
    expectConvlensError(() => new Dense({ unit: 3 } as never), "Dense: unknown option 'unit' (did you mean 'units'?)");
    expectConvlensError(
      () => new Dense({ units: 3, input_shape: [4] } as never),
      "Dense: unknown option 'input_shape' (did you mean 'inputShape'?)",
    );
    expectConvlensError(
      () => new Activation({ activation: 'relu', alpha: 0.1 } as never),
      /^Activation: unknown option 'alpha' \(expected one of /,
    );
    expectConvlensError(
      () => new Dropout({ rate: 0.5, noise_shape: [null, 1] } as never),
      "Dropout: unknown option 'noise_shape' (did you mean 'noiseShape'?)",
    );
    expectConvlensError(
      () => new Flatten({ data_format: 'channels_last' } as never),
      "Flatten: unknown option 'data_format' (did you mean 'dataFormat'?)",
    );
    expectConvlensError(() => new Sequential([], { nmae: 'm' } as never), "Sequential: unknown option 'nmae' (did you mean 'name'?)");
    // An unknown key consumes no automatic name.
    expect(new Conv2D({ filters: 1, kernelSize: 1 }).name).toBe('conv2d');
  });

  it("dataFormat takes Keras' and tfjs' spellings; other values are refused, naming the layer and the value", () => {
    expect(new Conv2D({ filters: 1, kernelSize: 3, dataFormat: 'channels_last' }).dataFormat).toBe('channels_last');
    expect(new Conv2D({ filters: 1, kernelSize: 3 }).dataFormat).toBe('channels_last');
    expect(new MaxPool2D({ dataFormat: 'channelsLast' }).dataFormat).toBe('channels_last');
    expect(new MaxPool2D({ dataFormat: 'channelsFirst' }).dataFormat).toBe('channels_first');
    expect(new Flatten({ dataFormat: 'channels_first' }).dataFormat).toBe('channels_first');
    const message = (layer: string, value: string) =>
      `${layer}: unknown dataFormat "${value}" (expected 'channels_last' or 'channels_first')`;
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 3, dataFormat: 'NCHW' as never, name: 'c' }),
      message("Conv2D 'c'", 'NCHW'),
    );
    expectConvlensError(
      () => new MaxPool2D({ dataFormat: 'channels-first' as never, name: 'p' }),
      message("MaxPooling2D 'p'", 'channels-first'),
    );
    expectConvlensError(() => new AvgPool2D({ dataFormat: 'first' as never, name: 'a' }), message("AveragePooling2D 'a'", 'first'));
    expectConvlensError(() => new Flatten({ dataFormat: 'NHWC' as never, name: 'f' }), message("Flatten 'f'", 'NHWC'));
  });

  it('booleans must be booleans, and NaN or Infinity show as themselves (not null)', () => {
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 3, useBias: 'false' as never, name: 'c' }),
      'Conv2D \'c\': useBias must be true or false, got "false"',
    );
    expectConvlensError(() => new Dense({ units: 1, useBias: 0 as never, name: 'd' }), "Dense 'd': useBias must be true or false, got 0");
    expectConvlensError(() => new Dense({ units: 1, trainable: 'no' as never }), 'Dense: trainable must be true or false, got "no"');
    // set after construction too (Keras' `layer.trainable = False`); a model checks before freezing any of its layers
    const dense = new Dense({ units: 1, name: 'd' });
    expectConvlensError(() => {
      dense.trainable = 'false' as never;
    }, 'Dense \'d\': trainable must be true or false, got "false"');
    expect(dense.trainable).toBe(true);
    const base = new Sequential([dense], { name: 'base' });
    expectConvlensError(() => {
      base.trainable = 0 as never;
    }, "Sequential 'base': trainable must be true or false, got 0");
    expect(dense.trainable).toBe(true);
    expectConvlensError(
      () => new Conv2D({ filters: Number.POSITIVE_INFINITY, kernelSize: 3, name: 'c' }),
      "Conv2D 'c': filters must be a positive integer, got Infinity",
    );
    expectConvlensError(() => new Dense({ units: Number.NaN, name: 'd' }), "Dense 'd': units must be a positive integer, got NaN");
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: [3, Number.NaN], name: 'c' }),
      "Conv2D 'c': kernelSize must be positive integers (n or [h, w]), got [3, NaN]",
    );
    expectConvlensError(() => new Dropout(Number.NaN), /Dropout 'dropout': rate must be a number in \[0, 1\), got NaN/);
    expectConvlensError(
      () => new Dense({ units: 1, inputShape: [Number.POSITIVE_INFINITY], name: 'd' }),
      "Dense 'd': inputShape must be a list of positive integers or null (a free size), got [Infinity]",
    );
  });
});

describe('layer options: sparse lists', () => {
  // every() skips holes, so these passed as settings and failed at predict naming 'tensor' and a NaN shape
  it.each([
    [
      'Conv2D kernelSize',
      () => new Conv2D({ filters: 1, kernelSize: sparse(2, { 0: 2 }) }),
      /^Conv2D '.*': kernelSize must be positive integers \(n or \[h, w\]\), got \[2, \]$/,
    ],
    [
      'MaxPool2D poolSize',
      () => new MaxPool2D({ poolSize: sparse(2, { 0: 2 }) }),
      /^MaxPooling2D '.*': poolSize must be positive integers/,
    ],
    [
      'Conv2D inputShape',
      () => new Conv2D({ filters: 1, kernelSize: 2, inputShape: sparse(3, { 0: 4, 2: 1 }) }),
      /^Conv2D '.*': inputShape must be a list of positive integers or null/,
    ],
    [
      'Reshape targetShape',
      () => new Reshape({ targetShape: sparse(2, { 0: 16 }) }),
      /^Reshape '.*': targetShape must be a list of positive whole numbers/,
    ],
  ])('%s with a hole is refused when the layer is made', (_, fn, message) => expectConvlensError(fn, message));
});

import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  Activation,
  Add,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  Functional,
  GlobalAveragePooling2D,
  Input,
  input,
  type Layer,
  MaxPool2D,
  model,
  resetNames,
  type SymbolicTensor,
} from './index.js';

beforeEach(() => resetNames());

/**
 * One graph written once and built with both APIs: convlens' `Input`/`apply`/`model` and tfjs'
 * `tf.input`/`apply`/`tf.model`, the layers made from the same options (the two APIs' option
 * names agree). Each step is [layer name, layer kind, options, the names of its inputs].
 */
type Step = [name: string, kind: keyof typeof KINDS, options: Record<string, unknown>, inputs: string[]];

const KINDS = {
  Conv2D: [(o: object) => new Conv2D(o as never), (o: object) => tfl.layers.conv2d(o as never)],
  BatchNormalization: [(o: object) => new BatchNormalization(o), (o: object) => tfl.layers.batchNormalization(o)],
  Activation: [(o: object) => new Activation(o as never), (o: object) => tfl.layers.activation(o as never)],
  Add: [(o: object) => new Add(o), (o: object) => tfl.layers.add(o)],
  Concatenate: [(o: object) => new Concatenate(o), (o: object) => tfl.layers.concatenate(o)],
  MaxPool2D: [(o: object) => new MaxPool2D(o), (o: object) => tfl.layers.maxPooling2d(o)],
  GlobalAveragePooling2D: [(o: object) => new GlobalAveragePooling2D(o), (o: object) => tfl.layers.globalAveragePooling2d(o)],
  Flatten: [(o: object) => new Flatten(o), (o: object) => tfl.layers.flatten(o)],
  Dense: [(o: object) => new Dense(o as never), (o: object) => tfl.layers.dense(o as never)],
} as const;

function buildBoth(shape: number[], steps: Step[], output: string) {
  const ourTensors = new Map<string, SymbolicTensor>([['image', Input({ shape, name: 'image' })]]);
  const theirTensors = new Map<string, tfl.SymbolicTensor>([['image', tfl.input({ shape, name: 'image' })]]);
  for (const [name, kind, options, inputs] of steps) {
    const [makeOurs, makeTheirs] = KINDS[kind];
    const ourInputs = inputs.map((i) => ourTensors.get(i)!);
    const theirInputs = inputs.map((i) => theirTensors.get(i)!);
    ourTensors.set(name, (makeOurs({ ...options, name }) as Layer).apply(ourInputs.length === 1 ? ourInputs[0] : ourInputs));
    theirTensors.set(
      name,
      makeTheirs({ ...options, name }).apply(theirInputs.length === 1 ? theirInputs[0] : theirInputs) as tfl.SymbolicTensor,
    );
  }
  const ours = model({ inputs: ourTensors.get('image')!, outputs: ourTensors.get(output)!, name: 'built' });
  const theirs = tfl.model({ inputs: theirTensors.get('image')!, outputs: theirTensors.get(output)!, name: 'built' });
  return { ours, theirs, ourTensors, theirTensors };
}

/** tfjs' random weights, copied into convlens' layers by layer name (moving variances positive). */
function sameRandomWeights(ours: Functional, theirs: tfl.LayersModel, seed: number): void {
  const rng = caseRng('functional api', seed);
  const range = (name: string): [number, number] => (name.includes('moving_variance') ? [0.5, 1.5] : [-0.5, 0.5]);
  theirs.setWeights(theirs.weights.map((w) => tf.tensor(f32(rng, w.shape as number[], ...range(w.name)).data, w.shape as number[])));
  for (const layer of ours.layers) {
    const byName = new Map(theirs.getLayer(layer.name).weights.map((w) => [w.originalName, w.read()]));
    layer.setWeights(layer.weights.map((w) => new Tensor(byName.get(w.name)!.dataSync() as Float32Array, w.shape, 'float32')));
  }
}

const RESIDUAL: Step[] = [
  ['conv_a', 'Conv2D', { filters: 4, kernelSize: 3, padding: 'same' }, ['image']],
  ['bn_a', 'BatchNormalization', {}, ['conv_a']],
  ['relu_a', 'Activation', { activation: 'relu' }, ['bn_a']],
  ['conv_b', 'Conv2D', { filters: 4, kernelSize: 3, padding: 'same' }, ['relu_a']],
  ['add_1', 'Add', {}, ['conv_b', 'image']],
  ['out_relu', 'Activation', { activation: 'relu' }, ['add_1']],
  ['pool', 'GlobalAveragePooling2D', {}, ['out_relu']],
  ['classes', 'Dense', { units: 3, activation: 'softmax' }, ['pool']],
];

const INCEPTION: Step[] = [
  ['b1', 'Conv2D', { filters: 3, kernelSize: 1, activation: 'relu' }, ['image']],
  ['b2', 'Conv2D', { filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }, ['image']],
  ['b3_pool', 'MaxPool2D', { poolSize: 3, strides: 1, padding: 'same' }, ['image']],
  ['b3', 'Conv2D', { filters: 2, kernelSize: 1 }, ['b3_pool']],
  ['mixed', 'Concatenate', {}, ['b1', 'b2', 'b3']],
  ['flat', 'Flatten', {}, ['mixed']],
  ['classes', 'Dense', { units: 2, activation: 'softmax' }, ['flat']],
];

describe('the functional API: Input, a layer applied to symbolic tensors, model', () => {
  it('builds a ResNet-style block as tfjs builds it: the same layers, shapes, parameters and predictions', () => {
    const { ours, theirs, ourTensors, theirTensors } = buildBoth([8, 8, 4], RESIDUAL, 'classes');
    expect(ours).toBeInstanceOf(Functional);
    expect(ours.layers.map((l) => [l.name, l.className])).toEqual(theirs.layers.slice(1).map((l) => [l.name, l.getClassName()]));
    for (const [name, t] of ourTensors) expect(t.shape, name).toEqual(theirTensors.get(name)!.shape);
    expect(ours.countParams()).toBe(theirs.countParams());
    expect(ours.inputName).toBe('image');
    sameRandomWeights(ours, theirs, 0);
    const x = f32(caseRng('functional api x', 0), [3, 8, 8, 4]);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    expect(ours.summary(null)).toContain('add_1 (Add)');
  });

  it('builds an Inception-style block (an input several layers take, Concatenate) that trains as tfjs trains it', async () => {
    const { ours, theirs } = buildBoth([6, 6, 2], INCEPTION, 'classes');
    sameRandomWeights(ours, theirs, 1);
    const rng = caseRng('functional api fit', 1);
    const x = f32(rng, [8, 6, 6, 2]);
    const y = new Tensor(
      Float32Array.from({ length: 16 }, (_, i) => (i % 2 === (Math.floor(i / 2) % 3) % 2 ? 1 : 0)),
      [8, 2],
      'float32',
    );
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const history = await ours.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false });
    const expected = await theirs.fit(tfOf(x), tfOf(y), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    for (const layer of ours.layers) {
      const byName = new Map(theirs.getLayer(layer.name).weights.map((w) => [w.originalName, w.read().dataSync()]));
      for (const w of layer.weights) expectClose(w.value, byName.get(w.name)!, 1e-5, w.name);
    }
  });

  it('saves a model tfjs-layers opens and predicts with as convlens does', async () => {
    const { ours } = buildBoth([6, 6, 2], INCEPTION, 'classes');
    const { modelJson, weightData } = ours.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    const x = f32(caseRng('functional api save', 0), [2, 6, 6, 2]);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict after loading in tfjs');
  });

  it("lists the layers in Keras' and tfjs' order (deepest first, then as a walk from the output meets them), leaving out layers the output does not need", () => {
    const image = input({ shape: [4, 4, 1] });
    const unused = new Conv2D({ filters: 1, kernelSize: 1, name: 'unused' }).apply(image);
    const late = new Conv2D({ filters: 2, kernelSize: 1, name: 'late' });
    const early = new Conv2D({ filters: 2, kernelSize: 1, name: 'early' }).apply(image);
    const sum = new Add({ name: 'sum' }).apply([late.apply(image), early]);
    const m = model({ inputs: [image], outputs: [sum] });
    expect(m.layers.map((l) => l.name)).toEqual(['late', 'early', 'sum']);
    expect(m.inputName).toBe('input_layer');
    expect(unused.shape).toEqual([null, 4, 4, 1]);
    expect(String(sum)).toBe("SymbolicTensor 'sum' of shape [null, 4, 4, 2]");
    // branches of different lengths, an output several layers take, merges taking their inputs in any order: as tfjs lists them
    const graphs: Step[][] = [
      [
        ['a1', 'Conv2D', { filters: 2, kernelSize: 1 }, ['image']],
        ['b1', 'Conv2D', { filters: 2, kernelSize: 1 }, ['image']],
        ['b2', 'Conv2D', { filters: 2, kernelSize: 1 }, ['b1']],
        ['b3', 'Activation', { activation: 'relu' }, ['b2']],
        ['c1', 'MaxPool2D', { poolSize: 1, strides: 1 }, ['a1']],
        ['m1', 'Add', {}, ['c1', 'b3', 'a1']],
        ['m2', 'Concatenate', {}, ['b1', 'm1', 'image']],
        ['flat', 'Flatten', {}, ['m2']],
      ],
      [
        ['x', 'Conv2D', { filters: 2, kernelSize: 1 }, ['image']],
        ['y', 'Activation', { activation: 'tanh' }, ['x']],
        ['z', 'Activation', { activation: 'relu' }, ['x']],
        ['yz', 'Add', {}, ['z', 'y']],
        ['w', 'BatchNormalization', {}, ['yz']],
        ['out', 'Concatenate', {}, ['w', 'y', 'x']],
      ],
    ];
    for (const [i, steps] of graphs.entries()) {
      const { ours, theirs } = buildBoth([4, 4, 2], steps, steps.at(-1)![0]);
      expect(
        ours.layers.map((l) => l.name),
        `graph ${i}`,
      ).toEqual(theirs.layers.slice(1).map((l) => l.name));
    }
  });

  it('a merge layer applied eagerly to a list of batches merges them', () => {
    const rng = caseRng('functional api eager', 0);
    const [a, b] = [f32(rng, [2, 3]), f32(rng, [2, 3])];
    const sum = new Add().apply([a, b]);
    expectClose(
      sum,
      a.data.map((v, i) => v + b.data[i]),
      0,
      'a + b',
    );
  });

  it('refuses what it cannot build, naming the problem', () => {
    const image = Input({ shape: [6, 6, 2], name: 'image' });
    const other = Input({ shape: [6, 6, 2], name: 'other' });
    const conv = new Conv2D({ filters: 2, kernelSize: 3, name: 'conv' });
    const out = conv.apply(image);
    expectConvlensError(
      () => Input({ shape: [6, -1] }),
      'Input: shape must be a list of positive integers or null (a free size), one example without the batch axis, got [6, -1]',
    );
    expectConvlensError(
      () => Input({ shape: [2], name: 'two words' }),
      `Input: name must be a letter or digit, then letters, digits, '-', '.', '_' or '/' (as TensorFlow names weights), got "two words"`,
    );
    expectConvlensError(() => Input({ shape: [2], shap: 1 } as never), "Input: unknown option 'shap' (did you mean 'shape'?)");
    expectConvlensError(
      () => model({ inputs: image, outputs: image }),
      "model: the output 'image' is an input itself; apply at least one layer to it",
    );
    expectConvlensError(
      () => model({ inputs: out, outputs: out }),
      "model: inputs must be what Input returns, got the output of layer 'conv'",
    );
    expectConvlensError(
      () => model({ inputs: [image, other], outputs: out }),
      "model: the input 'other' (shape (None, 6, 6, 2)) does not lead to any output ('conv'): the graph is disconnected",
    );
    expectConvlensError(
      () => model({ inputs: image, outputs: [] }),
      /^model: outputs must be a symbolic tensor \(from a layer's apply\) or a non-empty list of them, got /,
    );
    expectConvlensError(
      () => model({ inputs: image, outputs: f32(caseRng('x', 0), [1, 2]) as never }),
      /^model: outputs must be a symbolic tensor \(from a layer's apply\) or a non-empty list of them, got /,
    );
    expectConvlensError(
      () => model({ inputs: other, outputs: out }),
      "model: the output 'conv' depends on the input 'image', which is not among the model's inputs ('other'): it cannot be computed from them",
    );
    expectConvlensError(
      () => new Conv2D({ filters: 1, kernelSize: 1, name: 'pair' }).apply([image, other]),
      'pair (Conv2D): takes one input, but is given 2 (image, other); merge them first (Add, Concatenate, ...)',
    );
    expectConvlensError(
      () => new Add({ name: 'sum' }).apply([out, image]),
      'sum (Add): inputs of shapes (None, 4, 4, 2), (None, 6, 6, 2) do not match (each axis must be equal, or 1 in all but one)',
    );
    expectConvlensError(
      () => new Dense({ units: 2, inputShape: [5], name: 'dense' }).apply(Input({ shape: [4], name: 'four' })),
      'dense (Dense): expects input (None, 5) but four outputs (None, 4)',
    );
    expectConvlensError(
      () => conv.apply([f32(caseRng('x', 1), [1, 6, 6, 2]), f32(caseRng('x', 2), [1, 6, 6, 2])]),
      'conv (Conv2D): takes one input, but apply is given 2 tensors',
    );
    expectConvlensError(
      () => conv.apply([image, f32(caseRng('x', 3), [1, 6, 6, 2])] as never),
      /^conv \(Conv2D\): apply takes a tensor, a symbolic tensor \(from Input or a layer's apply\), or a list of either, got /,
    );
  });

  it('refuses a second argument apply would drop: a merge given apply(a, b), a training flag on symbolic tensors, tfjs-style { training }', () => {
    const a = Input({ shape: [4], name: 'a' });
    const b = Input({ shape: [4], name: 'b' });
    // a merge of a alone, b silently dropped, before
    expectConvlensError(
      () => (new Add({ name: 'sum' }).apply as (x: unknown, y: unknown) => unknown)(a, b),
      "sum (Add): apply on symbolic tensors takes no second argument, got a SymbolicTensor; a merge layer's inputs go in one list: apply([a, b])",
    );
    // Keras' layer(x, training=True) fixes the mode in the model; convlens would have ignored it
    expectConvlensError(
      () => (new Dropout({ rate: 0.5, name: 'drop' }).apply as (x: unknown, y: unknown) => unknown)(a, true),
      'drop (Dropout): apply on symbolic tensors takes no second argument, got true; a model runs its layers in inference mode in predict and in training mode in fit',
    );
    const rng = caseRng('functional api apply args', 0);
    const x = f32(rng, [2, 4]);
    // an object is truthy: { training: false } ran the dropout in training mode
    const dropout = new Dropout({ rate: 0.5, name: 'dropout' });
    expectConvlensError(
      () => dropout.apply(x, { training: false } as never),
      "dropout (Dropout): apply's training must be true or false, got { training: false } (tfjs' apply(x, { training }) is apply(x, training) here)",
    );
    expectConvlensError(
      () => new Add({ name: 'eager_sum' }).apply(x, f32(rng, [2, 4]) as never),
      "eager_sum (Add): apply's training must be true or false, got a Tensor (a merge layer's inputs go in one list: apply([a, b]))",
    );
    expectClose(dropout.apply(x, false), x.data, 0, 'inference');
    expectClose(dropout.apply(x, undefined), x.data, 0, 'inference by default');
  });

  it('names another Input of the same name as the one the output depends on', () => {
    const first = Input({ shape: [4], name: 'image' });
    const second = Input({ shape: [4], name: 'image' });
    expectConvlensError(
      () => model({ inputs: second, outputs: new Add().apply([first, second]) }),
      "model: the output 'add' depends on another Input named 'image' too, which is not among the model's inputs ('image'): it cannot be computed from them",
    );
  });
});

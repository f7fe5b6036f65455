import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { showFeatureMaps } from '../viz/feature_maps.js';
import {
  Add,
  BatchNormalization,
  Conv2D,
  Dense,
  type Functional,
  GlobalAveragePooling2D,
  Input,
  type LayerOutputsOptions,
  MaxPool2D,
  model,
  RandomFlip,
  RandomRotation,
  Rescaling,
  resetNames,
  Sequential,
} from './index.js';
import { outputLabel } from './layer_paths.js';

beforeEach(() => resetNames());
afterEach(() => vi.restoreAllMocks());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;
const SHAPE = [12, 12, 3];

/** tfjs' `keras.Model(inner.inputs, inner.get_layer(name).output)`: a nested model's layer as an output of that model. */
const upTo = (inner: tfl.LayersModel, name: string) =>
  tfl.model({ inputs: inner.inputs, outputs: inner.getLayer(name).output as tfl.SymbolicTensor });

const predicted = (net: tfl.LayersModel, x: tf.Tensor) => net.predict(x) as tf.Tensor;

/**
 * The Keras tutorials' transfer-learning classifier: augmentation, Rescaling, then a base that
 * nests another model (a block), then the head.
 */
function tutorialNet(rng: Rng): Sequential {
  const augmentation = new Sequential(
    [new RandomFlip('horizontal', { inputShape: SHAPE, name: 'flip' }), new RandomRotation(0.1, { name: 'rotation' })],
    { name: 'augmentation' },
  );
  const block = new Sequential(
    [new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', name: 'deep' }), new BatchNormalization({ name: 'deep_bn' })],
    { name: 'block' },
  );
  const base = new Sequential(
    [
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: SHAPE, name: 'conv2d' }),
      new MaxPool2D({ name: 'pool' }),
      block,
    ],
    { name: 'base' },
  );
  const net = new Sequential(
    [
      augmentation,
      new Rescaling(1 / 255, { name: 'rescaling' }),
      base,
      new GlobalAveragePooling2D({ name: 'gap' }),
      new Dense({ units: 2, name: 'classes' }),
    ],
    { name: 'net' },
  );
  randomizeWeights(net, rng);
  return net;
}

/** The same classifier built with tfjs-layers (no augmentation: tfjs has none, and at inference it is the identity), with our weights. */
function tfjsTutorialNet(ours: Sequential): { net: tfl.Sequential; base: tfl.Sequential; block: tfl.Sequential } {
  const block = tfl.sequential({
    name: 'block',
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'deep', inputShape: [6, 6, 4] }),
      tfl.layers.batchNormalization({ name: 'deep_bn' }),
    ],
  });
  const base = tfl.sequential({
    name: 'base',
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2d', inputShape: SHAPE }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      block,
    ],
  });
  const net = tfl.sequential({
    layers: [
      tfl.layers.rescaling({ scale: 1 / 255, inputShape: SHAPE, name: 'rescaling' }),
      base,
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 2, name: 'classes' }),
    ],
  });
  // each layer's weights, found through the models that hold it (Keras' get_layer at each level)
  const ourBase = ours.getLayer('base') as Sequential;
  const ourBlock = ourBase.getLayer('block') as Sequential;
  for (const [theirs, mine] of [
    [base.getLayer('conv2d'), ourBase.getLayer('conv2d')],
    [block.getLayer('deep'), ourBlock.getLayer('deep')],
    [block.getLayer('deep_bn'), ourBlock.getLayer('deep_bn')],
    [net.getLayer('classes'), ours.getLayer('classes')],
  ] as const) {
    theirs.setWeights(mine.getWeights().map(tfOf));
  }
  return { net, base, block };
}

describe('layers inside nested models, by path', () => {
  it("layerOutputs({ expandNested: true }): each nested layer's output, the outer Rescaling in front and the augmentation passing through, as tfjs-layers computes it", () => {
    const rng = caseRng('nested layer outputs', 0);
    const ours = tutorialNet(rng);
    const theirs = tfjsTutorialNet(ours);
    const images = f32(rng, [2, ...SHAPE], 0, 255);
    const forward = vi.spyOn(Conv2D.prototype, 'forward');
    const outputs = ours.layerOutputs(images, { expandNested: true });
    // each convolution computed once, at any depth (running each nested model again for its layers made five passes)
    expect(forward).toHaveBeenCalledTimes(2);
    expect(outputs.map((o) => o.path)).toEqual([
      'augmentation',
      'augmentation/flip',
      'augmentation/rotation',
      'rescaling',
      'base',
      'base/conv2d',
      'base/pool',
      'base/block',
      'base/block/deep',
      'base/block/deep_bn',
      'gap',
      'classes',
    ]);
    const at = (path: string) => outputs.find((o) => o.path === path)!.output;
    const rescaled = theirs.net.getLayer('rescaling').apply(tfOf(images)) as tf.Tensor;
    const pooled = predicted(upTo(theirs.base, 'pool'), rescaled);
    const expected: [string, tf.Tensor][] = [
      ['base/conv2d', predicted(upTo(theirs.base, 'conv2d'), rescaled)],
      ['base/pool', pooled],
      ['base/block/deep', predicted(upTo(theirs.block, 'deep'), pooled)],
      // inference mode: the moving statistics, not the batch's
      ['base/block/deep_bn', predicted(upTo(theirs.block, 'deep_bn'), pooled)],
      ['classes', predicted(theirs.net, tfOf(images))],
    ];
    for (const [path, theirOutput] of expected) {
      expect(at(path).shape, path).toEqual(theirOutput.shape);
      expectClose(at(path), theirOutput.dataSync(), 1e-5, path);
    }
    // a model's entry is its output, its own layers' entries are those without expandNested
    expect(at('base').data).toEqual(at('base/block/deep_bn').data);
    const own = ours.layerOutputs(images);
    expect(own.map((o) => o.path)).toEqual(['augmentation', 'rescaling', 'base', 'gap', 'classes']);
    for (const o of own) expect(o.output.data, o.path).toEqual(at(o.path).data);
  });

  it('in a functional model holding a functional base (a branch and an Add inside), as tfjs-layers computes it', () => {
    const rng = caseRng('nested functional layer outputs', 0);
    const baseInput = Input({ shape: SHAPE, name: 'base_input' });
    const a = new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_a' }).apply(baseInput);
    const b = new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_b' }).apply(a);
    const base = model({ inputs: baseInput, outputs: new Add({ name: 'sum' }).apply([a, b]), name: 'base' });
    const inputs = Input({ shape: SHAPE, name: 'image' });
    const features = base.apply(new Rescaling(1 / 127.5, { offset: -1, name: 'scale' }).apply(inputs));
    const ours = model({ inputs, outputs: new GlobalAveragePooling2D({ name: 'gap' }).apply(features), name: 'net' });
    randomizeWeights(ours, rng);

    const tBaseInput = tfl.input({ shape: SHAPE });
    const tA = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_a' }), tBaseInput);
    const tB = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_b' }), tA);
    const tBase = tfl.model({ inputs: tBaseInput, outputs: tfl.layers.add().apply([tA, tB]) as tfl.SymbolicTensor });
    for (const name of ['conv_a', 'conv_b']) tBase.getLayer(name).setWeights(base.getLayer(name).getWeights().map(tfOf));
    const scale = tfl.layers.rescaling({ scale: 1 / 127.5, offset: -1 });

    const images = f32(rng, [2, ...SHAPE], 0, 255);
    const scaled = scale.apply(tfOf(images)) as tf.Tensor;
    const outputs = ours.layerOutputs(images, { expandNested: true });
    expect(outputs.map((o) => o.path)).toEqual(['scale', 'base', 'base/conv_a', 'base/conv_b', 'base/sum', 'gap']);
    for (const name of ['conv_a', 'conv_b']) {
      const path = `base/${name}`;
      expectClose(outputs.find((o) => o.path === path)!.output, predicted(upTo(tBase, name), scaled).dataSync(), 1e-5, path);
    }
    expect(ours.getLayer('base/conv_b')).toBe(base.getLayer('conv_b'));
  });

  it('getLayer takes a path at any depth; a name that has a / itself is matched whole first; an index counts the model’s own layers', () => {
    const net = tutorialNet(caseRng('nested getLayer', 0));
    const base = net.getLayer('base') as Sequential;
    const block = base.getLayer('block') as Sequential;
    expect(net.getLayer('base/conv2d')).toBe(base.getLayer('conv2d'));
    expect(net.getLayer('base/block/deep_bn')).toBe(block.getLayer('deep_bn'));
    expect(base.getLayer('block/deep')).toBe(block.getLayer('deep'));
    expect(net.getLayer(2)).toBe(base);
    const slashed = new Conv2D({ filters: 1, kernelSize: 1, name: 'base/conv2d', inputShape: SHAPE });
    const inner = new Sequential([new Conv2D({ filters: 1, kernelSize: 1, name: 'conv2d' })], { name: 'base' });
    const both = new Sequential([slashed, inner]);
    expect(both.getLayer('base/conv2d')).toBe(slashed);
  });

  it('an unknown name or path is a ConvlensError naming the close paths, the layers and those in nested models', () => {
    const net = tutorialNet(caseRng('nested bad names', 0));
    const inside = 'augmentation/flip, augmentation/rotation, base/conv2d, base/pool, base/block, base/block/deep, base/block/deep_bn';
    // the nested layer's own name, without its model's
    expectConvlensError(
      () => net.getLayer('conv2d'),
      `getLayer: no layer named "conv2d"; did you mean "base/conv2d"? (layers: augmentation, rescaling, base, gap, classes; in nested models: ${inside})`,
    );
    expectConvlensError(() => net.getLayer('base/conv2'), /^getLayer: no layer named "base\/conv2"; did you mean "base\/conv2d"\?/);
    expectConvlensError(() => net.getLayer('bse/block/dep'), /did you mean "base\/block\/deep"\?/);
    expectConvlensError(() => net.getLayer('deep'), /did you mean "base\/block\/deep"\?/);
    expectConvlensError(
      () => net.getLayer('classifier_head'),
      `getLayer: no layer named "classifier_head" (layers: augmentation, rescaling, base, gap, classes; in nested models: ${inside})`,
    );
    // a path through a layer that is no model
    expectConvlensError(() => net.getLayer('gap/conv2d'), /^getLayer: no layer named "gap\/conv2d"; did you mean "base\/conv2d"\?/);
    const x = f32(caseRng('nested bad options', 0), [1, ...SHAPE]);
    expectConvlensError(
      () => net.layerOutputs(x, { expandNested: 'yes' } as unknown as LayerOutputsOptions),
      'layerOutputs: expandNested must be true or false, got "yes"',
    );
    expectConvlensError(
      () => net.layerOutputs(x, { nested: true } as unknown as LayerOutputsOptions),
      "layerOutputs: unknown option 'nested' (expected one of expandNested)",
    );
  });
});

describe('a shared nested model, by path', () => {
  /** block(block(x)): a Sequential of a convolution and a 1×1 one back to one channel, applied to its own output, then pooled. */
  function twiceApplied(rng: Rng): { ours: Functional; theirBlock: tfl.Sequential } {
    const block = new Sequential(
      [
        new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [10, 10, 1], name: 'conv' }),
        new Conv2D({ filters: 1, kernelSize: 1, name: 'mix' }),
      ],
      { name: 'block' },
    );
    const x = Input({ shape: [10, 10, 1], name: 'pixels' });
    const ours = model({ inputs: x, outputs: new GlobalAveragePooling2D({ name: 'gap' }).apply(block.apply(block.apply(x))), name: 'net' });
    randomizeWeights(ours, rng);
    const theirBlock = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [10, 10, 1], name: 'conv' }),
        tfl.layers.conv2d({ filters: 1, kernelSize: 1, name: 'mix' }),
      ],
      name: 'block',
    });
    theirBlock.setWeights(block.getWeights().map(tfOf));
    return { ours, theirBlock };
  }

  it("layerOutputs names each application's layers under it ('block[1]/conv'), each computed once, as tfjs-layers computes them", () => {
    const rng = caseRng('shared model paths', 0);
    const { ours, theirBlock } = twiceApplied(rng);
    const x = f32(rng, [2, 10, 10, 1]);
    const forward = vi.spyOn(Conv2D.prototype, 'forward');
    const outputs = ours.layerOutputs(x, { expandNested: true });
    // two convolutions, applied twice: four passes (running the nested model again for its layers made eight)
    expect(forward).toHaveBeenCalledTimes(4);
    expect(outputs.map(outputLabel)).toEqual(['block', 'block/conv', 'block/mix', 'block[1]', 'block[1]/conv', 'block[1]/mix', 'gap']);
    const at = (label: string) => outputs.find((o) => outputLabel(o) === label)!.output;
    const first = predicted(theirBlock, tfOf(x));
    const expected: [string, tf.Tensor][] = [
      ['block/conv', predicted(upTo(theirBlock, 'conv'), tfOf(x))],
      ['block', first],
      ['block[1]/conv', predicted(upTo(theirBlock, 'conv'), first)],
      ['block[1]/mix', predicted(theirBlock, first)],
    ];
    for (const [label, theirOutput] of expected) expectClose(at(label), theirOutput.dataSync(), 1e-5, label);
    expect(at('block[1]').data).toEqual(at('block[1]/mix').data);
    // the same layer object in each application
    expect(outputs.filter((o) => o.path.endsWith('/conv')).map((o) => o.layer)).toEqual([
      ours.getLayer('block/conv'),
      ours.getLayer('block/conv'),
    ]);
  });

  it("showFeatureMaps draws a layer of a later application ('block[1]/conv'), and names an application the model does not have", () => {
    const rng = caseRng('shared model paths', 1);
    const { ours } = twiceApplied(rng);
    const image = f32(rng, [10, 10, 1]);
    expect(showFeatureMaps(ours, image, 'block[1]/conv', { rows: 1 }).svg).toContain('layer block[1]/conv (Conv2D)');
    expect(showFeatureMaps(ours, image, 'block/conv', { rows: 1 }).svg).toContain('layer block/conv (Conv2D)');
    expect(showFeatureMaps(ours, image, 'block[1]', { rows: 1 }).svg).toContain('layer block[1] (Sequential)');
    expectConvlensError(
      () => showFeatureMaps(ours, image, 'block[2]'),
      "showFeatureMaps: layer 'block' is applied 2 times, so has no application 2 (counting from 0)",
    );
    expectConvlensError(
      () => showFeatureMaps(ours, image, 'block[2]/conv'),
      "showFeatureMaps: layer 'block' is applied 2 times, so has no application 2 (counting from 0)",
    );
    expectConvlensError(() => showFeatureMaps(ours, image, 'block[1]/nope'), /^getLayer: no layer named "block\[1\]\/nope"/);
  });
});

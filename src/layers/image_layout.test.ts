import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { transpose } from '../ops/transpose.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Functional } from './functional.js';
import {
  Activation,
  Add,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  GlobalAveragePooling2D,
  Input,
  MaxPool2D,
  model,
  RandomFlip,
  ReLU,
  Rescaling,
  rescalesItsInput,
  resetNames,
  Sequential,
} from './index.js';
import type { LayerOutput } from './layer_paths.js';

beforeEach(() => resetNames());

const CF = { dataFormat: 'channels_first' } as const;

/** Each output's label and layout, as layerOutputs gives them. */
const layouts = (outputs: LayerOutput[]) => outputs.map((o) => [o.path, o.dataFormat]);

/** tfjs' output at every layer named in `names` of its channels-last model for the NHWC batch `x`. */
function theirOutputs(theirs: tfl.LayersModel, names: string[], x: Tensor): Map<string, Float32Array> {
  const upTo = tfl.model({ inputs: theirs.inputs, outputs: names.map((n) => theirs.getLayer(n).output as tfl.SymbolicTensor) });
  const ys = upTo.predict(tfOf(x)) as tf.Tensor[];
  return new Map(names.map((n, i) => [n, ys[i].dataSync() as Float32Array]));
}

/** Our layers' weights into tfjs' layers of the same names (tfjs lists a model's moving statistics after all trainable weights). */
function copyWeights(ours: Sequential | Functional, theirs: tfl.LayersModel): void {
  for (const layer of ours.layers) theirs.getLayer(layer.name).setWeights(layer.getWeights().map(tfOf));
}

/** Channels-first maps [1, C, H, W] as channels-last ones [1, H, W, C]. */
const nhwc = (t: Tensor) => transpose(t, [0, 2, 3, 1]);

describe('the layout of every layer output (layerOutputs, inputDataFormat)', () => {
  it('a Sequential: Rescaling before the first convolution is in the input layout, BatchNormalization(axis 1), ReLU and Dropout after it channels-first; the maps are those of the channels-last model with the same weights (tfjs)', () => {
    const ours = new Sequential([
      new Rescaling(1 / 2, { inputShape: [3, 8, 7], name: 'scale' }),
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv', ...CF }),
      new BatchNormalization({ axis: 1, name: 'bn' }),
      new ReLU({ name: 'relu' }),
      new Dropout(0.5, { name: 'drop' }),
      new MaxPool2D({ poolSize: 2, name: 'pool', ...CF }),
      new Flatten({ name: 'flat', ...CF }),
      new Dense({ units: 2, name: 'dense' }),
    ]);
    randomizeWeights(ours, caseRng('layout sequential', 0));
    expect(ours.inputDataFormat).toBe('channels_first');
    const x = f32(caseRng('layout sequential', 1), [1, 3, 8, 7], 0, 2);
    const outputs = ours.layerOutputs(x);
    const maps = ['scale', 'conv', 'bn', 'relu', 'drop', 'pool'];
    expect(layouts(outputs)).toEqual([...maps.map((n) => [n, 'channels_first']), ['flat', undefined], ['dense', undefined]]);
    // the same network channels-last, in tfjs (whose BatchNormalization(axis 1) is wrong on its CPU backend)
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.rescaling({ scale: 1 / 2, inputShape: [8, 7, 3], name: 'scale' }),
        tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }),
        tfl.layers.batchNormalization({ name: 'bn' }),
        tfl.layers.reLU({ name: 'relu' }),
        tfl.layers.dropout({ rate: 0.5, name: 'drop' }),
        tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
        tfl.layers.flatten({ name: 'flat' }),
        tfl.layers.dense({ units: 2, name: 'dense' }),
      ],
    });
    copyWeights(ours, theirs);
    const expected = theirOutputs(theirs, [...maps, 'dense'], nhwc(x));
    for (const o of outputs.filter((o) => o.dataFormat)) expectClose(nhwc(o.output), expected.get(o.path)!, 1e-5, o.path);
    expectClose(outputs.at(-1)!.output, expected.get('dense')!, 1e-5, 'dense');
  });

  it('the nearest image layer upstream decides: a channels-last convolution after a channels-first one gives channels-last maps', () => {
    const ours = new Sequential([
      new Conv2D({ filters: 5, kernelSize: 1, inputShape: [3, 4, 6], name: 'first', ...CF }),
      new Activation('relu', { name: 'act_first' }),
      new Conv2D({ filters: 2, kernelSize: 1, name: 'last' }),
      new Activation('relu', { name: 'act_last' }),
    ]);
    expect(ours.inputDataFormat).toBe('channels_first');
    expect(layouts(ours.layerOutputs(f32(caseRng('layout switch', 0), [1, 3, 4, 6])))).toEqual([
      ['first', 'channels_first'],
      ['act_first', 'channels_first'],
      ['last', 'channels_last'],
      ['act_last', 'channels_last'],
    ]);
    // no image layer at all: Keras' default
    expect(new Sequential([new Dense({ units: 2, inputShape: [3] })]).inputDataFormat).toBe('channels_last');
  });

  it('a functional model: Concatenate on axis 1 (the channels), Add, a nested Sequential (its layers by path) and its output; the maps are those of the channels-last model (tfjs)', () => {
    const input = Input({ shape: [3, 6, 6] });
    const scaled = new Rescaling(2, { name: 'scale' }).apply(input);
    const a = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', name: 'a', ...CF }).apply(scaled);
    const b = new Conv2D({ filters: 2, kernelSize: 1, name: 'b', ...CF }).apply(scaled);
    const joined = new Concatenate({ axis: 1, name: 'joined' }).apply([a, b]);
    const block = new Sequential(
      [new ReLU({ name: 'inner_relu' }), new Conv2D({ filters: 5, kernelSize: 3, padding: 'same', name: 'inner_conv', ...CF })],
      { name: 'block' },
    );
    const sum = new Add({ name: 'sum' }).apply([block.apply(joined), joined]);
    const pooled = new GlobalAveragePooling2D({ name: 'gap', ...CF }).apply(sum);
    const ours = model({ inputs: input, outputs: new Dense({ units: 2, name: 'dense' }).apply(pooled) });
    randomizeWeights(ours, caseRng('layout functional', 0));
    expect(ours.inputDataFormat).toBe('channels_first');
    const x = f32(caseRng('layout functional', 1), [1, 3, 6, 6]);
    const outputs = ours.layerOutputs(x, { expandNested: true });
    const maps = ['scale', 'a', 'b', 'joined', 'block', 'block/inner_relu', 'block/inner_conv', 'sum'];
    expect(layouts(outputs)).toEqual([...maps.map((n) => [n, 'channels_first']), ['gap', undefined], ['dense', undefined]]);
    expect(ours.outputLayout('channels_first')).toBe('channels_first');

    const theirInput = tfl.input({ shape: [6, 6, 3] });
    const apply = (layer: tfl.layers.Layer, t: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(t) as tfl.SymbolicTensor;
    const theirScaled = apply(tfl.layers.rescaling({ scale: 2, name: 'scale' }), theirInput);
    const theirA = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'a' }), theirScaled);
    const theirB = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b' }), theirScaled);
    const theirJoined = apply(tfl.layers.concatenate({ axis: -1, name: 'joined' }), [theirA, theirB]);
    const theirBlock = tfl.sequential({
      name: 'block',
      layers: [
        tfl.layers.reLU({ name: 'inner_relu', inputShape: [6, 6, 5] }),
        tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'inner_conv' }),
      ],
    });
    const theirSum = apply(tfl.layers.add({ name: 'sum' }), [apply(theirBlock, theirJoined), theirJoined]);
    const theirOutput = apply(
      tfl.layers.dense({ units: 2, name: 'dense' }),
      apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), theirSum),
    );
    const theirs = tfl.model({ inputs: theirInput, outputs: theirOutput });
    copyWeights(ours, theirs);
    const expected = theirOutputs(theirs, ['scale', 'a', 'b', 'joined', 'sum', 'dense'], nhwc(x));
    // the block's layers on tfjs' joined maps: its ReLU, and its convolution, whose output is the block's
    const theirJoinedMaps = tf.tensor(expected.get('joined')!, [1, 6, 6, 5]);
    expected.set('block/inner_relu', tf.relu(theirJoinedMaps).dataSync() as Float32Array);
    expected.set('block', (theirBlock.predict(theirJoinedMaps) as tf.Tensor).dataSync() as Float32Array);
    expected.set('block/inner_conv', expected.get('block')!);
    for (const o of outputs.filter((o) => o.dataFormat)) expectClose(nhwc(o.output), expected.get(o.path)!, 1e-5, o.path);
    expectClose(outputs.at(-1)!.output, expected.get('dense')!, 1e-5, 'dense');
  });
});

describe('rescalesItsInput: whether a model takes pixels as decoded (0..255)', () => {
  const conv = () => new Conv2D({ filters: 2, kernelSize: 3 });
  it('its first layer that changes an image is a Rescaling, past augmentation and into nested models', () => {
    const shape = { inputShape: [8, 8, 3] };
    expect(rescalesItsInput(new Sequential([new Rescaling({ scale: 1 / 255, ...shape }), conv()]))).toBe(true);
    expect(rescalesItsInput(new Sequential([new RandomFlip(shape), new Rescaling({ scale: 1 / 255 }), conv()]))).toBe(true);
    const augmentation = new Sequential([new RandomFlip(shape)]);
    expect(rescalesItsInput(new Sequential([augmentation, new Rescaling({ scale: 1 / 255 }), conv()]))).toBe(true);
    expect(rescalesItsInput(new Sequential([new Sequential([new Rescaling({ scale: 1 / 255, ...shape })]), conv()]))).toBe(true);
  });

  it('not when another layer comes first, or there is none', () => {
    expect(
      rescalesItsInput(new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, 3] }), new Rescaling({ scale: 2 })])),
    ).toBe(false);
    expect(rescalesItsInput(new Sequential([new RandomFlip({ inputShape: [8, 8, 3] })]))).toBe(false);
  });
});

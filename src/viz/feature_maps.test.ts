import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { BatchNormalization, Conv2D, Flatten, MaxPool2D, ReLU, Rescaling, Sequential } from '../layers/index.js';
import { expandDims } from '../ops/expand_dims.js';
import { transpose } from '../ops/transpose.js';
import { Tensor } from '../tensor/tensor.js';
import { showFeatureMaps } from './feature_maps.js';

const CF = { dataFormat: 'channels_first' } as const;

/** A convolution, BatchNormalization, ReLU and max pooling in `layout`, for RGB images of 10×12 (in that layout). */
function convnet(channelsFirst: boolean): Sequential {
  const format = channelsFirst ? CF : {};
  return new Sequential([
    new Conv2D({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      inputShape: channelsFirst ? [3, 10, 12] : [10, 12, 3],
      name: 'conv',
      ...format,
    }),
    new BatchNormalization({ axis: channelsFirst ? 1 : -1, name: 'bn' }),
    new ReLU({ name: 'relu' }),
    new MaxPool2D({ poolSize: 2, name: 'pool', ...format }),
    new Flatten({ name: 'flat', ...format }),
  ]);
}

const tags = (svg: string) => svg.match(/<image [^>]*>/g) ?? [];
/** Each tile's drawn width and height. */
const tileSizes = (svg: string) =>
  tags(svg).map((tag) => [/ width="([\d.]+)"/.exec(tag)![1], / height="([\d.]+)"/.exec(tag)![1]].map(Number));

describe('showFeatureMaps of a channels-first model', () => {
  const first = convnet(true);
  randomizeWeights(first, caseRng('feature maps channels-first', 0));
  // the same weights channels-last (a kernel and BatchNormalization's statistics are the same in both layouts)
  const last = convnet(false);
  last.setWeights(first.getWeights());
  const hwc = f32(caseRng('feature maps channels-first', 1), [10, 12, 3], 0, 1);
  const chw = transpose(hwc, [2, 0, 1]);

  it("draws a channels-first layer's [1, C, H, W] output as C maps of H×W: the channels-last model's figure, tile for tile", () => {
    for (const [layer, h, w] of [
      ['conv', 10, 12],
      ['relu', 10, 12],
      ['pool', 5, 6],
    ] as const) {
      const figure = showFeatureMaps(first, chw, layer, { rows: null, cols: 3 });
      expect(tags(figure.svg), layer).toHaveLength(5);
      // tiles as wide as the maps (W) against their height (H), their sizes written to 2 decimals
      for (const [tw, th] of tileSizes(figure.svg)) expect(tw / th, layer).toBeCloseTo(w / h, 3);
      expect(figure.svg, layer).toContain(`feature maps 0–4 of 5 · ${h}×${w} ·`);
      const reference = showFeatureMaps(last, hwc, layer, { rows: null, cols: 3 });
      expect([figure.width, figure.height]).toEqual([reference.width, reference.height]);
      expect(figure.svg, layer).toBe(reference.svg);
    }
  });

  it('takes the image as the model does, [C, H, W] or [1, C, H, W], and a gray [H, W] for one channel', () => {
    const whole = showFeatureMaps(first, chw, 'conv').svg;
    expect(showFeatureMaps(first, expandDims(chw, 0), 'conv').svg).toBe(whole);
    const gray = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [1, 8, 8], name: 'conv', ...CF })]);
    const grayLast = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1], name: 'conv' })]);
    grayLast.setWeights(gray.getWeights());
    const plane = f32(caseRng('feature maps channels-first', 2), [8, 8], 0, 1);
    expect(showFeatureMaps(gray, plane, 'conv').svg).toBe(showFeatureMaps(grayLast, plane, 'conv').svg);
    expectConvlensError(
      () => showFeatureMaps(first, f32(caseRng('feature maps channels-first', 3), [2, 3, 10, 12]), 'conv'),
      'showFeatureMaps: image must be [H, W], [C, H, W] or [1, C, H, W] (the model takes channels-first images), got shape [2, 3, 10, 12]',
    );
    // an image as decodeImage gives it, channels last: named, with the transpose that fixes it
    expectConvlensError(
      () => showFeatureMaps(first, hwc, 'conv'),
      'showFeatureMaps: the model takes channels-first images [3, H, W], got an image of shape [10, 12, 3] (channels last, as decodeImage gives it): transpose(image, [2, 0, 1]) puts its channels first',
    );
  });
});

describe('showFeatureMaps of a model that scales its own pixels', () => {
  it('takes a uint8 image as Keras feeds it (as float32, not divided by 255): the Rescaling scales it', () => {
    const model = new Sequential([
      new Rescaling({ scale: 1 / 255, inputShape: [8, 8, 1] }),
      new Conv2D({ filters: 2, kernelSize: 3, name: 'conv' }),
    ]);
    randomizeWeights(model, caseRng('feature maps rescaling', 0));
    const pixels = caseRng('feature maps rescaling', 1).ints(64, 0, 255);
    const decoded = new Tensor(Uint8Array.from(pixels), [8, 8], 'uint8');
    const cast = new Tensor(Float32Array.from(pixels), [8, 8], 'float32');
    expect(showFeatureMaps(model, decoded, 'conv').svg).toBe(showFeatureMaps(model, cast, 'conv').svg);
    const scaled = new Tensor(
      Float32Array.from(pixels, (v) => v / 255),
      [8, 8],
      'float32',
    );
    expect(showFeatureMaps(model, decoded, 'conv').svg).not.toBe(showFeatureMaps(model, scaled, 'conv').svg);
  });
});

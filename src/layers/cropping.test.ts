import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { type Borders2D, Conv2D, Cropping2D, Dense, Flatten, fromArtifacts, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

forEachBackend(() => {
  describe('Cropping2D against tfjs-layers', () => {
    const croppings: Borders2D[] = [
      1,
      [2, 0],
      [
        [0, 2],
        [1, 0],
      ],
    ];
    for (const [c, cropping] of croppings.entries()) {
      it(`cropping ${JSON.stringify(cropping)}: predict, fit and saving both ways match tfjs-layers' cropping2D`, async () => {
        setSeed(140 + c);
        const rng = caseRng('cropping', c);
        const ours = new Sequential([
          new Conv2D({ filters: 2, kernelSize: 2, inputShape: [7, 8, 1] }),
          new Cropping2D({ cropping }),
          new Conv2D({ filters: 2, kernelSize: 2, activation: 'relu' }),
          new Flatten(),
          new Dense({ units: 2, activation: 'softmax' }),
        ]);
        const theirs = tfl.sequential({
          layers: [
            tfl.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [7, 8, 1] }),
            tfl.layers.cropping2D({ cropping }),
            tfl.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' }),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 2, activation: 'softmax' }),
          ],
        });
        theirs.setWeights(ours.getWeights().map(tfOf));
        const x = f32(rng, [3, 7, 8, 1]);
        expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
        const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0), [3, 2], 'float32');
        await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 3, learningRate: 0.5 });
        const { modelJson, weightData } = ours.toArtifacts();
        expectClose(ours.predict(x), ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'in tfjs');
        const fromTfjs = await tfjsSaved(theirs);
        const loaded = fromArtifacts(fromTfjs.modelJson, fromTfjs.weightData);
        expect((loaded.getLayer(1) as Cropping2D).cropping).toEqual((ours.getLayer(1) as Cropping2D).cropping);
        expectClose(loaded.predict(x), ours.predict(x), 1e-6, 'tfjs → convlens');
      });
    }
  });
});

describe('Cropping2D', () => {
  // a 3×4 ramp 0..11: rows 1..2 and columns 0..1 stay after [[1, 0], [0, 2]]
  const ramp = new Tensor(
    Float32Array.from({ length: 12 }, (_, i) => i),
    [1, 3, 4, 1],
    'float32',
  );

  it("Keras' forms of cropping, its default and automatic names, and the cropped values", () => {
    expect(new Cropping2D().cropping).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(new Cropping2D({ cropping: 2 }).cropping).toEqual([
      [2, 2],
      [2, 2],
    ]);
    const layer = new Cropping2D({ cropping: [1, 3] });
    expect([layer.name, layer.cropping]).toEqual([
      'cropping2d_2',
      [
        [1, 1],
        [3, 3],
      ],
    ]);
    const crop = new Cropping2D({
      cropping: [
        [1, 0],
        [0, 2],
      ],
    });
    const out = crop.apply(ramp);
    expect(out.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(out.data)).toEqual([4, 5, 8, 9]);
  });

  it('its gradient is the output gradient padded back with zeros where the crop removed cells', () => {
    const crop = new Cropping2D({
      cropping: [
        [1, 0],
        [0, 2],
      ],
    });
    crop.apply(ramp, true);
    const dx = crop.backward(new Tensor(Float32Array.of(1, 2, 3, 4), [1, 2, 2, 1], 'float32'), true)!;
    expect(dx.shape).toEqual([1, 3, 4, 1]);
    expect(Array.from(dx.data)).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
  });

  it('saves cropping as Keras writes it, and summary() shows the cropped shape', () => {
    const model = new Sequential([
      new Cropping2D({
        cropping: [
          [0, 1],
          [2, 3],
        ],
        inputShape: [4, 9, 2],
      }),
    ]);
    expect(model.toArtifacts().modelJson.modelTopology.config.layers[0]).toMatchObject({
      class_name: 'Cropping2D',
      config: {
        cropping: [
          [0, 1],
          [2, 3],
        ],
        data_format: 'channels_last',
      },
    });
    expect(model.summary(null)).toMatch(/cropping2d \(Cropping2D\)\s+\(None, 3, 4, 2\)\s+0/);
  });

  it('bad cropping and crops that leave nothing: a ConvlensError naming the layer and the sizes', () => {
    expectConvlensError(
      () => new Cropping2D({ cropping: -1 }),
      "Cropping2D 'cropping2d': cropping must be n, [rows, cols] or [[top, bottom], [left, right]] of whole numbers ≥ 0, got -1",
    );
    expectConvlensError(() => new Cropping2D({ cropping: [[1, 2], 3] as never }), /cropping must be n, .* got \[\[1, 2\], 3\]/);
    expectConvlensError(() => new Cropping2D({ croping: 1 } as never), "Cropping2D: unknown option 'croping' (did you mean 'cropping'?)");
    expectConvlensError(
      () =>
        new Sequential([
          new Cropping2D({
            cropping: [
              [2, 2],
              [0, 0],
            ],
            inputShape: [4, 5, 3],
          }),
        ]),
      'cropping2d_2 (Cropping2D): cropping [[2, 2], [0, 0]] leaves nothing of inputs of shape (4, 5, 3): top + bottom (4) must be less than the height 4, and left + right (0) less than the width 5',
    );
    // after another layer: Conv2D's 4×4 output loses all 4 columns
    expectConvlensError(
      () => new Sequential([new Conv2D({ filters: 1, kernelSize: 3, inputShape: [6, 6, 1] }), new Cropping2D({ cropping: [0, 2] })]),
      /^cropping2d_3 \(Cropping2D\): cropping .* leaves nothing of inputs of shape \(4, 4, 1\): .* left \+ right \(4\) less than the width 4$/,
    );
  });
});

import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Conv2D, Dense, Flatten, fromArtifacts, resetNames, Sequential, UpSampling2D } from './index.js';

beforeEach(() => resetNames());

describe('UpSampling2D', () => {
  // tfjs-core's gradients of the resize ops are wrong for most shapes (ResizeNearestNeighbor's
  // with several channels and unequal factors; ResizeBilinear's swaps height and width, and
  // disagrees with central differences on square images too), so tfjs-layers' fit cannot be the reference here: the gradients
  // are checked by central differences instead, and the outputs against tfjs.
  it("nearest (each pixel repeated) between two convolutions: predict and saving match tfjs-layers' upSampling2d; fit's first step follows the loss's central differences", async () => {
    setSeed(41);
    const rng = caseRng('up sampling', 0);
    const model = () =>
      new Sequential([
        new Conv2D({ filters: 2, kernelSize: 3, activation: 'tanh', inputShape: [5, 4, 1] }),
        new UpSampling2D({ size: [2, 3] }),
        new Conv2D({ filters: 2, kernelSize: 2 }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
    const ours = model();
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh', inputShape: [5, 4, 1] }),
        tfl.layers.upSampling2d({ size: [2, 3] }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    expect(ours.getLayer(1).outputShape).toEqual([6, 6, 2]);
    const x = f32(rng, [4, 5, 4, 1]);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    const { modelJson, weightData } = ours.toArtifacts();
    expectClose(ours.predict(x), ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'in tfjs');
    const again = fromArtifacts(ours.toArtifacts()).getLayer(1) as UpSampling2D;
    expect([again.size, again.interpolation]).toEqual([[2, 3], 'nearest']);

    // one SGD step (learning rate 1) on the whole batch moves the first kernel by minus the gradient
    const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1), [4, 2], 'float32');
    const start = ours.getWeights();
    const probe = model();
    probe.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy' });
    const lossWith = (i: number, shift: number) => {
      const weights = start.map((w) => new Tensor(Float32Array.from(w.data), w.shape, 'float32'));
      weights[0].data[i] += shift;
      probe.setWeights(weights);
      return probe.evaluate(x, y).loss;
    };
    const expected = Array.from(start[0].data, (_, i) => (lossWith(i, 1e-2) - lossWith(i, -1e-2)) / 2e-2);
    ours.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'categoricalCrossentropy' });
    await ours.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false });
    const step = Array.from(ours.getWeights()[0].data, (w, i) => start[0].data[i] - w);
    expectClose(step, expected, 2e-3, 'first kernel step');
  });

  /** One layer's output and input gradient for `x`, with `dy` as the gradient of its output. */
  function run(layer: UpSampling2D, x: Tensor<'float32'>, dy: Tensor<'float32'>) {
    layer.build(x.shape.slice(1));
    return { y: layer.forward(x, false), dx: layer.backward(dy, true)! };
  }

  it.each([
    [2, [3, 4, 2]],
    [
      [3, 2],
      [2, 5, 1],
    ],
    [
      [1, 4],
      [4, 3, 3],
    ],
    [5, [1, 1, 2]],
  ] as [number | [number, number], number[]][])(
    "bilinear, size %j on %j: the output is TensorFlow 2's tf.image.resize (half-pixel centres), the gradient its adjoint",
    (size, shape) => {
      const rng = caseRng(`up sampling bilinear ${shape}`, 0);
      const layer = new UpSampling2D({ size, interpolation: 'bilinear' });
      const [sh, sw] = typeof size === 'number' ? [size, size] : size;
      const x = f32(rng, [2, ...shape]) as Tensor<'float32'>;
      const outSize: [number, number] = [shape[0] * sh, shape[1] * sw];
      const dy = f32(rng, [2, ...outSize, shape[2]]) as Tensor<'float32'>;
      const { y, dx } = run(layer, x, dy);
      expectClose(y, tf.image.resizeBilinear(tfOf(x) as tf.Tensor4D, outSize, false, true).dataSync(), 1e-6, 'output');
      expectClose(dx, adjoint(layer, x, dy), 1e-4, 'input gradient');
    },
  );

  it('nearest, size [2, 3] with 2 channels: the gradient is the adjoint of the output', () => {
    const rng = caseRng('up sampling adjoint', 0);
    const layer = new UpSampling2D({ size: [2, 3] });
    const x = f32(rng, [2, 3, 2, 2]) as Tensor<'float32'>;
    const dy = f32(rng, [2, 6, 6, 2]) as Tensor<'float32'>;
    expectClose(run(layer, x, dy).dx, adjoint(layer, x, dy), 1e-4, 'input gradient');
  });

  /**
   * The input gradient by its definition: the output is linear in the input, so the gradient's
   * element i is (y(x + e_i/2) − y(x − e_i/2)) · dy, exact up to rounding.
   */
  function adjoint(layer: UpSampling2D, x: Tensor<'float32'>, dy: Tensor<'float32'>): number[] {
    const dot = (i: number, shift: number) => {
      const moved = new Tensor(Float32Array.from(x.data), x.shape, 'float32');
      moved.data[i] += shift;
      return layer.forward(moved, false).data.reduce((sum, v, j) => sum + v * dy.data[j], 0);
    };
    return Array.from(x.data, (_, i) => dot(i, 0.5) - dot(i, -0.5));
  }

  it('nearest: each input pixel gets the sum of the gradients of its copies', () => {
    const layer = new UpSampling2D({ size: [1, 2] });
    const x = new Tensor(Float32Array.of(1, 2, 3, 4), [1, 2, 2, 1], 'float32');
    const dy = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [1, 2, 4, 1], 'float32');
    const { y, dx } = run(layer, x, dy);
    expect(Array.from(y.data)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(Array.from(dx.data)).toEqual([3, 7, 11, 15]);
  });

  it("loads Keras' config (size, interpolation) and refuses bad options, naming them", () => {
    const modelJson = {
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'up',
          layers: [
            {
              class_name: 'UpSampling2D',
              config: {
                name: 'up',
                size: [2, 2],
                interpolation: 'bilinear',
                data_format: 'channels_last',
                batch_input_shape: [null, 2, 2, 1],
              },
            },
          ],
        },
      },
      weightsManifest: [],
    };
    const loaded = fromArtifacts(modelJson, new ArrayBuffer(0));
    const x = new Tensor(Float32Array.of(0, 1, 2, 3), [1, 2, 2, 1], 'float32');
    const expected = tf.image.resizeBilinear(tfOf(x) as tf.Tensor4D, [4, 4], false, true).dataSync();
    expectClose(loaded.predict(x), expected, 1e-6, 'predict');

    expectConvlensError(
      () => new UpSampling2D({ size: 0 }),
      "UpSampling2D 'up_sampling2d': size must be positive integers (n or [h, w]), got 0",
    );
    expectConvlensError(
      () => new UpSampling2D({ interpolation: 'bicubic' as never }),
      "UpSampling2D 'up_sampling2d_1': interpolation must be 'nearest' or 'bilinear', got \"bicubic\"",
    );
    expectConvlensError(
      () => new UpSampling2D({ dataFormat: 'NHWC' as never }),
      /^UpSampling2D 'up_sampling2d_\d+': unknown dataFormat "NHWC" \(expected 'channels_last' or 'channels_first'\)$/,
    );
    expectConvlensError(() => new UpSampling2D({ sizes: 2 } as never), /UpSampling2D: unknown option 'sizes'/);
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { mul } from '../ops/arithmetic.js';
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
  type Functional,
  GaussianNoise,
  GlobalAveragePooling2D,
  Input,
  Layer,
  MaxPool2D,
  Multiply,
  model,
  Reshape,
  resetNames,
  Sequential,
} from './index.js';
import { gather, range } from './model_common.js';

// predict on arrays computes batch by batch in the model's workspace (fit's buffers, reused from
// batch to batch): tfjs-layers' numbers, the numbers the layers give outside it, outputs that
// are arrays of their own, and activations that are not allocated anew for every batch.

beforeEach(() => resetNames());

/** The MNIST reference net: Conv2D 16 3 same relu, MaxPool2D, Conv2D 32 3 same relu, MaxPool2D, Flatten, Dense 10 softmax. */
function mnistNet(...more: Layer[]): Sequential {
  const net = new Sequential([
    new Conv2D({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    new MaxPool2D(),
    new Conv2D({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new MaxPool2D(),
    new Flatten(),
    new Dense({ units: 10, activation: 'softmax' }),
    ...more,
  ]);
  randomizeWeights(net, caseRng('predict workspace mnist', 0));
  return net;
}

/** tfjs-layers' predictions of the same model (saved and loaded there), one array per output. */
async function tfjsPredict(net: Sequential | Functional, x: Tensor | Tensor[], batchSize: number): Promise<Float32Array[]> {
  const { modelJson, weightData } = net.toArtifacts();
  const theirs = await tfjsLoad(modelJson, weightData);
  const out = theirs.predict(Array.isArray(x) ? x.map(tfOf) : tfOf(x), { batchSize }) as tf.Tensor | tf.Tensor[];
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
}

/** The layers applied in turn to each batch outside any workspace (fresh arrays, as predict computed before), joined. */
function layerByLayer(net: Sequential, x: Tensor, batchSize: number): number[] {
  const values: number[] = [];
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const batch = gather(x, range(start, Math.min(x.shape[0], start + batchSize)));
    values.push(...net.layers.reduce((t, layer) => layer.apply(t), batch).data);
  }
  return values;
}

/** Whether `t`'s data is an array of its own: the whole of its buffer (not a view into a workspace or an input). */
const ownsItsData = (t: Tensor) => t.data.byteOffset === 0 && t.data.buffer.byteLength === t.data.byteLength;

/** A layer the workspace does not cover (a user's own): doubles its input with ops, which allocate their output. */
class Doubling extends Layer {
  constructor() {
    super('Doubling', 'doubling');
  }
  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    return mul(x, new Tensor(new Float32Array([2]), [], 'float32')) as Tensor<'float32'>;
  }
  backward(): undefined {
    return undefined;
  }
  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}

/** Passes its input on, noting the memory that array buffers hold (all of the process's) at every batch. */
class MemoryProbe extends Layer {
  readonly readings: number[] = [];
  constructor() {
    super('MemoryProbe', 'memory_probe');
  }
  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    this.readings.push(process.memoryUsage().arrayBuffers);
    return x;
  }
  backward(): undefined {
    return undefined;
  }
  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}

forEachBackend(() => {
  describe('predict on arrays, in the workspace', () => {
    it("Sequential: tfjs-layers' numbers, and the layers' own outside the workspace, whether batches divide the data or hold it all", async () => {
      const net = mnistNet();
      const x = f32(caseRng('predict workspace x', 1), [45, 28, 28, 1], 0, 1);
      for (const batchSize of [8, 32, 45, 64]) {
        const predicted = net.predict(x, { batchSize });
        expect(predicted.shape).toEqual([45, 10]);
        expect(Array.from(predicted.data), `batchSize ${batchSize}`).toEqual(layerByLayer(net, x, batchSize));
        expectClose(predicted, (await tfjsPredict(net, x, batchSize))[0], 1e-5, `tfjs, batchSize ${batchSize}`);
      }
      // the default, 32: a batch of 32, then one of 13 in the same (larger) buffers
      expect(Array.from(net.predict(x).data)).toEqual(layerByLayer(net, x, 32));
    });

    it('gives outputs of their own: a later call, on other data or batch sizes, leaves an earlier result as it was', () => {
      // a linear last layer: its output is its workspace buffer (a softmax's is an array of its own)
      const net = new Sequential([
        new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
        new MaxPool2D(),
        new Flatten(),
        new Dense({ units: 10 }),
      ]);
      randomizeWeights(net, caseRng('predict workspace aliasing net', 2));
      const rng = caseRng('predict workspace aliasing', 2);
      const [a, b] = [f32(rng, [40, 28, 28, 1], 0, 1), f32(rng, [40, 28, 28, 1], 0, 1)];
      for (const batchSize of [16, 40]) {
        const first = net.predict(a, { batchSize });
        const kept = Array.from(first.data);
        const second = net.predict(b, { batchSize });
        net.predict(b, { batchSize: 7 });
        expect(Array.from(first.data), `batchSize ${batchSize}`).toEqual(kept);
        expect(Array.from(second.data)).not.toEqual(kept);
        expect(ownsItsData(first) && ownsItsData(second)).toBe(true);
        expect(first.data.buffer).not.toBe(second.data.buffer);
      }
    });

    it("an output that is the input at inference (Flatten, Dropout) is a copy, not a view of the caller's data", () => {
      const net = new Sequential([new Flatten({ inputShape: [2, 3] }), new Dropout(0.5)]);
      const x = f32(caseRng('predict workspace identity', 3), [5, 2, 3]);
      const expected = Array.from(x.data);
      for (const batchSize of [2, 8]) {
        const out = net.predict(x, { batchSize });
        expect(Array.from(out.data)).toEqual(expected);
        expect(ownsItsData(out)).toBe(true);
        out.data.fill(0);
        expect(Array.from(x.data)).toEqual(expected);
      }
    });

    it('BatchNormalization and Dropout in inference mode, and layers the workspace does not cover (Activation, Add, GaussianNoise, Reshape), as tfjs-layers', async () => {
      const input = Input({ shape: [9, 9, 2] });
      const conv = new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input);
      const normed = new BatchNormalization().apply(conv);
      const branch = new Activation('tanh').apply(new GaussianNoise(0.5).apply(normed));
      const joined = new Add().apply([normed, branch]);
      const flat = new Reshape({ targetShape: [7 * 7 * 4] }).apply(joined);
      const net = model({ inputs: input, outputs: new Dense({ units: 3 }).apply(new Dropout(0.5).apply(flat)) });
      randomizeWeights(net, caseRng('predict workspace uncovered', 4));
      const x = f32(caseRng('predict workspace uncovered x', 5), [11, 9, 9, 2]);
      for (const batchSize of [3, 11]) {
        const predicted = net.predict(x, { batchSize }) as Tensor;
        expectClose(predicted, (await tfjsPredict(net, x, batchSize))[0], 1e-5, `batchSize ${batchSize}`);
      }
    });

    it("a user's layer between covered ones computes with fresh arrays, and the result is the layers' own", () => {
      const net = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 3, inputShape: [6, 6, 1] }),
        new Doubling(),
        new MaxPool2D(),
        new Doubling(),
        new Flatten(),
        new Dense({ units: 2 }),
      ]);
      randomizeWeights(net, caseRng('predict workspace doubling', 6));
      const x = f32(caseRng('predict workspace doubling x', 7), [9, 6, 6, 1]);
      for (const batchSize of [2, 9]) {
        expect(Array.from(net.predict(x, { batchSize }).data), `batchSize ${batchSize}`).toEqual(layerByLayer(net, x, batchSize));
      }
    });

    it('a shared nested encoder (BatchNormalization, Dropout) in a model of two inputs and two outputs: outputs of their own, as tfjs-layers', async () => {
      const encoder = new Sequential(
        [
          new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [7, 7, 1], name: 'enc_conv' }),
          new BatchNormalization({ name: 'enc_bn' }),
          new Dropout({ rate: 0.5, name: 'enc_dropout' }),
          new GlobalAveragePooling2D({ name: 'enc_pool' }),
        ],
        { name: 'encoder' },
      );
      const [left, right] = [Input({ shape: [7, 7, 1], name: 'left' }), Input({ shape: [7, 7, 1], name: 'right' })];
      const [a, b] = [encoder.apply(left), encoder.apply(right)];
      const net = model({
        inputs: [left, right],
        outputs: [
          new Dense({ units: 2, activation: 'softmax', name: 'same' }).apply(new Concatenate().apply([a, b])),
          new Dense({ units: 1, name: 'closeness' }).apply(new Multiply().apply([a, b])),
        ],
      });
      randomizeWeights(net, caseRng('predict workspace siamese', 8));
      const rng = caseRng('predict workspace siamese x', 9);
      const xs = [f32(rng, [10, 7, 7, 1]), f32(rng, [10, 7, 7, 1])];
      for (const batchSize of [4, 10]) {
        const predicted = net.predict(xs, { batchSize }) as Tensor[];
        expect(predicted.map((t) => t.shape)).toEqual([
          [10, 2],
          [10, 1],
        ]);
        expect(predicted.every(ownsItsData)).toBe(true);
        const theirs = await tfjsPredict(net, xs, batchSize);
        predicted.forEach((t, k) => {
          expectClose(t, theirs[k], 1e-5, `output ${k}, batchSize ${batchSize}`);
        });
        const kept = predicted.map((t) => Array.from(t.data));
        net.predict({ left: f32(rng, [10, 7, 7, 1]), right: f32(rng, [10, 7, 7, 1]) }, { batchSize });
        expect(predicted.map((t) => Array.from(t.data))).toEqual(kept);
        // the encoder alone, in its own workspace, then the model in its: still tfjs' numbers
        expectClose(encoder.predict(xs[0]), (await tfjsPredict(encoder, xs[0], batchSize))[0], 1e-5, 'encoder alone');
        expectClose(net.predict(xs, { batchSize }) as Tensor[], theirs, 1e-5, `again, batchSize ${batchSize}`);
      }
    });

    it("predicting in a fit callback leaves training as it is: fit's buffers are free between batches", async () => {
      const rng = caseRng('predict workspace fit', 10);
      const x = f32(rng, [24, 28, 28, 1], 0, 1);
      const y = new Tensor(
        Int32Array.from({ length: 24 }, (_, i) => i % 10),
        [24],
        'int32',
      );
      const [predicting, plain] = [mnistNet(), mnistNet()];
      for (const net of [predicting, plain])
        net.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      const seen: number[][] = [];
      const history = await predicting.fit(x, y, {
        epochs: 2,
        batchSize: 8,
        shuffle: false,
        validationSplit: 0.25,
        callbacks: {
          onBatchEnd: () => {
            seen.push(Array.from(predicting.predict(x, { batchSize: 5 }).data));
          },
        },
      });
      expect(history).toEqual(await plain.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, validationSplit: 0.25 }));
      expect(Array.from(predicting.predict(x).data)).toEqual(Array.from(plain.predict(x).data));
      // 18 training examples: 3 batches an epoch
      expect(seen).toHaveLength(6);
      expect(seen.at(-1)).toEqual(Array.from(plain.predict(x, { batchSize: 5 }).data));
    });
  });

  describe('memory', () => {
    it('predict and evaluate hold as much for the 100th batch as for the 2nd: activations are not allocated anew for each', () => {
      const probe = new MemoryProbe();
      const net = mnistNet(probe);
      net.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const n = 3200;
      const x = new Tensor(
        Float32Array.from({ length: n * 784 }, (_, i) => (i % 97) / 97),
        [n, 28, 28, 1],
        'float32',
      );
      const y = new Tensor(
        Int32Array.from({ length: n }, (_, i) => i % 10),
        [n],
        'int32',
      );
      // one batch's activations: 1.6 MB, 0.4 MB, 0.8 MB and 0.2 MB. Computed in fresh arrays, the
      // garbage of a hundred batches piled up to 20-30 MB before a collection; in the workspace,
      // what grows is the kernels' scratch (the js backend's: about 12 kB a batch) and the softmax
      const oneBatch = 32 * (28 * 28 * 16 + 14 * 14 * 16 + 14 * 14 * 32 + 7 * 7 * 32) * 4;
      for (const run of [() => net.predict(x, { batchSize: 32 }), () => net.evaluate(x, y, { batchSize: 32 })]) {
        probe.readings.length = 0;
        run();
        expect(probe.readings).toHaveLength(100);
        const [, second, ...rest] = probe.readings;
        expect(Math.max(...rest) - second).toBeLessThan(oneBatch);
      }
    });
  });
});

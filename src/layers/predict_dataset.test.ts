import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfd from '@tensorflow/tfjs-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { imageDatasetFromDirectory } from '../image/dataset_from_directory.js';
import { encodePng } from '../image/encode_png.js';
import type { ImageBatch } from '../image/image_batch_dataset.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import type { BatchDataset, DataBatch } from './datasets.js';
import {
  Conv2D,
  Dense,
  type Functional,
  model as functionalModel,
  GlobalAveragePooling2D,
  Input,
  MaxPool2D,
  Rescaling,
  resetNames,
  Sequential,
} from './index.js';
import { gather, range } from './model_common.js';

const IMAGE_SIZE: [number, number] = [7, 6];
const BATCH = 4;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'convlens-predict-dataset-'));
  const rng = caseRng('predict dataset images', 0);
  // 6 + 5 + 4 RGB images of assorted sizes: 15, so the last batch of 4 holds 3
  ['a', 'b', 'c'].forEach((c, ci) => {
    mkdirSync(join(dir, c));
    for (let k = 0; k < 6 - ci; k++) {
      const [h, w] = [5 + (k % 4), 4 + (k % 3)];
      const pixels = Uint8Array.from({ length: h * w * 3 }, () => rng.ints(1, 0, 255)[0]);
      writeFileSync(join(dir, c, `${k}.png`), encodePng(new Tensor(pixels, [h, w, 3], 'uint8')));
    }
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => resetNames());

const options = { verbose: false, imageSize: IMAGE_SIZE, seed: 3 } as const;

/** The folder as a batched dataset and as whole tensors (the same files, in the same order). */
async function bothForms() {
  const dataset = await imageDatasetFromDirectory(dir, { ...options, batchSize: BATCH });
  const arrays = await imageDatasetFromDirectory(dir, options);
  return { dataset, arrays };
}

function sequentialNet(): Sequential {
  const net = new Sequential([
    new Rescaling(1 / 255, { inputShape: [...IMAGE_SIZE, 3] }),
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', padding: 'same' }),
    new MaxPool2D(),
    new GlobalAveragePooling2D(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  randomizeWeights(net, caseRng('predict dataset weights', 1));
  return net;
}

/** One input, two outputs: a softmax over the classes and a linear unit. */
function twoOutputNet(): Functional {
  const input = Input({ shape: [...IMAGE_SIZE, 3] });
  const pooled = new GlobalAveragePooling2D().apply(
    new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu' }).apply(new Rescaling(1 / 255).apply(input)),
  );
  const net = functionalModel({
    inputs: input,
    outputs: [new Dense({ units: 3, activation: 'softmax' }).apply(pooled), new Dense({ units: 1 }).apply(pooled)],
  });
  randomizeWeights(net, caseRng('predict dataset weights', 2));
  return net;
}

/** The same tfjs-layers model's predictions for `x`, one array per output. */
async function tfjsPredict(net: Sequential | Functional, x: Tensor): Promise<Float32Array[]> {
  const { modelJson, weightData } = net.toArtifacts();
  const theirs = await tfjsLoad(modelJson, weightData);
  const out = theirs.predict(tfOf(x)) as tf.Tensor | tf.Tensor[];
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
}

/** A dataset of these batches, the same at every iteration. */
function listDataset(batches: unknown[]): AsyncIterable<DataBatch> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* batches as DataBatch[];
    },
  };
}

async function filesOf(batches: AsyncIterable<ImageBatch>): Promise<string[]> {
  const files: string[] = [];
  for await (const batch of batches) files.push(...batch.filePaths);
  return files;
}

describe("predict on a dataset (Keras' predict(dataset))", () => {
  it("Sequential: predict(dataset) and predictDataset give predict's outputs on the whole tensors, and tfjs-layers'", async () => {
    const { dataset, arrays } = await bothForms();
    const net = sequentialNet();
    const expected = net.predict(arrays.x);
    const predicted = await net.predict(dataset);
    expect(predicted.shape).toEqual([15, 3]);
    expect(Array.from(predicted.data)).toEqual(Array.from(expected.data));
    const again = await net.predictDataset(dataset.epoch(0), { verbose: 0 });
    expect(Array.from(again.data)).toEqual(Array.from(expected.data));
    expectClose(predicted, (await tfjsPredict(net, arrays.x))[0], 1e-5, 'tfjs');
  });

  it('Functional of one input and two outputs: a list of two, each as predict gives it, and as tfjs-layers gives it', async () => {
    const { dataset, arrays } = await bothForms();
    const net = twoOutputNet();
    const expected = net.predict(arrays.x) as Tensor[];
    const predicted = (await net.predict(dataset)) as Tensor[];
    expect(predicted.map((t) => t.shape)).toEqual([
      [15, 3],
      [15, 1],
    ]);
    const theirs = await tfjsPredict(net, arrays.x);
    predicted.forEach((t, k) => {
      expect(Array.from(t.data), `output ${k}`).toEqual(Array.from(expected[k].data));
      expectClose(t, theirs[k], 1e-5, `tfjs output ${k}`);
    });
  });

  it("several batches, the last smaller, from a dataset that says its size or not (or too small a one; an ImageBatchDataset's is above): each output's rows as predict on each batch gives them, and tfjs-layers' predict of all", async () => {
    const rng = caseRng('predict dataset sizes', 0);
    const x = f32(rng, [10, ...IMAGE_SIZE, 3], 0, 255);
    const ends = [4, 8, 10];
    const batches = ends.map((end, i) => gather(x, range(ends[i - 1] ?? 0, end)));
    const forms: [string, () => BatchDataset][] = [
      ['an async iterable', () => listDataset(batches.map((b) => ({ x: b })))],
      ['a tf.data Dataset (its size: 3 batches)', () => tfd.array(batches.map((b) => ({ xs: tfOf(b) })))],
      // a size of 2 batches, which it outgrows
      ['a tf.data Dataset that says too few', () => Object.assign(tfd.array(batches.map((b) => ({ xs: tfOf(b) }))), { size: 2 })],
      ['a tf.data Dataset of unknown size', () => Object.assign(tfd.array(batches.map((b) => ({ xs: tfOf(b) }))), { size: null })],
    ];
    for (const net of [sequentialNet(), twoOutputNet()]) {
      const perBatch = batches.map((b) => [net.predict(b)].flat());
      const theirs = await tfjsPredict(net, x);
      for (const [what, dataset] of forms) {
        const predicted = [await net.predict(dataset())].flat();
        expect(predicted, what).toHaveLength(perBatch[0].length);
        predicted.forEach((t, k) => {
          const expected = perBatch.flatMap((outputs) => Array.from(outputs[k].data));
          expect(t.shape, `${what} output ${k}`).toEqual([10, ...perBatch[0][k].shape.slice(1)]);
          expect(Array.from(t.data), `${what} output ${k}`).toEqual(expected);
          expectClose(t, theirs[k], 1e-5, `${what} output ${k} vs tfjs`);
        });
      }
    }
  });

  it("Keras' tuples [x] and [x, y, sampleWeight]: the inputs predicted, the rest unused, every tfjs tensor disposed of", async () => {
    const { arrays } = await bothForms();
    const net = sequentialNet();
    const expected = net.predict(arrays.x);
    const parts = [range(0, 8), range(8, 15)];
    const given: tf.Tensor[] = [];
    const tuples = (withLabels: boolean) => ({
      async *[Symbol.asyncIterator]() {
        for (const part of parts) {
          const x = tfOf(gather(arrays.x, part));
          const batch: [tf.Tensor] | [tf.Tensor, tf.Tensor, tf.Tensor] = withLabels
            ? [x, tfOf(gather(arrays.y!, part)), tf.ones([part.length])]
            : [x];
          given.push(...batch);
          yield batch;
        }
      },
    });
    for (const withLabels of [false, true]) {
      const predicted = await net.predict(tuples(withLabels));
      expect(Array.from(predicted.data), `labels ${withLabels}`).toEqual(Array.from(expected.data));
    }
    expect(given.every((t) => t.isDisposed)).toBe(true);
  });

  it("follows the dataset's order: a reshuffling dataset's next iteration, the batches' files; labels are not needed", async () => {
    const { dataset, arrays } = await bothForms();
    const net = sequentialNet();
    await net.predict(dataset); // epoch 0; the next iteration is epoch 1, reshuffled
    const predicted = await net.predict(dataset);
    const order = (await filesOf(dataset.epoch(1))).map((f) => arrays.filePaths.indexOf(f));
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    expect(Array.from(predicted.data)).toEqual(Array.from(net.predict(gather(arrays.x, order) as Tensor<'float32'>).data));

    const unlabelled = await imageDatasetFromDirectory(dir, { ...options, labels: null, shuffle: false, batchSize: BATCH });
    const plain = await imageDatasetFromDirectory(dir, { ...options, labels: null, shuffle: false });
    expect(Array.from((await net.predict(unlabelled)).data)).toEqual(Array.from(net.predict(plain.x).data));
  });

  it('gives arrays of their own, from one batch or several: a later predict leaves them as they were', async () => {
    // a linear last layer: its output is a buffer of the workspace (a softmax's is an array of its own)
    const net = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 3, inputShape: [...IMAGE_SIZE, 3] }),
      new GlobalAveragePooling2D(),
      new Dense({ units: 3 }),
    ]);
    randomizeWeights(net, caseRng('predict dataset weights', 3));
    const rng = caseRng('predict dataset own arrays', 4);
    const [a, b] = [f32(rng, [6, ...IMAGE_SIZE, 3]), f32(rng, [6, ...IMAGE_SIZE, 3])];
    for (const ends of [[6], [4, 6]]) {
      const batches = (x: Tensor) => listDataset(ends.map((end, i) => ({ x: gather(x, range(ends[i - 1] ?? 0, end)) })));
      const first = await net.predict(batches(a));
      const kept = Array.from(first.data);
      expect(kept, `batches ending at ${ends}`).toEqual(Array.from(net.predict(a).data));
      await net.predict(batches(b));
      expect(Array.from(first.data), `batches ending at ${ends}`).toEqual(kept);
      expect(first.data.byteOffset === 0 && first.data.buffer.byteLength === first.data.byteLength).toBe(true);
    }
  });

  it('computes in buffers of its own without disturbing training: fit, predict, fit trains as fit, fit does', async () => {
    const { dataset, arrays } = await bothForms();
    const [predicting, plain] = [sequentialNet(), sequentialNet()];
    for (const net of [predicting, plain]) {
      net.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    }
    await predicting.fit(dataset.epoch(0), { epochs: 1 });
    await plain.fit(dataset.epoch(0), { epochs: 1 });
    const predicted = await predicting.predict(dataset.epoch(0));
    expect(Array.from(predicted.data)).toEqual(Array.from(plain.predict(arrays.x).data));
    const history = await predicting.fit(dataset.epoch(1), { epochs: 1 });
    expect(history).toEqual(await plain.fit(dataset.epoch(1), { epochs: 1 }));
    plain.getWeights().forEach((w, i) => {
      expect(Array.from(predicting.getWeights()[i].data), `weight ${i}`).toEqual(Array.from(w.data));
    });
  });

  it('refuses what does not fit, naming the option or the batch', async () => {
    const { dataset } = await bothForms();
    const net = sequentialNet();
    await expectConvlensRejection(
      net.predict(dataset, { batchSize: 8 } as never),
      "predict: batchSize is not an option for a dataset: the dataset's batches set it (imageDatasetFromDirectory's batchSize)",
    );
    await expectConvlensRejection(
      net.predictDataset(dataset, { verbos: 1 } as never),
      "predict: unknown option 'verbos' (did you mean 'verbose'?)",
    );
    await expectConvlensRejection(net.predictDataset(dataset, { verbose: 3 } as never), 'predict: verbose must be 0, 1 or 2, got 3');
    await expectConvlensRejection(
      net.predictDataset([] as never),
      'predict: expected a dataset (an async iterable or a tf.data Dataset of { x } batches), got []',
    );
    await expectConvlensRejection(net.predict(listDataset([])), 'predict: the dataset gave no examples');
    const good = { x: f32(caseRng('predict batch', 0), [2, ...IMAGE_SIZE, 3]) };
    await expectConvlensRejection(
      net.predict(listDataset([good, { x: f32(caseRng('predict batch', 1), [2, 5, 5, 3]) }])),
      /^predict \(batch 2\): .*5, 5, 3/,
    );
    await expectConvlensRejection(
      net.predict(listDataset([good, 7])),
      "predict (batch 2): a batch must be { x }, tfjs' { xs } or [x] (labels and weights, if given, are not used), got 7",
    );
    await expectConvlensRejection(
      net.predict(listDataset([{ y: good.x }])),
      "predict (batch 1): a batch must be { x }, tfjs' { xs } or [x] (labels and weights, if given, are not used), got { y: a Tensor }",
    );
    await expectConvlensRejection(
      net.predict(listDataset([{ xs: 'pixels' }])),
      'predict (batch 1): xs must be a convlens Tensor, got "pixels"',
    );
  });
});

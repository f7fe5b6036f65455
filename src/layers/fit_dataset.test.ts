import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { imageDatasetFromDirectory } from '../image/dataset_from_directory.js';
import { encodePng } from '../image/encode_png.js';
import type { ImageBatch, ImageBatchDataset } from '../image/image_batch_dataset.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import type { Logs } from './callbacks.js';
import type { DataBatch } from './datasets.js';
import {
  Conv2D,
  Dense,
  EarlyStopping,
  Flatten,
  type Functional,
  model as functionalModel,
  Input,
  MaxPool2D,
  Rescaling,
  resetNames,
  Sequential,
} from './index.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'convlens-fit-dataset-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => resetNames());

const IMAGE_SIZE: [number, number] = [6, 6];
const BATCH = 4;

/** Three class folders of random gray PNGs (5, 6 and 4 of them, of assorted sizes). */
function digitsFolder(name: string): string {
  const dir = join(root, name);
  const rng = caseRng('fit dataset images', 0);
  ['a', 'b', 'c'].forEach((c, ci) => {
    mkdirSync(join(dir, c), { recursive: true });
    for (let k = 0; k < [5, 6, 4][ci]; k++) {
      const [h, w] = [5 + (k % 3), 6 + (k % 2)];
      const pixels = Uint8Array.from({ length: h * w }, () => rng.ints(1, 0, 255)[0]);
      writeFileSync(join(dir, c, `${k}.png`), encodePng(new Tensor(pixels, [h, w, 1], 'uint8')));
    }
  });
  return dir;
}

const datasetOptions = {
  verbose: false,
  imageSize: IMAGE_SIZE,
  colorMode: 'grayscale',
  labelMode: 'categorical',
  shuffle: false,
  validationSplit: 0.2,
  subset: 'both',
} as const;

/** The folder's training and validation subsets, as batched datasets and as whole tensors (the same files, in the same order). */
async function bothForms(dir: string) {
  const [train, validation] = await imageDatasetFromDirectory(dir, { ...datasetOptions, batchSize: BATCH });
  const [trainArrays, validationArrays] = await imageDatasetFromDirectory(dir, datasetOptions);
  return { train, validation, trainArrays, validationArrays };
}

function sequentialNet(seed: number): Sequential {
  const net = new Sequential([
    new Rescaling(1 / 255, { inputShape: [...IMAGE_SIZE, 1] }),
    new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu' }),
    new Flatten(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  randomizeWeights(net, caseRng('fit dataset weights', seed));
  return net;
}

function functionalNet(seed: number): Functional {
  const input = Input({ shape: [...IMAGE_SIZE, 1] });
  const scaled = new Rescaling(1 / 255).apply(input);
  const features = new Flatten().apply(new MaxPool2D().apply(new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(scaled)));
  const net = functionalModel({ inputs: input, outputs: new Dense({ units: 3, activation: 'softmax' }).apply(features) });
  randomizeWeights(net, caseRng('fit dataset weights', seed));
  return net;
}

const compileArgs = () => ({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

/** A batch of one input and its labels. */
type TensorBatch = { x: Tensor; y?: Tensor };

/** A tfjs dataset (what its fitDataset reads: `iterator()`, then `next()`) giving these batches in this order at every epoch. */
function tfjsDataset(batches: TensorBatch[]) {
  // new tensors for every batch: tfjs disposes of them after its step
  const batch = ({ x, y }: TensorBatch) => ({ value: { xs: tfOf(x), ys: tfOf(y!) }, done: false });
  return {
    iterator: async () => {
      let i = 0;
      return { next: async () => (i < batches.length ? batch(batches[i++]) : { value: undefined, done: true }) };
    },
  };
}

async function collect(dataset: AsyncIterable<TensorBatch>): Promise<TensorBatch[]> {
  const batches: TensorBatch[] = [];
  for await (const batch of dataset) batches.push(batch);
  return batches;
}

async function collectImages(batches: AsyncIterable<ImageBatch>): Promise<ImageBatch[]> {
  const all: ImageBatch[] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}

/** A dataset of these batches, the same at every iteration. */
function listDataset(batches: DataBatch[]): AsyncIterable<DataBatch> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* batches;
    },
  };
}

describe('fit and evaluate on a dataset (Keras fit(dataset), tfjs fitDataset)', () => {
  let dir: string;
  beforeAll(() => {
    dir = digitsFolder('digits');
  });

  for (const [kind, makeNet] of [
    ['Sequential', sequentialNet],
    ['Functional', functionalNet],
  ] as const) {
    it(`${kind}: trains as on the same batches given as arrays (shuffle off), loss by loss and weight by weight, and as tfjs' fitDataset`, async () => {
      const { train, validation, trainArrays, validationArrays } = await bothForms(dir);
      const onDataset = makeNet(1);
      const onArrays = makeNet(1);
      const { modelJson, weightData } = onDataset.toArtifacts();
      const theirs = await tfjsLoad(modelJson, weightData);
      onDataset.compile(compileArgs());
      onArrays.compile(compileArgs());
      theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

      const history = await onDataset.fit(train, { epochs: 3, validationData: validation });
      const expected = await onArrays.fit(trainArrays.x, trainArrays.y!, {
        epochs: 3,
        batchSize: BATCH,
        shuffle: false,
        validationData: [validationArrays.x, validationArrays.y!],
      });
      // the same epochs and logs (params differ: a dataset's batches come made, with no sample count or batch size)
      expect([history.epoch, history.history]).toEqual([expected.epoch, expected.history]);
      onArrays.getWeights().forEach((w, i) => {
        expect(Array.from(onDataset.getWeights()[i].data), `weight ${i}`).toEqual(Array.from(w.data));
      });

      const theirHistory = await theirs.fitDataset(tfjsDataset(await collect(train.epoch(0))) as never, {
        epochs: 3,
        validationData: tfjsDataset(await collect(validation.epoch(0))) as never,
        verbose: 0,
      });
      for (const key of ['loss', 'acc', 'val_loss', 'val_acc'] as const) {
        expectClose(history.history[key.replace('acc', 'accuracy')], theirHistory.history[key] as number[], 1e-5, key);
      }
      const theirWeights = theirs.getWeights();
      onDataset.getWeights().forEach((w, i) => {
        expectClose(w, theirWeights[i].dataSync(), 1e-4, `weight ${i}`);
      });

      const evaluated = await onDataset.evaluate(validation);
      expect(evaluated).toEqual(onDataset.evaluate(validationArrays.x, validationArrays.y!, { batchSize: BATCH }));
      expect(await onDataset.evaluateDataset(validation)).toEqual(evaluated);
      const theirs2 = (await theirs.evaluateDataset(tfjsDataset(await collect(validation.epoch(0))) as never, {})) as tf.Scalar[];
      expectClose([evaluated.loss, evaluated.accuracy], [theirs2[0].dataSync()[0], theirs2[1].dataSync()[0]], 1e-5, 'evaluate');
    });
  }

  it("takes tfjs' { xs, ys } batches, and a Functional model's arrays in a list of one or keyed by name, as { x, y } ones", async () => {
    const { train, validation } = await bothForms(dir);
    const [batches, validationBatches] = [await collect(train.epoch(0)), await collect(validation.epoch(0))];
    const tfjsForm = listDataset(batches.map(({ x, y }) => ({ xs: x, ys: y! })));
    const [plain, tfjsNamed] = [sequentialNet(6), sequentialNet(6)];
    plain.compile(compileArgs());
    tfjsNamed.compile(compileArgs());
    const expected = await plain.fit(listDataset(batches), { epochs: 2, validationData: listDataset(validationBatches) });
    const history = await tfjsNamed.fit(tfjsForm, {
      epochs: 2,
      validationData: listDataset(validationBatches.map(({ x, y }) => ({ xs: x, ys: y! }))),
    });
    expect(history).toEqual(expected);
    expect(await tfjsNamed.evaluate(tfjsForm)).toEqual(await plain.evaluate(listDataset(batches)));

    const [functional, wrapped] = [functionalNet(7), functionalNet(7)];
    functional.compile(compileArgs());
    wrapped.compile(compileArgs());
    const [input, output] = [wrapped.inputNames[0], wrapped.outputNames[0]];
    const inLists = listDataset(batches.map(({ x, y }, i) => (i % 2 ? { xs: [x], ys: { [output]: y! } } : { x: { [input]: x }, y: [y!] })));
    expect(await wrapped.fit(inLists, { epochs: 2 })).toEqual(await functional.fit(listDataset(batches), { epochs: 2 }));
    expect(await wrapped.evaluateDataset(inLists)).toEqual(await functional.evaluateDataset(listDataset(batches)));
    await expectConvlensRejection(
      wrapped.fit(listDataset([{ x: [batches[0].x, batches[0].x], y: batches[0].y }])),
      `fit (epoch 1, batch 1): model '${wrapped.name}' has 1 input ('${input}' (None, 6, 6, 1)), got x as a list of 2 arrays ([4, 6, 6, 1], [4, 6, 6, 1]): give one array per input, in order, or an object keyed by input name`,
    );
    await expectConvlensRejection(
      wrapped.fit(listDataset([{ xs: batches[0].x, ys: [batches[0].y!, batches[0].y!] }])),
      `fit (epoch 1, batch 1): model '${wrapped.name}' has 1 output ('${output}' (None, 3)), got ys as a list of 2 arrays ([4, 3], [4, 3]): give one array per output, in order, or an object keyed by output name`,
    );
  });

  it("iterates the dataset once per epoch (each iteration reshuffles), the validation dataset once per epoch's end", async () => {
    const [train, validation] = await imageDatasetFromDirectory(dir, { ...datasetOptions, shuffle: true, seed: 5, batchSize: BATCH });
    const iterations = (dataset: ImageBatchDataset) => {
      const counted = { count: 0 };
      const iterate = dataset[Symbol.asyncIterator].bind(dataset);
      dataset[Symbol.asyncIterator] = () => {
        counted.count++;
        return iterate();
      };
      return counted;
    };
    const trained = iterations(train);
    const validated = iterations(validation);
    const net = sequentialNet(2);
    net.compile(compileArgs());
    const seen: string[][] = [];
    await net.fit(recording(train, seen), { epochs: 3, validationData: validation });
    expect([trained.count, validated.count]).toEqual([3, 3]);
    // the epochs' orders are the dataset's epochs 0, 1, 2 (a fresh dataset gives them again)
    const again = await imageDatasetFromDirectory(dir, { ...datasetOptions, shuffle: true, seed: 5, batchSize: BATCH });
    for (let e = 0; e < 3; e++) expect(seen[e]).toEqual((await collectImages(again[0].epoch(e))).flatMap((b) => b.filePaths));
    expect(seen[1]).not.toEqual(seen[0]);
  });

  it('calls the callbacks and prints the progress as fit on arrays does; stopTraining and EarlyStopping work', async () => {
    const { train, validation, trainArrays, validationArrays } = await bothForms(dir);
    const calls = (batches: number[], epochs: [number, Logs][]) => ({
      onBatchEnd: (batch: number) => {
        batches.push(batch);
      },
      onEpochEnd: (epoch: number, logs: Logs) => {
        epochs.push([epoch, { ...logs }]);
      },
    });
    const ours = { batches: [] as number[], epochs: [] as [number, Logs][] };
    const arrays = { batches: [] as number[], epochs: [] as [number, Logs][] };
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
    });
    try {
      const net = sequentialNet(3);
      net.compile(compileArgs());
      await net.fit(train, { epochs: 2, validationData: validation, callbacks: [calls(ours.batches, ours.epochs)], verbose: 2 });
      const printed = lines.splice(0);
      const reference = sequentialNet(3);
      reference.compile(compileArgs());
      await reference.fit(trainArrays.x, trainArrays.y!, {
        epochs: 2,
        batchSize: BATCH,
        shuffle: false,
        validationData: [validationArrays.x, validationArrays.y!],
        callbacks: calls(arrays.batches, arrays.epochs),
        verbose: 2,
      });
      expect(ours).toEqual(arrays);
      expect(ours.batches).toEqual([0, 1, 2, 0, 1, 2]); // 12 training images, batches of 4
      const shape = (line: string) => line.replace(/\d+\.\d+s|\d+\.\d{4}|\d+ms/g, '#');
      expect(printed.map(shape)).toEqual(lines.map(shape));
      expect(printed[1]).toMatch(
        /^3\/3 - [\d.]+s - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+ - \d+ms\/step$/,
      );
      lines.length = 0;
      await net.evaluate(validation, { verbose: 1 });
      expect(lines[0]).toMatch(/^1\/1 - [\d.]+s - loss: [\d.]+ - accuracy: [\d.]+ - \d+ms\/step$/);
    } finally {
      log.mockRestore();
    }

    const stopping = sequentialNet(4);
    stopping.compile(compileArgs());
    const stopped = await stopping.fit(train, {
      epochs: 3,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch === 1) stopping.stopTraining = true;
        },
      },
    });
    expect(stopped.epoch).toEqual([0]);
    const early = sequentialNet(4);
    early.compile({ ...compileArgs(), optimizer: new SGD({ learningRate: 0 }) }); // nothing improves
    const patient = await early.fit(train, { epochs: 5, validationData: validation, callbacks: new EarlyStopping({ patience: 1 }) });
    expect(patient.epoch).toEqual([0, 1]);
  });

  it('refuses what does not fit a dataset, naming the option, the batch or the file', async () => {
    const { train, trainArrays } = await bothForms(dir);
    const net = sequentialNet(5);
    await expectConvlensRejection(net.fit(train), 'fit: compile the model first (model.compile({ optimizer, loss }))');
    net.compile(compileArgs());
    await expectConvlensRejection(
      net.fit(train, { batchSize: 8 } as never),
      "fit: batchSize is not an option when training on a dataset: the dataset's batches set it (imageDatasetFromDirectory's batchSize)",
    );
    await expectConvlensRejection(net.fit(train, { shuffle: true } as never), /^fit: shuffle is not an option when training on a dataset/);
    await expectConvlensRejection(
      net.fit(train, { validationSplit: 0.2 } as never),
      /^fit: validationSplit is not an option when training on a dataset/,
    );
    await expectConvlensRejection(net.fit(train, { epochz: 2 } as never), "fit: unknown option 'epochz' (did you mean 'epochs'?)");
    await expectConvlensRejection(
      net.fit(train, trainArrays.y as never),
      'fit: with a dataset, call fit(dataset, options): its batches carry the labels',
    );
    await expectConvlensRejection(
      net.fit(train, { validationData: [trainArrays.x] as never }),
      `fit: model '${net.name}': validationData must be a dataset (an async iterable or a tf.data Dataset of { x, y } batches) or arrays [x, y] or [x, y, sampleWeight], got [a Tensor]`,
    );
    await expectConvlensRejection(net.evaluate(train, { batchSize: 8 } as never), /^evaluate: batchSize is not an option for a dataset/);

    const unlabelled = await imageDatasetFromDirectory(dir, {
      verbose: false,
      imageSize: IMAGE_SIZE,
      colorMode: 'grayscale',
      labels: null,
      batchSize: 4,
    });
    await expectConvlensRejection(
      net.fit(unlabelled),
      'fit (epoch 1, batch 1): the batch has no labels (y); training and evaluating need them',
    );
    const good = (await collect(train.epoch(0)))[0];
    const wrongShape = {
      x: f32(caseRng('wrong shape', 0), [2, 5, 5, 1]),
      y: new Tensor(Float32Array.from(good.y!.data.slice(0, 6)), [2, 3], 'float32'),
    };
    await expectConvlensRejection(net.fit(listDataset([good, wrongShape])), /^fit \(epoch 1, batch 2\): .*5, 5, 1/);
    const none = (t: Tensor) => new Tensor(t.data.slice(0, 0), [0, ...t.shape.slice(1)], t.dtype);
    await expectConvlensRejection(
      net.evaluate(listDataset([good, { x: none(good.x), y: none(good.y!) }])),
      'evaluate (batch 2): no examples (x has shape [0, 6, 6, 1])',
    );
    await expectConvlensRejection(net.fit(listDataset([])), 'fit: the dataset gave no examples in epoch 1');
    const oneIteration = (async function* () {
      yield good;
    })();
    await expectConvlensRejection(
      net.fit(oneIteration, { epochs: 2 }),
      /^fit: the dataset gave no examples in epoch 2 \(each epoch is a new iteration of the dataset, and an async generator's object is used up after one/,
    );
    await expectConvlensRejection(net.evaluate(listDataset([])), 'evaluate: the dataset gave no examples');
    await expectConvlensRejection(
      (net.fit as (...args: unknown[]) => Promise<unknown>)(listDataset([good]), {}, {}),
      'fit: with a dataset, call fit(dataset, options): its batches carry the labels',
    );

    // a file broken after the dataset was made: its batch fails, naming it, and fit stops there
    const brokenDir = digitsFolder('broken');
    const [brokenTrain] = await imageDatasetFromDirectory(brokenDir, { ...datasetOptions, batchSize: BATCH });
    const broken = brokenTrain.filePaths[6]; // in the second batch
    writeFileSync(broken, 'no longer a png');
    const batchEnds: number[] = [];
    await expectConvlensRejection(
      net.fit(brokenTrain, { epochs: 2, callbacks: { onBatchEnd: (b) => void batchEnds.push(b) } }),
      new RegExp(`^imageDatasetFromDirectory: ${broken.replaceAll('/', '\\/')}: `),
    );
    expect(batchEnds).toEqual([0]);
    await net.fit(train); // the model is not left training

    const twoOutputs = (() => {
      const input = Input({ shape: [...IMAGE_SIZE, 1] });
      const flat = new Flatten().apply(input);
      return functionalModel({ inputs: input, outputs: [new Dense({ units: 3 }).apply(flat), new Dense({ units: 3 }).apply(flat)] });
    })();
    twoOutputs.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expectConvlensRejection(
      twoOutputs.fit(train),
      "fit (epoch 1, batch 1): model 'functional' has 2 outputs ('dense_1' (None, 3), 'dense_2' (None, 3)), got y as one array of shape [4, 3]: give one array per output, in order, or an object keyed by output name",
    );
  });
});

/** `dataset` iterated as it is, recording each iteration's files in `seen`. */
function recording(dataset: ImageBatchDataset, seen: string[][]): AsyncIterable<DataBatch> {
  return {
    async *[Symbol.asyncIterator]() {
      const files: string[] = [];
      seen.push(files);
      for await (const batch of dataset) {
        files.push(...batch.filePaths);
        yield batch;
      }
    },
  };
}

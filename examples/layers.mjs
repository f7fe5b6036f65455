// Keras-style layers: a Conv2D whose kernel is set by hand (the lesson's extract_feature), and a
// tiny network that learns to tell vertical from horizontal lines. Run: node examples/layers.mjs
import { cast, kernels, layers, reshape, setSeed, tensor, train } from 'convlens';

setSeed(7);
const extractor = new layers.Sequential([
  new layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'same', useBias: false, inputShape: [8, 8, 1] }),
  new layers.Activation('relu'),
  new layers.MaxPool2D({ poolSize: 2, padding: 'same' }),
]);
extractor.layers[0].setWeights([cast(reshape(kernels.bottomSobel, [3, 3, 1, 1]), 'float32')]);
extractor.summary();

// 8×8 images with one line: vertical (class 0) or horizontal (class 1), at a random place.
function lines(count) {
  const pixels = new Float32Array(count * 64);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const horizontal = i % 2;
    const at = (i * 5) % 8;
    for (let k = 0; k < 8; k++) pixels[i * 64 + (horizontal ? at * 8 + k : k * 8 + at)] = 1;
    labels[i] = horizontal;
  }
  return { x: tensor(pixels, [count, 8, 8, 1]), y: tensor(labels, [count]) };
}
const { x, y } = lines(64);
const net = new layers.Sequential([
  new layers.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
  new layers.MaxPool2D(),
  new layers.Flatten(),
  new layers.Dense({ units: 2, activation: 'softmax' }),
]);
net.compile({ optimizer: train.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const history = await net.fit(x, y, { epochs: 30, batchSize: 16 });
console.log('final loss', history.history.loss.at(-1).toFixed(4), 'accuracy', history.history.accuracy.at(-1));
console.log(net.evaluate(x, y));

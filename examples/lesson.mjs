// The lesson "Convolution and ReLU" in convlens: filter → detect → condense on a sample image,
// then the 6×6 worked example with its printed numbers. Run: node examples/lesson.mjs
import { readFileSync } from 'node:fs';
import { cast, constant, expandDims, image, nn, reshape, squeeze } from 'convlens';

const kernel = constant([
  [-1, -1, -1],
  [-1, 8, -1],
  [-1, -1, -1],
]);
let img = image.decodeImage(readFileSync(new URL('../assets/images/camera.png', import.meta.url)), { channels: 1 });
img = image.resize(img, [400, 400]);
img = expandDims(image.convertImageDtype(img, 'float32'), 0);
const filters = cast(reshape(kernel, [...kernel.shape, 1, 1]), 'float32');

const imageFilter = nn.conv2d({ input: img, filters, strides: 1, padding: 'SAME' });
const imageDetect = nn.relu(imageFilter);
const imageCondense = nn.maxPool2d({ input: imageDetect, ksize: 2, strides: 2, padding: 'SAME' });
console.log('filter', imageFilter.shape, 'detect', imageDetect.shape, 'condense', imageCondense.shape);

const example = reshape(
  cast(
    constant([
      [0, 1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
      [0, 1, 0, 1, 1, 1],
      [0, 1, 0, 0, 0, 0],
    ]),
    'float32',
  ),
  [1, 6, 6, 1],
);
const twoByTwo = cast(
  reshape(
    constant([
      [1, -1],
      [1, -1],
    ]),
    [2, 2, 1, 1],
  ),
  'float32',
);
const filtered = nn.conv2d({ input: example, filters: twoByTwo, strides: 1, padding: 'VALID' });
console.log(squeeze(filtered).toString());
console.log(squeeze(nn.relu(filtered)).toString());

// One model for images of any size (Keras' None): a Conv2D whose height and width are free, its
// kernel set by hand (the lesson's edge detector), run on the sample photos at their own sizes, no
// resizing; the feature maps of each drawn to out/any_size_<photo>.png. Run: node examples/any_size.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cast, expandDims, image, kernels, layers, nn, reshape, viz } from 'convlens';

const edges = new layers.Sequential([
  new layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'same', useBias: false, inputShape: [null, null, 1], name: 'edges' }),
  new layers.Activation('relu'),
  new layers.MaxPool2D({ poolSize: 2, padding: 'same', name: 'condense' }),
]);
const kernel = cast(reshape(kernels.edge, [3, 3, 1, 1]), 'float32');
edges.getLayer('edges').setWeights([kernel]);
edges.summary(); // (None, None, None, 1): any height and width

mkdirSync('out', { recursive: true });
for (const photo of ['camera.png', 'chelsea.png', 'rocket.jpg']) {
  const decoded = image.decodeImage(readFileSync(new URL(`../assets/images/${photo}`, import.meta.url)), { channels: 1 });
  const x = expandDims(image.convertImageDtype(decoded, 'float32'), 0);
  const condensed = edges.predict(x);
  // the same numbers as the lesson's ops on this image
  const byOps = nn.maxPool2d({
    input: nn.relu(nn.conv2d({ input: x, filters: kernel, strides: 1, padding: 'SAME' })),
    ksize: 2,
    strides: 2,
    padding: 'SAME',
  });
  const same = condensed.data.every((v, i) => v === byOps.data[i]);
  console.log(
    `${photo}: ${decoded.shape.slice(0, 2).join('×')} → condensed ${condensed.shape.slice(1, 3).join('×')}, as the ops give it: ${same}`,
  );
  const figure = viz.showFeatureMaps(edges, x, 'edges', { rows: 1, cols: 1, tileSize: 480 });
  writeFileSync(`out/any_size_${photo.replace(/\.\w+$/, '')}.png`, await figure.png());
}

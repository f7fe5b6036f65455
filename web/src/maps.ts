import { el } from './dom.js';
import { drawRgb } from './draw.js';
import { type layers, type Tensor, tensor, transpose, viz } from './lib.js';

type LayerOutput = ReturnType<layers.Sequential['layerOutputs']>[number];

/** One colour image per channel of `[1, H, W, C]` feature maps, each in its own value range (like the lesson's imshow). */
function mapTiles(output: Tensor, cmap: string): Tensor<'uint8'>[] {
  const [, h, w, c] = output.shape;
  const data = output.data as ArrayLike<number>;
  return Array.from({ length: c }, (_, k) => {
    const plane = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) plane[i] = data[i * c + k];
    return viz.colorize(tensor(plane, [h, w], 'float32'), { cmap });
  });
}

/** What a layer does, in words, for a figure's caption. */
function describeLayer(layer: LayerOutput['layer']): string {
  if (layer.className === 'Conv2D') {
    const activation = layer.activation;
    return activation === 'relu'
      ? 'convolution + ReLU'
      : activation && activation !== 'linear'
        ? `convolution + ${activation}`
        : 'convolution';
  }
  return layer.className === 'MaxPool2D' || layer.className === 'MaxPooling2D' ? 'max pooling' : layer.className;
}

/** A figure per layer whose output is feature maps (`[1, H, W, C]`, or `[1, C, H, W]` channels-first): its maps in a grid, captioned with the layer. */
export function layerMapFigures(outputs: readonly LayerOutput[]): HTMLElement[] {
  return outputs.flatMap(({ layer, output: maps, dataFormat }) => {
    if (maps.rank !== 4) return [];
    // a channels-first layer's [1, C, H, W] drawn as C maps of H×W, as showFeatureMaps draws them
    const output = dataFormat === 'channels_first' ? transpose(maps, [0, 2, 3, 1]) : maps;
    const [, h, w, c] = output.shape;
    const scale = Math.max(1, Math.round(56 / h));
    const canvas = el('canvas', { role: 'img', 'aria-label': `Feature maps of ${layer.name}` });
    drawRgb(canvas, viz.grid(mapTiles(output, 'magma'), { cols: 8, scale, gap: 2, background: [255, 255, 255] }));
    const caption = el('figcaption', {}, el('strong', {}, layer.name), ` ${describeLayer(layer)} · ${c} maps of ${h}×${w}`);
    return [el('figure', { class: 'layer-maps' }, canvas, caption)];
  });
}

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as image from '../image/index.js';
import * as kernels from '../kernels/index.js';
import { cast } from '../ops/cast.js';
import { expandDims } from '../ops/expand_dims.js';
import { nn } from '../ops/nn/index.js';
import { reshape } from '../ops/reshape.js';
import { squeeze } from '../ops/squeeze.js';
import { constant } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { colorize } from '../viz/colormap.js';
import { writeFileAtomic } from './files.js';

export const SAMPLE_IMAGE = fileURLToPath(new URL('../../assets/images/camera.png', import.meta.url));

export interface DemoOptions {
  out: string;
  image: string;
  cmap: string;
  log: (line: string) => void;
}

/** The lesson's worked example: a 6×6 image with one vertical and one short horizontal line. */
export function workedExample(): { image: Tensor; kernel: Tensor; filtered: Tensor; detected: Tensor } {
  const pixels = constant([
    [0, 1, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 0],
    [0, 1, 0, 1, 1, 1],
    [0, 1, 0, 0, 0, 0],
  ]);
  const kernel = constant([
    [1, -1],
    [1, -1],
  ]);
  const input = reshape(cast(pixels, 'float32'), [1, 6, 6, 1]);
  const filters = cast(reshape(kernel, [2, 2, 1, 1]), 'float32');
  const filtered = nn.conv2d({ input, filters, strides: 1, padding: 'VALID' });
  return { image: pixels, kernel, filtered: squeeze(filtered), detected: squeeze(nn.relu(filtered)) };
}

function indent(text: string): string {
  return text.replace(/^/gm, '    ');
}

/** Filter → detect → condense with every preset kernel, written as PNGs; the 6×6 example printed. */
export async function runDemo(options: DemoOptions): Promise<string[]> {
  const { log } = options;
  const example = workedExample();
  log("The lesson's worked example: a 6×6 image and a 2×2 kernel (stride 1, VALID padding).\n");
  log(`  image\n${indent(example.image.toString())}\n`);
  log(`  kernel\n${indent(example.kernel.toString())}\n`);
  log(`  filter: conv2d(image, kernel)\n${indent(example.filtered.toString())}\n`);
  log(`  detect: relu(filter)\n${indent(example.detected.toString())}\n`);

  const bytes = await readFile(options.image);
  const gray = image.decodeImage(bytes, { channels: 1 });
  const input = expandDims(image.convertImageDtype(gray, 'float32'), 0);
  const outDir = resolve(options.out);
  const written: string[] = [];
  const save = async (name: string, png: Uint8Array) => {
    const path = join(outDir, name);
    await writeFileAtomic(path, png);
    written.push(path);
  };
  await save('input.png', image.encodePng(gray));
  log(`Filter → detect → condense on ${options.image} (${gray.shape[1]}×${gray.shape[0]}), colormap ${options.cmap}:`);
  for (const name of kernels.names) {
    const kernel = kernels.get(name);
    const filters = cast(reshape(kernel, [...kernel.shape, 1, 1]), 'float32');
    const filtered = nn.conv2d({ input, filters, strides: 1, padding: 'SAME' });
    const detected = nn.relu(filtered);
    const condensed = nn.maxPool2d({ input: detected, ksize: 2, strides: 2, padding: 'SAME' });
    const stages: [string, Tensor][] = [
      ['filter', filtered],
      ['detect', detected],
      ['condense', condensed],
    ];
    for (const [stage, result] of stages) await save(`${name}-${stage}.png`, image.encodePng(colorize(result, { cmap: options.cmap })));
    log(`  ${kernels.presets[name].title.padEnd(14)} ${stages.map(([stage, t]) => `${stage} ${t.shape[2]}×${t.shape[1]}`).join(', ')}`);
  }
  log(`\nWrote ${written.length} PNG files to ${outDir}`);
  return written;
}

import { basename, join, resolve } from 'node:path';
// loads the wasm backend (SIMD kernels) and makes it the default, as importing 'convlens' does
import '../backend/index.js';
import { fileURLToPath } from 'node:url';
import { ConvlensError } from '../errors.js';
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
import { showExtraction } from '../viz/extraction.js';
import { showKernels } from '../viz/kernel.js';
import { matrix } from '../viz/matrix.js';
import { report } from '../viz/report.js';
import { checkCmap } from './cmap.js';
import { checkWritable, writeFileAtomic } from './files.js';
import { fsReason, readInputFile } from './inputs.js';
import { mapPreview } from './preview.js';

export const SAMPLE_IMAGE = fileURLToPath(new URL('../../assets/images/camera.png', import.meta.url));

export interface DemoOptions {
  out: string;
  image: string;
  cmap: string;
  log: (line: string) => void;
  /** A terminal picture of the edge-detect result after the listing (colour or plain shading). */
  preview?: { mode: 'color' | 'plain'; width: number };
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
  // bad settings are usage errors (exit 2), and an --image that fails an input error (exit 1),
  // both found before anything is printed or written
  checkCmap(options.cmap);
  const bytes = await readInputFile(options.image).catch((error) => {
    throw new ConvlensError(`cannot read --image ${options.image}: ${fsReason(error)}`);
  });
  let gray: Tensor;
  try {
    gray = image.decodeImage(bytes, { channels: 1, expandAnimations: false, cmykToGray: true });
  } catch (error) {
    throw new ConvlensError(`cannot decode --image ${options.image}: ${(error as Error).message}`);
  }
  await checkWritable(options.out);
  const example = workedExample();
  log("The lesson's worked example: a 6×6 image and a 2×2 kernel (stride 1, VALID padding).\n");
  log(`  image\n${indent(matrix(example.image))}\n`);
  log(`  kernel\n${indent(matrix(example.kernel))}\n`);
  log(`  filter: conv2d(image, kernel)\n${indent(matrix(example.filtered))}\n`);
  log(`  detect: relu(filter)\n${indent(matrix(example.detected))}\n`);

  const input = expandDims(image.convertImageDtype(gray, 'float32'), 0);
  const outDir = resolve(options.out);
  const written: string[] = [];
  const save = async (name: string, data: Uint8Array | string) => {
    const path = join(outDir, name);
    await writeFileAtomic(path, data);
    written.push(path);
  };
  await save('input.png', image.encodePng(gray));
  const source = basename(options.image);
  log(`Filter → detect → condense on ${options.image} (${gray.shape[0]}×${gray.shape[1]}), colormap ${options.cmap}:`);
  const strips = [];
  let preview: Tensor | undefined;
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
    const title = kernels.presets[name].title;
    const strip = showExtraction(gray, kernel, { convPadding: 'same', cmap: options.cmap, title: `${source} · ${title}` });
    await save(`${name}-extraction.png`, await strip.png());
    strips.push({ figure: strip, caption: `${title}: conv2d SAME, ReLU, 2×2 max pool` });
    if (name === 'edge') preview = detected;
    log(`  ${title.padEnd(14)} ${stages.map(([stage, t]) => `${stage} ${t.shape[1]}×${t.shape[2]}`).join(', ')}, extraction strip`);
  }
  const all = showKernels(
    kernels.names.map((name) => ({ kernel: kernels.presets[name].kernel, title: kernels.presets[name].title })),
    { digits: 4 },
  );
  await save('kernels.png', await all.png());
  await save(
    'report.html',
    report({
      title: 'convlens demo: filter, detect, condense',
      meta: `${new Date().toISOString()} · ${options.image}`,
      sections: [
        {
          heading: "The lesson's worked example",
          text: ['A 6×6 image with a vertical and a short horizontal line, the kernel [[1, -1], [1, -1]], stride 1, VALID padding.'],
          pre: [
            'image',
            matrix(example.image),
            '',
            'kernel',
            matrix(example.kernel),
            '',
            'filter',
            matrix(example.filtered),
            '',
            'detect',
            matrix(example.detected),
          ].join('\n'),
        },
        { heading: 'The preset kernels', figures: [{ figure: all }] },
        { heading: 'Feature extraction with each kernel', figures: strips },
      ],
    }),
  );
  if (preview && options.preview) {
    log(`\nEdge Detect → ReLU on ${source}, in the terminal:`);
    log(mapPreview(preview, { mode: options.preview.mode, width: options.preview.width, cmap: options.cmap, gamma: 0.5 }));
  }
  log(`\nWrote ${written.length} files to ${outDir} (open report.html for all the figures)`);
  return written;
}

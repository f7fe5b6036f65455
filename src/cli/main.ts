#!/usr/bin/env node
import { Command } from 'commander';
import { ConvlensError } from '../errors.js';
import { runDemo, SAMPLE_IMAGE } from './demo.js';

const VERSION = '0.1.0';

/** Exit codes: 0 ok, 1 some inputs failed, 2 usage error. */
function fail(error: unknown): never {
  if (error instanceof ConvlensError || (error instanceof Error && 'code' in error && typeof error.code === 'string')) {
    process.stderr.write(`convlens: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const program = new Command()
  .name('convlens')
  .description('Convolutional feature extraction: filter (convolution), detect (ReLU), condense (max pooling).')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program
  .command('demo')
  .description("Run the lesson: the 6×6 worked example in the terminal, and every preset kernel on a sample image, written as PNGs")
  .option('-o, --out <dir>', 'folder for the PNG files', 'out')
  .option('-i, --image <file>', 'PNG or JPEG to filter', SAMPLE_IMAGE)
  .option('--cmap <name>', 'colormap for feature maps (d3-scale-chromatic name, _r reverses)', 'magma')
  .addHelpText('after', '\nExamples:\n  convlens demo\n  convlens demo --image photo.jpg --out figures --cmap viridis')
  .action(async (options: { out: string; image: string; cmap: string }) => {
    try {
      await runDemo({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
    } catch (error) {
      fail(error);
    }
  });

await program.parseAsync(process.argv);

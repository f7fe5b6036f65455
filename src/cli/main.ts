#!/usr/bin/env node
import { Command } from 'commander';
import { ConvlensError } from '../errors.js';
import { runDemo, SAMPLE_IMAGE } from './demo.js';
import { trainMnist } from './train_mnist.js';

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
  .description('Run the lesson: the 6×6 worked example in the terminal, and every preset kernel on a sample image, written as PNGs')
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

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`convlens: ${name} must be a positive integer, got ${JSON.stringify(value)}\n`);
      process.exit(2);
    }
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && Number.isFinite(n))) {
      process.stderr.write(`convlens: ${name} must be a positive number, got ${JSON.stringify(value)}\n`);
      process.exit(2);
    }
    return n;
  };
}

program
  .command('train-mnist')
  .description(
    "Train the reference convnet (Conv2D 16 → pool → Conv2D 32 → pool → Dense 10) on the 'mnist' package's digits and save the model and its pictures",
  )
  .option('--epochs <n>', 'passes over the training digits', positiveInteger('--epochs'), 10)
  .option('--batch-size <n>', 'digits per gradient step', positiveInteger('--batch-size'), 64)
  .option('--learning-rate <x>', 'Adam learning rate', positiveNumber('--learning-rate'), 0.001)
  .option('--per-digit <n>', 'training digits per class (the rest are the test set)', positiveInteger('--per-digit'), 800)
  .option('--seed <n>', 'random seed for weights and shuffling', positiveInteger('--seed'), 1)
  .option('-o, --out <dir>', 'folder for the model, pictures and history', 'out/mnist')
  .addHelpText('after', '\nExamples:\n  convlens train-mnist\n  convlens train-mnist --epochs 3 --out /tmp/mnist')
  .action(async (options: { epochs: number; batchSize: number; learningRate: number; perDigit: number; seed: number; out: string }) => {
    try {
      await trainMnist({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
    } catch (error) {
      fail(error);
    }
  });

await program.parseAsync(process.argv);

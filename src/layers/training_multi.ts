import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkLabels, LOSSES } from '../train/losses.js';
import type { KerasMetric } from '../train/metric_specs.js';
import { checkMetricLabels, metricSum, metricsArg, rowWeightSum, weightedMetricNames } from '../train/metrics.js';
import { getOptimizer, type Optimizer } from '../train/optimizers.js';
import type { History, Logs, TrainingModel } from './callbacks.js';
import type { DatasetEpochSteps, DatasetTrainer, Evaluation } from './dataset_training.js';
import { ARRAY_KEYS, type BatchKeys, checkBatchExamples } from './datasets.js';
import { type KerasScores, withKerasScores } from './evaluate_result.js';
import { progressLine } from './fit_progress.js';
import { type Layer, type Weight, Workspace } from './layer.js';
import {
  classRowWeights,
  exampleRowWeights,
  outputClassWeightTables,
  outputSampleWeights,
  rowShapeOf,
  trainedOutputShape,
} from './loss_weights.js';
import { arraysInOrder, batchSizeArg, checkTensorArg, gather, inWorkspace, range, verboseArg } from './model_common.js';
import type { Shape } from './shapes.js';
import { type OutputSettings, outputsTrainingConfigOf, type SavedTrainingConfig } from './training_config.js';
import {
  type BatchPlace,
  BOTH_WEIGHTS,
  type CompileArgs,
  checkLoss,
  type EpochData,
  type EpochSettings,
  type FitArgs,
  firstNonFinite,
  fitSettings,
  indexBatches,
  lossArg,
  noTrainingExamples,
  placeName,
  runEpochs,
  splitOff,
} from './training_loop.js';
import { addPenaltyGradients, weightPenalty } from './weight_settings.js';

// compile, fit and evaluate for a functional model of several inputs or outputs, as Keras'
// Model.fit does: a loss per output, their weighted sum minimized, logs per output. fit's epochs
// are training_loop.ts' (runEpochs), as a model of one input and output's; on a dataset, dataset_training.ts'.

type OneLoss = CompileArgs['loss'];

/** compile's arguments for a model of several outputs: the loss, metrics and weights for all, as a list (one per output) or by output name. */
/** Metric names or Keras' metric classes (`new metrics.BinaryAccuracy({ name: 'acc' })`), for one output. */
type MetricList = (string | KerasMetric)[];

export interface MultiCompileArgs {
  optimizer?: string | Optimizer;
  /** One loss for every output, a list of one per output, or an object keyed by output layer name. */
  loss: OneLoss | OneLoss[] | Record<string, OneLoss>;
  /** Names for every output, a list of lists (one per output, as Keras takes) or an object keyed by output layer name. */
  metrics?: string | MetricList | MetricList[] | Record<string, string | MetricList>;
  /**
   * Keras' weighted_metrics, in the forms of `metrics`: weighted by fit's and evaluate's
   * sampleWeight (each output's own, if given per output); logged as `<output>_<name>`, or
   * `<output>_weighted_<name>` where that output's `metrics` have the name too.
   */
  weightedMetrics?: string | MetricList | MetricList[] | Record<string, string | MetricList>;
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
  outputShapes(): Shape[];
  /** The input arrays checked (their count, shapes and example counts), `op` naming the call and `arg` the arrays. */
  inputArrays(op: string, x: unknown, arg: string): Tensor[];
  forward(xs: Tensor[], training: boolean): Tensor<'float32'>[];
  backward(dys: Tensor<'float32'>[], preActivation: boolean[]): void;
}

/** A model's data: the arrays of its inputs and the labels of its outputs, in order, with the same examples, and each output's examples' weights (Keras' sample_weight), if any. */
type Data = { xs: Tensor[]; ys: Tensor[]; weights: (Tensor | undefined)[] };

/** fit's options for a model of several inputs or outputs: `validationData` is `[x, y]` or `[x, y, sampleWeight]`, each as fit takes it. */
type MultiFitArgs = Omit<FitArgs, 'validationData' | 'sampleWeight'> & {
  validationData?: [unknown, unknown] | [unknown, unknown, unknown];
  sampleWeight?: MultiSampleWeight;
};

/**
 * Keras' sample_weight for a model of several outputs: one array of a weight per example, for
 * every output's loss; a list of one per output (null for an unweighted one); or an object keyed
 * by output name.
 */
export type MultiSampleWeight = Tensor | (Tensor | null)[] | Record<string, Tensor | null>;

/**
 * Sums over a pass's batches: the weighted total and each output's loss, each times its batch's
 * size, each output's metric sums, its weighted metrics' Σ w·metric and its weights' Σ w.
 */
type Sums = { total: number; losses: Float64Array; metricSums: Float64Array[]; weightedSums: Float64Array[]; weightSums: Float64Array };

/** One output's compile settings, and the log keys of its weighted metrics. */
type CompiledOutput = OutputSettings & { weightedKeys: string[] };

/**
 * How a pass computes the loss: how each output's loss reads it (from its last layer's logits,
 * `fused`, or from outputs that are logits), the trainable weights whose penalties it adds, and
 * fit's class weights of each output (a weight for each class index; none for an unweighted one).
 */
type Mode = { outputs: { fused: boolean; fromLogits: boolean }[]; penalized: readonly Weight[]; classTables: (Float64Array | undefined)[] };

export class MultiOutputTraining implements DatasetTrainer<Data, { loss: number } & Logs & KerasScores> {
  private compiled?: { optimizer: Optimizer; outputs: CompiledOutput[] };
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
    checkOptions('compile', args, ['optimizer', 'loss', 'metrics', 'weightedMetrics', 'lossWeights']);
    const optimizer = getOptimizer(args.optimizer ?? 'rmsprop');
    const names = this.passes.outputNames();
    const { loss, lossWeights } = args;
    const isOneLoss = typeof loss === 'string' || (typeof loss === 'object' && loss !== null && 'name' in loss);
    const losses = isOneLoss ? names.map(() => loss) : this.perOutput('loss', loss);
    const metricLists = this.metricLists('metrics', args.metrics);
    const weightedLists = this.metricLists('weightedMetrics', args.weightedMetrics);
    const weights = lossWeights === undefined ? names.map(() => 1) : this.perOutput('lossWeights', lossWeights, 1);
    const outputs = names.map((name, i) => {
      if (losses[i] === undefined) throw new ConvlensError(`compile: ${this.where}: no loss for the output '${name}'`);
      const weight = weights[i];
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw new ConvlensError(
          `compile: ${this.where}: lossWeights for '${name}' must be a non-negative number, got ${describeValue(weight)}`,
        );
      }
      return {
        name,
        ...lossArg(losses[i] as OneLoss),
        weight,
        metrics: metricsArg(metricLists[i]),
        weightedMetrics: metricsArg(weightedLists[i], 'weightedMetrics'),
      };
    });
    this.compiled = { optimizer, outputs: withWeightedKeys(outputs) };
  }

  /** compile's `metrics` or `weightedMetrics` (`arg`) for each output: a list of names is every output's, as in Keras and tfjs; a list of lists, one per output. */
  private metricLists(arg: string, metrics: unknown = []): unknown[] {
    const forAll = typeof metrics === 'string' || (Array.isArray(metrics) && !metrics.some(Array.isArray));
    return forAll ? this.passes.outputNames().map(() => metrics) : this.perOutput(arg, metrics, []);
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
    const names = this.passes.outputNames();
    const shapes = this.passes.outputShapes().map((shape, i) => trainedOutputShape(op, names[i], shape));
    for (const [i, out] of this.requireCompiled(op).outputs.entries()) {
      const outputShape = [ys[i].shape[0], ...shapes[i]];
      try {
        checkLabels(out.loss, ys[i], outputShape);
      } catch (error) {
        // which output's labels, and whether fit's or its validationData's
        if (error instanceof ConvlensError) throw new ConvlensError(`${op} (output '${out.name}'): ${error.message}`);
        throw error;
      }
      for (const metric of [...out.metrics, ...out.weightedMetrics])
        checkMetricLabels(`${op} (output '${out.name}')`, metric, out.loss, ys[i], outputShape);
    }
    const weighted = this.passes.outputNames().map((name, i) => ({ name, rowShape: rowShapeOf(shapes[i]) }));
    const weights = outputSampleWeights(op, 'sampleWeight', sampleWeight, this.where, weighted, xs[0].shape[0]);
    return { xs, ys, weights };
  }

  /** A dataset's batch (or validation arrays) checked as arrays are, with its examples' weights if given; `keys` name them and `op` the call. */
  checkBatch(op: string, x: unknown, y: unknown, keys: BatchKeys, sampleWeight?: unknown): Data {
    const data = this.data(op, x, y, keys, sampleWeight);
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
    const names = this.passes.outputNames();
    const classes = this.passes.outputShapes().map((shape, i) => trainedOutputShape(op, names[i], shape).at(-1) ?? 1);
    const classTables = outputClassWeightTables(classWeight, this.where, this.passes.outputNames(), classes);
    return { outputs, penalized, classTables };
  }

  /**
   * One batch of `count` examples, computed in the workspace (its arrays taken by `arrays` in it):
   * each output's loss and weighted metrics (weighted by the class weights or the output's
   * examples' weights, if any) and other metrics added to `sums`,
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
        const classTable = mode.classTables[i];
        const rowWeights = classTable ? classRowWeights(classTable, ys[i], rows) : weights[i] && exampleRowWeights(weights[i].data, rows);
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
        out.weightedMetrics.forEach((m, k) => {
          sums.weightedSums[i][k] += metricSum(m, out.loss, ys[i], p, fromLogits, rowWeights);
        });
        sums.weightSums[i] += rowWeightSum(rowWeights, rows, count);
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
      weights: data.weights.map((w) => w && gather(w, indices)),
    });
  }

  /**
   * Logs as Keras names them for several outputs: `loss` (the weighted total), `<output>_loss`,
   * `<output>_<metric>`, then the weighted metrics (see withWeightedKeys); for one output (of
   * several inputs), a model of one's: `loss`, `<metric>`. Means of `sums` over `count` examples
   * (the weighted metrics' over their weights).
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
    outputs.forEach((out, i) => {
      // Keras' Mean divides with divide_no_nan: 0 when every weight is 0
      out.weightedKeys.forEach((key, k) => {
        logs[key] = sums.weightSums[i] === 0 ? 0 : sums.weightedSums[i][k] / sums.weightSums[i];
      });
    });
    return logs;
  }

  /** Sums of a pass over batches: the total and each output's loss weighted by the batch size, and the metric sums. */
  private sums(): Sums {
    const { outputs } = this.compiled!;
    return {
      total: 0,
      losses: new Float64Array(outputs.length),
      metricSums: outputs.map((o) => new Float64Array(o.metrics.length)),
      weightedSums: outputs.map((o) => new Float64Array(o.weightedMetrics.length)),
      weightSums: new Float64Array(outputs.length),
    };
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

  evaluation(op: string): Evaluation<Data, { loss: number } & Logs & KerasScores> {
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
      result: () => {
        const result = logs();
        return withKerasScores(result, Object.keys(result));
      },
    };
  }

  validationArrays(op: string, x: unknown, y: unknown, batchSize: number, sampleWeight?: unknown): () => Logs {
    const data = this.checkBatch(op, x, y, ARRAY_KEYS, sampleWeight);
    const mode = this.mode('fit');
    return () => this.evaluateChecked(data, batchSize, mode);
  }

  /** Mean losses (the weighted total and each output's) and metrics over the data, the losses and weighted metrics weighted by `sampleWeight` if given. */
  evaluate(
    x: unknown,
    y: unknown,
    options: { batchSize?: number; verbose?: 0 | 1 | 2; sampleWeight?: MultiSampleWeight } = {},
  ): { loss: number } & Logs & KerasScores {
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
    return withKerasScores(logs as { loss: number } & Logs, Object.keys(logs));
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
    if (settings.classWeight !== undefined && args.sampleWeight !== undefined) throw new ConvlensError(`fit: ${BOTH_WEIGHTS}`);
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
    const weighted = [...new Set(all.weights.filter((w) => w !== undefined))];
    const arrays = [...all.xs, ...all.ys, ...weighted];
    const split = !given && settings.validationSplit > 0 ? splitOff(arrays, settings.validationSplit) : undefined;
    const [inputs, outputs] = [all.xs.length, all.xs.length + all.ys.length];
    const part = (list: Tensor[]): Data => ({
      xs: list.slice(0, inputs),
      ys: list.slice(inputs, outputs),
      weights: all.weights.map((w) => w && list[outputs + weighted.indexOf(w)]),
    });
    const data = split ? part(split.train) : all;
    const validation = given ?? (split && part(split.validation));
    if (data.xs[0].shape[0] === 0) throw noTrainingExamples(all.xs[0], split && settings.validationSplit);
    if (validation?.xs[0].shape[0] === 0) throw new ConvlensError('fit: the validation data has no examples');
    Object.assign(settings.epochSteps, {
      steps: Math.ceil(data.xs[0].shape[0] / settings.batchSize),
      samples: data.xs[0].shape[0],
      batchSize: settings.batchSize,
    });
    const mode = this.mode('fit', settings.classWeight);
    // class weights weigh the training loss only, as in Keras
    const validationMode = { ...mode, classTables: [] };
    return this.runTraining(settings, mode, {
      batches: () => indexBatches(data.xs[0].shape[0], settings),
      examples: (indices) => ({ count: indices.length, arrays: this.gathered(data, indices) }),
      validation: validation && (() => this.evaluateChecked(validation, settings.validationBatchSize, validationMode)),
    });
  }

  fitBatches(settings: EpochSettings, steps: DatasetEpochSteps<Data>): Promise<History> {
    const mode = this.mode('fit', settings.classWeight);
    return this.runTraining(settings, mode, {
      batches: steps.batches,
      more: steps.more,
      examples: (batch, place) => {
        const data = steps.batch(batch, place);
        if (mode.classTables.some(Boolean) && data.weights.some((w) => w !== undefined)) {
          throw new ConvlensError(`fit (${placeName(place)}): ${BOTH_WEIGHTS}`);
        }
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

/**
 * The outputs with their weighted metrics' log keys, as Keras 3 names them: `<output>_<name>`
 * for one of several outputs, `<name>` for one, or with `weighted_` before the name where a
 * metric that is not weighted has it (weightedMetricNames).
 */
function withWeightedKeys(outputs: readonly OutputSettings[]): CompiledOutput[] {
  const prefix = (out: OutputSettings) => (outputs.length > 1 ? `${out.name}_` : '');
  const taken = outputs.flatMap((out) => out.metrics.map((metric) => prefix(out) + metric.key));
  const keys = weightedMetricNames(
    taken,
    outputs.map((out) => ({ prefix: prefix(out), metrics: out.weightedMetrics })),
  );
  return outputs.map((out, i) => ({ ...out, weightedKeys: keys[i] }));
}

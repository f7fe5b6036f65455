import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from '../train/optimizer.js';
import type { ImageDataFormat } from './args.js';
import { type ModelArtifacts, modelArtifacts, optimizerWeightsToSave, type SaveOptions, sequentialConfig } from './artifacts.js';
import type { History } from './callbacks.js';
import { type DatasetEvaluateOptions, type DatasetFitArgs, evaluateOnDataset, fitOnDataset } from './dataset_training.js';
import { type BatchDataset, datasetCallOptions, isDataset } from './datasets.js';
import { inputLayout, outputLayout } from './image_layout.js';
import { InferenceWorkspace } from './inference_workspace.js';
import { saveModel, saveModelWeights } from './keras_save.js';
import { batchShapeText, Layer, uniqueName } from './layer.js';
import { expandNestedOption, type LayerOutput, type LayerOutputsOptions, tracedOutputs } from './layer_paths.js';
import {
  buildAfter,
  checkPrint,
  checkTensorArg,
  findLayer,
  type PredictOptions,
  type PredictSpace,
  predictInBatches,
  summaryText,
} from './model_common.js';
import { ModelLayer } from './model_layer.js';
import { exampleCount, type TrainOnBatchOptions, trainOnBatch } from './on_batch.js';
import { MaxPool2D } from './pooling.js';
import { type DatasetPredictOptions, predictOnDataset } from './predict_dataset.js';
import type { Shape } from './shapes.js';
import { SymbolicTensor, setGraphMaker } from './symbolic.js';
import type { TrainingConfig } from './training_config.js';
import { type CompileArgs, type EvaluateOptions, type EvaluateResult, type FitArgs, ModelTraining } from './training_loop.js';
import { type LoadWeightsOptions, loadWeightsInto, type WeightsArtifacts, type WeightsSource, weightsArtifacts } from './weights_file.js';

export type { CompileArgs, EvaluateResult, FitArgs };

/** The layers and options of Keras' `Sequential(layers, { name })`, or of tfjs' `sequential({ layers, name })` (a plain object holding `layers`). */
function sequentialArgs(first: unknown, more: { name?: string }): { layers: unknown; options: { name?: string } } {
  const isArgs = typeof first === 'object' && first !== null && Object.getPrototypeOf(first) === Object.prototype && 'layers' in first;
  if (!isArgs) return { layers: first, options: more };
  const { layers = [], ...options } = first as { layers?: unknown; name?: string };
  return { layers, options: { ...options, ...more } };
}

/**
 * Keras' Sequential model: layers applied in order, trained end to end. It is a layer too: a model
 * may hold it among its layers, or apply it to a symbolic tensor, as Keras nests models.
 */
export class Sequential extends ModelLayer {
  /** Not readonly: a replica (another application of a shared model) holds replicas of the layers. */
  private layerList: Layer[] = [];
  /** Keras 3's `Input` added before any layer: the first layer takes its shape. */
  private declaredInput: SymbolicTensor | undefined;
  /** Keras' symbolic graph of the model, made on first use (`inputs`, a layer's `output`): its input and each layer's output. */
  private graph: { input: SymbolicTensor; outputs: SymbolicTensor[] } | undefined;
  /**
   * Keras' `stop_training`: set it (in a callback, or on Ctrl-C) and `fit` ends after the current
   * batch; that epoch is finished with the batches done (its logs, validation and onEpochEnd).
   */
  stopTraining = false;
  private readonly training = new ModelTraining({
    model: this,
    layers: () => this.layerList,
    outputLayer: () => this.layerList[this.layerList.length - 1]?.finalLayer(),
    ensureBuilt: (op, batchShape) => this.ensureBuilt(op, batchShape),
    checkInputData: (x, op) => this.checkInputData(x, op),
    takesIntegerInput: () => this.takesIntegerInput,
    forward: (x, training) => this.run(x, training),
    backward: (dy, preActivation) => this.backward(dy, false, preActivation),
  });
  /** predict's buffers, shared by the layers as their outputs come and go (fit's, in `training`, keep every activation). */
  private readonly inference = new InferenceWorkspace();

  /** The layers in order; Keras 3's `Input(shape)` may come first, giving the first layer its input shape. */
  constructor(layers?: (Layer | SymbolicTensor)[], options?: { name?: string });
  /** tfjs' form, as `tf.sequential({ layers, name })` takes it. */
  constructor(args: { layers?: (Layer | SymbolicTensor)[]; name?: string });
  constructor(
    layersOrArgs: (Layer | SymbolicTensor)[] | { layers?: (Layer | SymbolicTensor)[]; name?: string } = [],
    more: { name?: string } = {},
  ) {
    const { layers, options } = sequentialArgs(layersOrArgs, more);
    checkOptions('Sequential', options, ['name']);
    super('Sequential', 'sequential', options.name);
    if (!Array.isArray(layers)) throw new ConvlensError(`Sequential: expected an array of layers, got ${describeValue(layers)}`);
    for (const layer of layers) this.add(layer);
  }

  /**
   * Appends a layer (or a model, as one layer), building it at once when the shape of its input is
   * known. Keras 3's `model.add(Input(shape))` before the first layer gives that layer its input
   * shape, as its `inputShape` would (and is saved as such: tfjs' format has no input entry).
   */
  add(layer: Layer | SymbolicTensor): void {
    this.training.checkNotFitting('add');
    if (layer instanceof SymbolicTensor) {
      this.addInput(layer);
      return;
    }
    if (!(layer instanceof Layer)) throw new ConvlensError(`Sequential '${this.name}': add expects a layer, got ${describeValue(layer)}`);
    this.checkJoins(layer);
    if (this.layerList.some((l) => l.name === layer.name)) {
      throw new ConvlensError(`Sequential '${this.name}': a layer named '${layer.name}' is already in the model (names must be unique)`);
    }
    const previous = this.layerList[this.layerList.length - 1];
    if (!previous) {
      const shape = this.firstInputShape(layer);
      if (shape && !layer.built) layer.build(shape);
    } else if (previous.outputShape) {
      buildAfter(previous, layer);
    }
    this.layerList.push(layer);
    setGraphMaker(layer, () => this.symbolicGraph());
    if (this.graph) this.graph.outputs.push(layer.apply(this.graph.outputs.at(-1) ?? this.graph.input));
  }

  /** Keras' `model.inputs`: the model's input, symbolic, a list of one (the Input it began with, if any). */
  get inputs(): SymbolicTensor[] {
    return [this.symbolicGraph().input];
  }

  /** Keras' `model.outputs`: the last layer's output in the model's graph, a list of one. */
  get outputs(): SymbolicTensor[] {
    return [this.output];
  }

  /** Keras' `model.output`: the last layer's output in the model's graph. */
  override get output(): SymbolicTensor {
    const last = this.symbolicGraph().outputs.at(-1);
    if (!last) throw new ConvlensError(`Sequential '${this.name}': output needs a layer, and the model has none`);
    return last;
  }

  /**
   * The model's graph, as Keras builds a Sequential's: its input (the Input it began with, or a new
   * one of its input shape) and each layer applied to the one before, made once and kept.
   */
  private symbolicGraph(): { input: SymbolicTensor; outputs: SymbolicTensor[] } {
    if (this.graph) return this.graph;
    const shape = this.inputShape ?? this.declaredInput?.exampleShape;
    if (!shape) {
      throw new ConvlensError(
        `Sequential '${this.name}': its symbolic inputs and outputs need its input shape: give the first layer inputShape (or begin with layers.Input({ shape })), or call predict first`,
      );
    }
    const input = this.declaredInput ?? new SymbolicTensor(uniqueName('input_layer'), shape, { input: true });
    const outputs: SymbolicTensor[] = [];
    for (const layer of this.layerList) outputs.push(layer.apply(outputs.at(-1) ?? input));
    this.graph = { input, outputs };
    return this.graph;
  }

  /** Keras 3's `Input` as a Sequential's first entry: only an input, only once, before the layers. */
  private addInput(input: SymbolicTensor): void {
    const where = `Sequential '${this.name}'`;
    if (!('input' in input.source)) {
      throw new ConvlensError(
        `${where}: add expects a layer or an Input, got the symbolic tensor '${input.name}', the output of a layer (apply layers to it and make a model with layers.model({ inputs, outputs }))`,
      );
    }
    if (this.layerList.length > 0 || this.declaredInput) {
      const what = this.declaredInput ? `the Input '${this.declaredInput.name}'` : `layer '${this.layerList[0].name}'`;
      throw new ConvlensError(`${where}: an Input ('${input.name}') may only come first, as in Keras, and ${what} is already there`);
    }
    this.declaredInput = input;
  }

  /** The input shape of the model's first layer: its own inputShape, or that of an Input added before it (which must agree). */
  private firstInputShape(layer: Layer): Shape | undefined {
    const input = this.declaredInput?.exampleShape;
    if (input && layer.inputShape && !shapesEqual(input, layer.inputShape)) {
      throw new ConvlensError(
        `Sequential '${this.name}': the Input '${this.declaredInput!.name}' gives inputs ${batchShapeText(input)}, but its first layer '${layer.name}' takes ${batchShapeText(layer.inputShape)}`,
      );
    }
    return layer.inputShape ?? input;
  }

  /** Removes the last layer and returns it (Keras' and tfjs' `pop`): the one before it gives the model's output. */
  pop(): Layer {
    this.training.checkNotFitting('pop');
    const last = this.layerList.pop();
    this.graph?.outputs.splice(this.layerList.length);
    if (!last) throw new ConvlensError(`Sequential '${this.name}': pop needs a layer to remove, and the model has none`);
    return last;
  }

  /** The layers in order: a new list each time, as Keras' `model.layers` (changing it leaves the model alone; `add` appends). */
  get layers(): Layer[] {
    return [...this.layerList];
  }

  override get inputShape(): Shape | undefined {
    return this.layerList[0]?.inputShape;
  }

  override get outputShape(): Shape | undefined {
    return this.layerList[this.layerList.length - 1]?.outputShape;
  }

  override set inputShape(_shape: Shape | undefined) {
    this.refuseShapeSet('inputShape');
  }

  override set outputShape(_shape: Shape | undefined) {
    this.refuseShapeSet('outputShape');
  }

  override finalLayer(): Layer {
    const last = this.layerList[this.layerList.length - 1];
    if (!last) throw new ConvlensError(`Sequential '${this.name}': the model has no layers`);
    return last.finalLayer();
  }

  /** The layer of that name, or at that index (Keras' `get_layer(index=...)`, tfjs' `getLayer(undefined, index)`); in a nested model, by path ('base/conv2d'). */
  getLayer(nameOrIndex: string | number): Layer;
  getLayer(name: undefined | null, index: number): Layer;
  getLayer(nameOrIndex: string | number | undefined | null, index?: number): Layer {
    return findLayer(this.layerList, nameOrIndex, index);
  }

  private ensureBuilt(op: string, batchShape: readonly number[]): void {
    if (this.layerList.length === 0) throw new ConvlensError(`${op}: the model has no layers`);
    this.build(batchShape.slice(1));
  }

  /** Builds the layers in turn from the first, for inputs of `inputShape` unless the first layer was built already. */
  override build(inputShape: Shape): void {
    if (this.layerList.length === 0) throw new ConvlensError(`Sequential '${this.name}': the model has no layers`);
    const [first, ...rest] = this.layerList;
    if (!first.built) first.build(inputShape);
    rest.forEach((layer, i) => {
      buildAfter(this.layerList[i], layer);
    });
  }

  /** A copy running a replica of each layer in turn, each built for the shape the one before gives. */
  protected replicaFor(input: { name: string; shape: Shape }): Sequential {
    const copy = this.stateCopy();
    let from = input;
    copy.layerList = this.layerList.map((layer) => {
      const replica = layer.replica([from]);
      from = { name: layer.name, shape: replica.outputShape! };
      return replica;
    });
    return copy;
  }

  /** The output shape for inputs of `inputShape`, layer after layer. */
  computeOutputShape(inputShape: Shape): Shape {
    return this.layerList.reduce((shape, layer) => layer.computeOutputShape(shape), inputShape);
  }

  /**
   * Checks all of `x` against the model's input before it is cut into batches, so a mismatch
   * reports the data's shape rather than a batch's; `op` prefixes the message when given.
   */
  private checkInputData(x: Tensor, op?: string): void {
    try {
      this.layerList[0].checkInput(x.shape);
    } catch (error) {
      if (op && error instanceof ConvlensError) throw new ConvlensError(`${op}: ${error.message}`);
      throw error;
    }
  }

  /**
   * Its layers in turn; with `trace` (in inference mode), each layer's entries in layerOutputs are
   * added to it as computed. In predict, a layer's input buffer goes back to the pool once the
   * layer has run (see InferenceWorkspace).
   */
  private run(x: Tensor, training: boolean, trace?: Trace): Tensor<'float32'> {
    this.ensureBuilt('predict', x.shape);
    let out = x as Tensor<'float32'>;
    let format = trace?.inputFormat ?? 'channels_last';
    const run = this.startRun(() => [out]);
    for (const layer of this.layerList) {
      const input = out;
      if (trace) {
        const entries = tracedOutputs(layer.originalLayer, layer, () => layer.apply(input, false), input, format, trace.expandNested);
        trace.outputs.push(...entries);
        out = entries[0].output;
        format = outputLayout(layer, format);
      } else {
        out = layer.apply(input, training);
      }
      run?.release();
    }
    run?.end();
    return out;
  }

  /** The model as a layer of another: its layers in turn, in training mode or not. */
  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    return this.run(x, training);
  }

  /** Its config as a layer of another model, as tfjs-layers writes a nested Sequential. */
  /** As a layer of another model: its config, with Keras' `trainable: false` when frozen (so it loads frozen). */
  getConfig(): Record<string, unknown> {
    return { ...sequentialConfig(this), ...(this.trainable ? {} : { trainable: false }) };
  }

  /**
   * The model's output for a batch `[N, ...inputShape]`, computed `batchSize` examples at a time.
   * Given a dataset, as Keras' `predict(dataset)`, resolves to the outputs of one iteration of it
   * (predictDataset).
   */
  predict(x: Tensor, options?: PredictOptions): Tensor<'float32'>;
  predict(dataset: BatchDataset, options?: DatasetPredictOptions): Promise<Tensor<'float32'>>;
  predict(x: Tensor | BatchDataset, options: PredictOptions = {}): Tensor<'float32'> | Promise<Tensor<'float32'>> {
    if (isDataset(x)) return this.predictDataset(x, options);
    return predictInBatches(
      {
        run: (batch) => this.run(batch, false),
        ...this.predictSpace(),
        checkInputData: (data) => {
          this.ensureBuilt('predict', data.shape);
          this.checkInputData(data);
        },
      },
      x,
      options,
    );
  }

  /**
   * The outputs for one iteration of a dataset (its batches' `x`; labels unused), joined in the
   * order the batches came: Keras' `predict(dataset)`; tfjs-layers has no such method.
   */
  async predictDataset(dataset: BatchDataset, options?: DatasetPredictOptions): Promise<Tensor<'float32'>> {
    const runner = {
      modelName: this.name,
      inputs: (op: string, x: unknown, arg: string) => {
        checkTensorArg(op, arg, x);
        if (x.rank === 0) throw new ConvlensError(`${op}: ${arg} must have a batch axis, got a scalar`);
        this.ensureBuilt(op, x.shape);
        this.checkInputData(x, op);
        return [x];
      },
      run: ([x]: Tensor[]) => [this.run(x, false)],
      ...this.predictSpace(),
    };
    return (await predictOnDataset(runner, dataset, options))[0];
  }

  /** The model predict computes and the workspace its layers compute in (not fit's: see InferenceWorkspace). */
  private predictSpace(): PredictSpace {
    return { model: this, workspace: this.inference };
  }

  /**
   * Every layer's output for `x`, in order: the feature maps Keras shows with an activation model.
   * With `expandNested`, a nested model's layers follow it, by path ('base/conv2d').
   */
  layerOutputs(x: Tensor, options: LayerOutputsOptions = {}): LayerOutput[] {
    checkTensorArg('layerOutputs', 'x', x);
    const trace: Trace = { expandNested: expandNestedOption(options), inputFormat: this.inputDataFormat, outputs: [] };
    this.run(x, false, trace);
    return trace.outputs;
  }

  tracedRun(x: Tensor<'float32'>, inputFormat: ImageDataFormat): { output: Tensor<'float32'>; layers: LayerOutput[] } {
    const trace: Trace = { expandNested: true, inputFormat, outputs: [] };
    return { output: this.run(x, false, trace), layers: trace.outputs };
  }

  /** Whether its input goes first into a layer that casts integers (Rescaling, an augmentation layer): then it takes uint8 pixels as decoded, as in Keras. */
  override get takesIntegerInput(): boolean {
    return this.layerList[0]?.takesIntegerInput ?? false;
  }

  /**
   * The layout of the images the model takes: 'channels_first' ([channels, height, width]) when
   * its first layer with a dataFormat of its own (inside a nested model too) is channels-first;
   * 'channels_last' otherwise, Keras' default.
   */
  get inputDataFormat(): ImageDataFormat {
    return inputLayout(this.layerList);
  }

  outputLayout(inputFormat: ImageDataFormat): ImageDataFormat {
    return this.layerList.reduce((format, layer) => outputLayout(layer, format), inputFormat);
  }

  /** A Keras-style table of the layers, their output shapes and parameter counts; printed with `print`. */
  summary(print: ((line: string) => void) | null = console.log, ...more: never[]): string {
    checkPrint(print, more);
    // Columns as wide as Keras' (28 and 26) or as the longest entry, so long names never run together.
    const text = summaryText({
      name: this.name,
      header: ['Layer (type)', 'Output Shape', 'Param #'],
      minWidths: [28, 26],
      lastWidth: 12,
      minRuleWidth: 65,
      rows: this.layerList.map((layer) => [
        `${layer.name} (${layer.className})`,
        layer.outputShape ? batchShapeText(layer.outputShape) : '?',
        layer.countParams().toLocaleString('en-US'),
      ]),
      layers: this.layerList,
    });
    print?.(text);
    return text;
  }

  /** The model in the TensorFlow.js Layers format (model.json object + weight bytes); no file access, works in browsers. */
  toArtifacts(options?: SaveOptions): ModelArtifacts {
    const optimizerWeights = optimizerWeightsToSave('toArtifacts', this, options);
    return modelArtifacts({ name: this.name, layers: this.layers, training: this.training.trainingConfig(), optimizerWeights });
  }

  /**
   * Writes `path/model.json` and `path/weights.bin` (Node.js), all or nothing; `layers.loadModel(path)` reads them back.
   * A path ending in .h5 or .hdf5 gets Keras 2's HDF5 model file instead (`layers.kerasH5Bytes`), which Keras'
   * `load_model` and `layers.loadModel(path)` read; .keras is refused (convlens does not write Keras 3's zip).
   */
  async save(path: string, options?: SaveOptions): Promise<void> {
    await saveModel(this, path, options);
  }

  /** The weights alone, as `saveWeights` writes them (weights.json object + weight bytes); no file access, works in browsers. */
  toWeightsArtifacts(): WeightsArtifacts {
    return weightsArtifacts(this);
  }

  /**
   * Keras' `save_weights`: writes `path/weights.json` and `path/weights.bin` (Node.js), all or nothing; `loadWeights(path)`
   * reads them back. A path ending in .weights.h5 gets Keras 3's weights file instead (`layers.kerasWeightsBytes`).
   */
  async saveWeights(path: string): Promise<void> {
    await saveModelWeights(this, path);
  }

  /**
   * Keras' `load_weights`: sets the weights from `saveWeights`' folder (or its weights.json), matched by
   * Keras 3's rule (each layer by its class and rank among that class, not its name), or from a
   * TensorFlow.js Layers model folder or model.json, matched by name; or from either's artifacts
   * in memory (`toWeightsArtifacts()`, `toArtifacts()`). Checks every weight before setting any;
   * with `skipMismatch`, sets those that fit and warns naming the rest.
   */
  async loadWeights(source: WeightsSource, options?: LoadWeightsOptions): Promise<void> {
    await loadWeightsInto(this, source, options);
  }

  compile(args: CompileArgs): void {
    this.training.compile(args);
  }

  /** The optimizer compile gave it (Keras' `model.optimizer`), if compiled: its learning rate may be read and set. */
  get optimizer(): Optimizer | undefined {
    return this.training.optimizer;
  }

  /** compile's settings as a saved model carries them (undefined before compile). */
  trainingConfig(): TrainingConfig | undefined {
    return this.training.trainingConfig()?.config;
  }

  /**
   * Trains the model with mini-batch gradient descent; resolves to the per-epoch history. Given a
   * dataset instead of arrays, as Keras' `fit(dataset)`, trains on its batches (fitDataset).
   */
  fit(x: Tensor, y: Tensor, args?: FitArgs): Promise<History>;
  fit(dataset: BatchDataset, args?: DatasetFitArgs): Promise<History>;
  async fit(x: Tensor | BatchDataset, y?: Tensor | DatasetFitArgs, args?: FitArgs): Promise<History> {
    if (isDataset(x)) return this.fitDataset(x, datasetCallOptions('fit', y, args));
    return this.training.fit(x, y as Tensor, args);
  }

  /**
   * tfjs' and Keras' trainOnBatch: one optimizer step on all of `x` and `y`, in order; resolves to
   * the loss before the step, or `[loss, ...compile's metrics]` when it has metrics.
   */
  trainOnBatch(x: Tensor, y: Tensor, options?: TrainOnBatchOptions): Promise<number | number[]> {
    return trainOnBatch((a: Tensor, b: Tensor, args: FitArgs) => this.fit(a, b, args), x, y, options);
  }

  /** tfjs' and Keras' predictOnBatch: predict on all of `x` as one batch. */
  predictOnBatch(x: Tensor): Tensor<'float32'> {
    return this.predict(x, { batchSize: exampleCount(x) });
  }

  /**
   * tfjs' fitDataset: trains on a dataset's batches (an ImageBatchDataset, a tf.data Dataset, or any
   * async iterable of `{ x, y }` or tfjs' `{ xs, ys }`), one iteration per epoch, or
   * `batchesPerEpoch` batches of one iteration read on across epochs.
   */
  fitDataset(dataset: BatchDataset, args?: DatasetFitArgs): Promise<History> {
    return fitOnDataset(this.training, dataset, args);
  }

  /**
   * Mean loss and accuracy (by the rule Keras picks for the loss) over `x`, `batchSize` examples
   * at a time, and compile's other metrics by their keys. Given a dataset, over one iteration of
   * it (evaluateDataset), resolving to the same.
   */
  evaluate(x: Tensor, y: Tensor, options?: EvaluateOptions): EvaluateResult;
  evaluate(dataset: BatchDataset, options?: DatasetEvaluateOptions): Promise<EvaluateResult>;
  evaluate(
    x: Tensor | BatchDataset,
    y?: Tensor | DatasetEvaluateOptions,
    options?: EvaluateOptions,
  ): EvaluateResult | Promise<EvaluateResult> {
    if (isDataset(x)) return this.evaluateDataset(x, datasetCallOptions('evaluate', y, options));
    return this.training.evaluate(x, y as Tensor, options);
  }

  /** tfjs' evaluateDataset: evaluate over one iteration of a dataset (or its first `batches`). */
  evaluateDataset(dataset: BatchDataset, options?: DatasetEvaluateOptions): Promise<EvaluateResult> {
    return evaluateOnDataset(this.training, dataset, options);
  }

  /**
   * Backward in reverse order; `preActivation` when the top layer's softmax/sigmoid is already in
   * `dy`. Returns the gradient with respect to the input when `needInputGrad` (as a layer of
   * another model); a frozen model that needs none is skipped (a frozen pretrained base).
   */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!needInputGrad && this.trainableWeights.length === 0) return undefined;
    let grad: Tensor<'float32'> | undefined = dy;
    let through = preActivation;
    for (let i = this.layerList.length - 1; i >= 0 && grad; i--) {
      const layer = this.layerList[i];
      // max pooling over a ReLU's output passes the gradient through that ReLU too (one pass)
      const throughRelu = i > 0 && layer instanceof MaxPool2D && reluOutput(this.layerList[i - 1]);
      grad = throughRelu ? (layer as MaxPool2D).backwardThroughRelu(grad) : layer.backward(grad, i > 0 || needInputGrad, through);
      through = throughRelu;
    }
    return grad;
  }
}

/** Whether `layer`'s output is a ReLU's (so its gradient can be taken by the layer above). */
function reluOutput(layer: Layer): boolean {
  return layer.activation === 'relu';
}

/** layerOutputs' entries, added as a run computes them; `inputFormat` is the layout of the batch the run takes. */
interface Trace {
  readonly expandNested: boolean;
  readonly inputFormat: ImageDataFormat;
  readonly outputs: LayerOutput[];
}

import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { toFloatHint } from '../ops/convert.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from '../train/optimizer.js';
import type { ImageDataFormat } from './args.js';
import {
  graphArtifacts,
  graphConfig,
  type ModelArtifacts,
  optimizerWeightsToSave,
  type SavableGraph,
  type SaveOptions,
  type TensorSource,
} from './artifacts.js';
import type { History, Logs } from './callbacks.js';
import { type DatasetEvaluateOptions, type DatasetFitArgs, evaluateOnDataset, fitOnDataset } from './dataset_training.js';
import { type BatchDataset, datasetCallOptions, isDataset } from './datasets.js';
import type { KerasScores } from './evaluate_result.js';
import { tensorKey } from './functional_graph.js';
import { inputLayout, outputLayout } from './image_layout.js';
import { InferenceWorkspace } from './inference_workspace.js';
import { saveModel, saveModelWeights } from './keras_save.js';
import { batchShapeText, Layer, uniqueName, weightGradientsWanted } from './layer.js';
import { expandNestedOption, type LayerOutput, type LayerOutputsOptions, tracedOutputs } from './layer_paths.js';
import { MergeLayer } from './merge.js';
import {
  arraysInOrder,
  checkPrint,
  checkTensorArg,
  findLayer,
  inNameOrder,
  type PredictOptions,
  type PredictSpace,
  predictInBatches,
  predictManyInBatches,
  sameExampleCounts,
  summaryText,
} from './model_common.js';
import { layersWithin, ModelLayer, nodeIndex } from './model_layer.js';
import { exampleCount, type TrainOnBatchOptions, trainOnBatch } from './on_batch.js';
import { type DatasetPredictOptions, predictOnDataset } from './predict_dataset.js';
import { fitsShape, isDeclarableShape, type Shape } from './shapes.js';
import type { SymbolicTensor } from './symbolic.js';
import type { TrainingConfig } from './training_config.js';
import { type CompileArgs, type EvaluateOptions, type EvaluateResult, type FitArgs, ModelTraining } from './training_loop.js';
import {
  type MultiCompileArgs,
  type MultiInputs,
  type MultiLabels,
  MultiOutputTraining,
  type MultiSampleWeight,
} from './training_multi.js';
import { type LoadWeightsOptions, loadWeightsInto, type WeightsArtifacts, type WeightsSource, weightsArtifacts } from './weights_file.js';

/**
 * One application of a layer in a functional model (Keras' node), and the outputs it takes, in
 * order: a model input's name, a layer's name (the output of its first application), or
 * `'name[k]'` for the output of application k of a layer applied several times (from 0).
 */
export interface FunctionalNode {
  layer: Layer;
  inputs: string[];
}

/** One application of a layer as a run computes it, for those who pick one (Grad-CAM's layer). */
export interface RunNode {
  /** Its output's key: the layer's name, or `'name[k]'` for application k of a shared layer. */
  readonly name: string;
  readonly layer: Layer;
  /** The shape of one example of its output. */
  readonly outputShape: Shape;
  /** Its output's layout, for inputs in the layout asked for. */
  readonly layout: ImageDataFormat;
}

/** Where a backward pass stops: the node whose output's gradient is wanted, and that gradient once it is known. */
export interface GradientStop {
  readonly name: string;
  gradient?: Tensor<'float32'>;
}

/** A model's input: the shape of one example (no batch axis), and a name the layers' `inputs` may give. */
export interface FunctionalInput {
  shape: Shape;
  name?: string;
}

export interface FunctionalArgs {
  name?: string;
  /** The model's input, or its inputs in order (Keras' `inputs=[a, b]`). */
  input: FunctionalInput | FunctionalInput[];
  /**
   * The layers in Keras' order (each one before the layers that take its output, as Keras lists
   * them). A layer applied several times (a shared layer: one set of weights) is listed once per
   * application, in the order of its applications.
   */
  layers: FunctionalNode[];
  /** The name of the layer whose output is the model's, or the names of its outputs in order (by default the last layer); `'name[k]'` for application k of a shared layer. */
  output?: string | string[];
}

/** One application of a layer (Keras' node): the layer, the tensors it takes, and the key of its output. */
interface GraphNode {
  readonly layer: Layer;
  readonly inputs: string[];
  /** Which application of the layer it is (0 for its first). */
  readonly call: number;
  readonly output: string;
}

/**
 * Keras' functional model (`keras.Model(inputs, outputs)`), with one or several inputs and
 * outputs: a graph of layers, run in topological order, each application once, so an output
 * several layers take is computed once. A layer may be applied several times (a shared layer, or
 * a shared model, as a siamese network's encoder): each application computes with the same
 * weights, and training sums their gradients. It trains as Sequential does (the same compile, fit and evaluate): backward runs the graph
 * in reverse, summing the gradients of an output several layers take. With one input and one output it is
 * a layer too, which another model may hold or apply to a symbolic tensor.
 */
export class Functional extends ModelLayer {
  /** The names the inputs go by in the layers' `inputs` (Keras' InputLayers, which are not among `layers`), in order (frozen). */
  readonly inputNames: readonly string[];
  /** The names of the layers whose outputs are the model's, in order (frozen). */
  readonly outputNames: readonly string[];
  /** Not readonly, as `runners`: a replica (another application of a shared model) may take inputs of other shapes. */
  private inputExampleShapes: Shape[];
  private readonly nodes: GraphNode[];
  /** What computes each node: its layer, or a replica of it for another of its applications (see Layer.replica). */
  private runners = new Map<GraphNode, Layer>();
  /** The layers, each once, in the order of `nodes`; for each, how many times it is applied. */
  private readonly calls = new Map<Layer, number>();
  private readonly layerList: readonly Layer[];
  /** Where each tensor of the graph comes from: a model input, or a layer's application. */
  private readonly sources = new Map<string, TensorSource>();
  /** The nodes in the order they run: each after the nodes it takes outputs of. */
  private readonly order: GraphNode[];
  /** For each input or layer output, the node that takes it last in `order` (after which run lets it go). */
  private readonly lastUse = new Map<string, GraphNode>();
  /** Keras' `stop_training`, as Sequential's: set it (in a callback) and `fit` ends after the current batch. */
  stopTraining = false;
  private readonly multiTraining = new MultiOutputTraining({
    model: this,
    inputNames: () => this.inputNames,
    outputNames: () => this.outputNames,
    outputsNamedByLayer: () => this.outputNames.every((name) => this.sources.get(name)!.call === 0),
    layers: () => this.layerList,
    finalLayers: () => this.finalLayers(),
    outputsTaken: () => this.outputNames.map((name) => this.nodes.some((node) => node.inputs.includes(name))),
    outputShapes: () => this.outputShapes,
    inputArrays: (op, x, arg) => this.inputArrays(op, x, arg),
    forward: (xs, training) => this.run(xs, training),
    backward: (dys, preActivation) => this.backwardAll(dys, false, preActivation),
  });
  private readonly training = new ModelTraining({
    model: this,
    layers: () => this.layerList,
    outputLayer: () => this.finalLayer(),
    outputName: () => this.outputNames[0],
    ensureBuilt: () => {}, // built by the constructor, on the input's shape
    checkInputData: (x, op) => this.checkInputData(x, op),
    takesIntegerInput: () => this.takesIntegerInput,
    oneArrays: (op, x, y, keys) => [this.inputArrays(op, x, keys.x)[0], this.oneLabel(op, y, keys.y)],
    forward: (x, training) => this.runOne(x, training),
    backward: (dy, preActivation) => this.backward(dy, false, preActivation),
  });
  /** predict's buffers, shared by the layers as their outputs come and go (fit's keep every activation). */
  private readonly inference = new InferenceWorkspace();
  /** The symbolic tensors `layers.model` made it from (Keras' `model.inputs` and `model.outputs`). */
  private symbolic: { inputs: readonly SymbolicTensor[]; outputs: readonly SymbolicTensor[] } | undefined;

  constructor(args: FunctionalArgs) {
    checkOptions('Functional', args, ['name', 'input', 'layers', 'output']);
    super('Functional', 'functional', args.name);
    const { layers, output } = args;
    const inputs = Array.isArray(args.input) ? args.input : [args.input];
    if (inputs.length === 0) throw new ConvlensError(`Functional '${this.name}': input must be one input or a non-empty list of them`);
    for (const input of inputs) {
      checkOptions('Functional (input)', input, ['shape', 'name']);
      if (!isDeclarableShape(input.shape)) {
        throw new ConvlensError(
          `Functional '${this.name}': input.shape must be a list of positive integers or null (a free size), got ${describeValue(input.shape)}`,
        );
      }
    }
    this.inputExampleShapes = inputs.map((input) => [...input.shape]);
    this.inputNames = Object.freeze(inputs.map((input) => input.name ?? uniqueName('input_layer')));
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new ConvlensError(
        `Functional '${this.name}': layers must be a non-empty list of { layer, inputs }, got ${describeValue(layers)}`,
      );
    }
    this.nodes = layers.map((node, i) => {
      const { layer, inputs } = this.checkedNode(node, i);
      const call = this.calls.get(layer) ?? 0;
      this.calls.set(layer, call + 1);
      return { layer, inputs, call, output: tensorKey(layer.name, call) };
    });
    this.layerList = [...this.calls.keys()];
    this.checkNames();
    const outputs = output === undefined ? [this.nodes[this.nodes.length - 1].output] : Array.isArray(output) ? output : [output];
    if (outputs.length === 0) throw new ConvlensError(`Functional '${this.name}': output must be a layer name or a non-empty list of them`);
    for (const name of outputs) {
      if (!this.nodes.some((n) => n.output === name)) {
        throw new ConvlensError(`Functional '${this.name}': the output ${describeValue(name)} is not one of its layers`);
      }
    }
    if (new Set(outputs).size < outputs.length) {
      throw new ConvlensError(`Functional '${this.name}': the outputs ${describeValue(outputs)} name a layer twice`);
    }
    this.outputNames = Object.freeze([...outputs]);
    this.order = this.runOrder();
    for (const node of this.order) for (const i of node.inputs) if (!this.outputNames.includes(i)) this.lastUse.set(i, node);
    this.checkAllNeeded();
    this.buildLayers();
  }

  private checkedNode(node: FunctionalNode, index: number): FunctionalNode {
    checkOptions(`Functional '${this.name}' (layers[${index}])`, node, ['layer', 'inputs']);
    if (!(node.layer instanceof Layer)) {
      throw new ConvlensError(`Functional '${this.name}': layers[${index}].layer must be a layer, got ${describeValue(node.layer)}`);
    }
    if (!Array.isArray(node.inputs) || node.inputs.length === 0 || !node.inputs.every((i) => typeof i === 'string')) {
      throw new ConvlensError(
        `Functional '${this.name}': layer '${node.layer.name}' needs inputs, the names of the layers (or of the input) it takes, got ${describeValue(node.inputs)}`,
      );
    }
    return { layer: node.layer, inputs: [...node.inputs] };
  }

  /**
   * Names are unique; a layer applied several times (a model too) is not also in a nested model;
   * and inputs name tensors of the model.
   */
  private checkNames(): void {
    for (const name of this.inputNames) {
      if (this.sources.has(name))
        throw new ConvlensError(`Functional '${this.name}': two inputs are named '${name}' (names must be unique)`);
      this.sources.set(name, { name, call: 0 });
    }
    const held = new Set<Layer>();
    for (const { layer, call, output } of this.nodes) {
      if (call === 0) {
        this.checkJoins(layer, held);
        for (const l of layersWithin(layer)) held.add(l);
      }
      if (this.sources.has(output)) {
        throw new ConvlensError(
          `Functional '${this.name}': two layers (or a layer and the input) are named '${output}' (names must be unique)`,
        );
      }
      this.sources.set(output, { name: layer.name, call });
    }
    for (const { layer, inputs } of this.nodes) {
      const unknown = inputs.find((i) => !this.sources.has(i));
      if (unknown !== undefined) {
        throw new ConvlensError(
          `Functional '${this.name}': layer '${layer.name}' takes ${describeValue(unknown)}, which is neither a layer of the model nor one of its inputs`,
        );
      }
    }
  }

  /** Kahn's order, keeping the given order among layers that are ready together. */
  private runOrder(): GraphNode[] {
    const done = new Set(this.inputNames);
    const order: GraphNode[] = [];
    let pending = this.nodes;
    while (pending.length > 0) {
      const ready = pending.filter((n) => n.inputs.every((i) => done.has(i)));
      if (ready.length === 0) {
        throw new ConvlensError(
          `Functional '${this.name}': layers ${pending.map((n) => `'${n.output}'`).join(', ')} take each other's outputs (a cycle)`,
        );
      }
      for (const n of ready) done.add(n.output);
      order.push(...ready);
      pending = pending.filter((n) => !ready.includes(n));
    }
    return order;
  }

  /**
   * Every layer and every input leads to an output: a layer that does not would be computed for
   * nothing (Keras leaves such layers out of a model), and Keras refuses an input that does not (a
   * disconnected graph).
   */
  private checkAllNeeded(): void {
    const needed = new Set(this.outputNames);
    for (const node of [...this.order].reverse()) if (needed.has(node.output)) for (const i of node.inputs) needed.add(i);
    const outputs = this.outputNames.map((n) => `'${n}'`).join(', ');
    const off = this.nodes.find((n) => !needed.has(n.output));
    if (off) throw new ConvlensError(`Functional '${this.name}': layer '${off.output}' does not lead to any output (${outputs})`);
    const unused = this.inputNames.find((n) => !needed.has(n));
    if (unused !== undefined) {
      throw new ConvlensError(
        `Functional '${this.name}': the input '${unused}' does not lead to any output (${outputs}): the graph is disconnected`,
      );
    }
  }

  /**
   * Builds each layer on the shapes of its inputs (checking a layer built before, or a merge's
   * shapes). A layer computes its first application built for (or that builds it); a replica
   * computes each other one, built for its inputs' shapes where the layer's weights fit them.
   */
  private buildLayers(): void {
    const shapes = new Map<string, Shape>(this.inputNames.map((name, i) => [name, this.inputExampleShapes[i]]));
    const running = new Set<Layer>();
    for (const node of this.order) {
      const { layer } = node;
      const inputs = node.inputs.map((name) => ({ name, shape: shapes.get(name)! }));
      let runner = layer;
      if (!running.has(layer) && (!layer.built || layer.builtFor(inputs.map((i) => i.shape)))) {
        layer.connect(inputs);
        running.add(layer);
      } else {
        runner = layer.replica(inputs);
      }
      this.runners.set(node, runner);
      shapes.set(node.output, runner.outputShape!);
    }
  }

  /** The layers in Keras' order, each once (a shared layer too), without the input: a new list each time, as Keras' `model.layers`. */
  get layers(): Layer[] {
    return [...this.layerList];
  }

  /**
   * A model of this one's layers (the same objects, so the same weights) whose output is layer
   * `name`'s: Keras' `Model(inputs=model.inputs, outputs=model.get_layer(name).output)`, as
   * `layers.inputGradient` and the filter patterns take a layer's output. Only the layers and
   * inputs that lead to it are in it.
   */
  upTo(name: string): Functional {
    const node = this.nodeNamed(name);
    const needed = new Set([name]);
    for (const n of [...this.order].reverse()) if (needed.has(n.output)) for (const i of n.inputs) needed.add(i);
    const nodes = this.nodes.filter((n) => needed.has(n.output));
    // an application of a shared layer keeps its name ('conv[1]') only with the applications before it
    const skipped = nodes.find((n) => nodes.filter((m) => m.layer === n.layer && m.call < n.call).length !== n.call);
    if (skipped) {
      throw new ConvlensError(
        `model '${this.name}': layer '${name}' takes the output of '${skipped.output}', an application of a shared layer whose earlier applications it does not need; this model cannot be cut there`,
      );
    }
    const inputs = this.inputNames.flatMap((inputName, i) =>
      needed.has(inputName) ? [{ name: inputName, shape: this.inputExampleShapes[i] }] : [],
    );
    return new Functional({
      name: `${this.name}_to_${node.layer.name}${node.call ? `_${node.call}` : ''}`,
      input: inputs,
      layers: nodes.map((n) => ({ layer: n.layer, inputs: n.inputs })),
      output: name,
    });
  }

  /** Every node in the order a run computes them (the output last, for a model of one output), its output in `inputFormat`'s layout for inputs in it. */
  nodesInRunOrder(inputFormat: ImageDataFormat = this.inputDataFormat): RunNode[] {
    const layouts = this.layouts(inputFormat);
    return this.order.map((node) => ({
      name: node.output,
      layer: node.layer,
      outputShape: [...this.runners.get(node)!.outputShape!],
      layout: layouts.get(node.output)!,
    }));
  }

  /** The node whose output is `name` (a layer's name, or `'name[k]'`), checked: an unknown one is refused, naming those there are. */
  private nodeNamed(name: string): GraphNode {
    const node = this.nodes.find((n) => n.output === name);
    if (!node) {
      throw new ConvlensError(`model '${this.name}' has no layer '${name}' (its layers: ${this.nodes.map((n) => n.output).join(', ')})`);
    }
    return node;
  }

  /** The node whose output is `key` (a layer's name, or `'name[k]'`). */
  private nodeOf(key: string): GraphNode {
    return this.nodes.find((n) => n.output === key)!;
  }

  /** What computes the output `key` (a layer's name, or `'name[k]'`): the layer, or a replica of it. */
  private runnerOf(key: string): Layer {
    return this.runners.get(this.nodeOf(key))!;
  }

  /** The name of the one input (a model of several has `inputNames`). */
  get inputName(): string {
    return this.inputNames[this.one('input')];
  }

  /** The shape of one example of the one input (a model of several has `inputShapes`). */
  override get inputShape(): Shape {
    return [...this.inputExampleShapes[this.one('input')]];
  }

  /** The shape of one example of the one output (a model of several has `outputShapes`). */
  override get outputShape(): Shape | undefined {
    return this.runnerOf(this.outputNames[this.one('output')]).outputShape;
  }

  override set inputShape(_shape: Shape | undefined) {
    this.refuseShapeSet('inputShape');
  }

  override set outputShape(_shape: Shape | undefined) {
    this.refuseShapeSet('outputShape');
  }

  /** Keras' `model.inputs`: the symbolic inputs `layers.model` was given, in order. */
  get inputs(): SymbolicTensor[] {
    return [...this.symbolicGraph('inputs').inputs];
  }

  /** Keras' `model.outputs`: the symbolic outputs `layers.model` was given, in order. */
  get outputs(): SymbolicTensor[] {
    return [...this.symbolicGraph('outputs').outputs];
  }

  /** Keras' `model.output`: the symbolic output of a model of one output. */
  override get output(): SymbolicTensor {
    const { outputs } = this.symbolicGraph('output');
    if (outputs.length > 1)
      throw new ConvlensError(`Functional '${this.name}': output is for a model of one output, and it has ${outputs.length}: read outputs`);
    return outputs[0];
  }

  /** Records the symbolic tensors `layers.model` made the model from. */
  keepSymbolic(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): void {
    this.symbolic = { inputs, outputs };
  }

  private symbolicGraph(what: string): { inputs: readonly SymbolicTensor[]; outputs: readonly SymbolicTensor[] } {
    if (this.symbolic) return this.symbolic;
    throw new ConvlensError(
      `Functional '${this.name}': ${what} needs the symbolic tensors of a model made with layers.model({ inputs, outputs }), and this one was loaded or made from a list of layers (layerOutputs(x) gives every layer's output)`,
    );
  }

  /** Each input's example shape, in order (tfjs' `model.inputs.map(i => i.shape)`, without the batch axis). */
  get inputShapes(): Shape[] {
    return this.inputExampleShapes.map((shape) => [...shape]);
  }

  /** Each output's example shape, in order. */
  get outputShapes(): Shape[] {
    return this.outputNames.map((name) => [...this.runnerOf(name).outputShape!]);
  }

  /** Whether the model has several inputs or outputs (then it is no layer of another model). */
  get multiIO(): boolean {
    return this.inputExampleShapes.length > 1 || this.outputNames.length > 1;
  }

  /** Built by the constructor, on its inputs' shapes. */
  override get built(): boolean {
    return true;
  }

  /** Index 0, after checking that the model has one input (or output): what a single-shape accessor or use as a layer needs. */
  private one(what: 'input' | 'output'): 0 {
    const count = what === 'input' ? this.inputExampleShapes.length : this.outputNames.length;
    if (count !== 1) {
      const names = (what === 'input' ? this.inputNames : this.outputNames).map((n) => `'${n}'`).join(', ');
      const list = what === 'input' ? 'inputShapes, inputNames' : 'outputShapes, outputNames';
      throw new ConvlensError(
        `Functional '${this.name}': it has ${count} ${what}s (${names}), not one: use ${list}; a model of several inputs or outputs cannot be a layer of another model`,
      );
    }
    return 0;
  }

  override finalLayer(): Layer {
    return this.runnerOf(this.outputNames[this.one('output')]).finalLayer();
  }

  /** The layers whose forward gives each output (a model's output layer, at any depth, or its replica), in order: their activations feed the losses. */
  finalLayers(): Layer[] {
    return this.outputNames.map((name) => this.runnerOf(name).finalLayer());
  }

  /** Built by the constructor: as a layer of another model, it only checks that it is given its input's shape. */
  override build(inputShape: Shape): void {
    const expected = this.inputShape;
    this.one('output');
    if (!shapesEqual(inputShape, expected)) {
      throw new ConvlensError(`${this.name} (Functional): expects input ${batchShapeText(expected)}, got ${batchShapeText(inputShape)}`);
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    this.build(inputShape);
    return this.outputShape!;
  }

  /** Another application of the model as a layer (see ModelLayer.replica): a model of one output only. */
  override replica(inputs: { name: string; shape: Shape }[]): Layer {
    this.one('output');
    return super.replica(inputs);
  }

  /** A copy running a replica of every node's layer, in run order, each built for the shapes its inputs have from `input`. */
  protected replicaFor(input: { name: string; shape: Shape }): Functional {
    const copy = this.stateCopy();
    copy.inputExampleShapes = [[...input.shape]];
    copy.runners = new Map();
    const shapes = new Map([[this.inputName, input.shape]]);
    for (const node of this.order) {
      const runner = node.layer.replica(node.inputs.map((name) => ({ name, shape: shapes.get(name)! })));
      copy.runners.set(node, runner);
      shapes.set(node.output, runner.outputShape!);
    }
    return copy;
  }

  /** The layer of that name, or at that index of `layers` (Keras' `get_layer(index=...)`, tfjs' `getLayer(undefined, index)`); in a nested model, by path ('base/conv2d'). */
  getLayer(nameOrIndex: string | number): Layer;
  getLayer(name: undefined | null, index: number): Layer;
  getLayer(nameOrIndex: string | number | undefined | null, index?: number): Layer {
    return findLayer(this.layerList, nameOrIndex, index);
  }

  /** Checks a batch (or all the data) against the one input; `op` prefixes the message when given. */
  private checkInputData(x: Tensor, op?: string): void {
    this.checkInputTensor(x, 0, op);
  }

  private checkInputTensor(x: Tensor, index: number, op?: string): void {
    const where = op ? `${op}: ${this.name}` : this.name;
    const input = this.inputExampleShapes[index];
    const which = this.inputExampleShapes.length > 1 ? ` '${this.inputNames[index]}'` : '';
    if (x.dtype !== 'float32' && !this.takesIntegersAt(index))
      throw new ConvlensError(`${where}: input${which} must be float32, got ${x.dtype} (${toFloatHint(x.dtype, true)})`);
    if (!fitsShape(input, x.shape.slice(1))) {
      throw new ConvlensError(`${where}: expected input${which} of shape ${batchShapeText(input)}, got ${formatShape(x.shape)}`);
    }
  }

  /**
   * The arrays given for the model's inputs (a tensor alone for a model of one input, a list with
   * one per input, in order, or an object keyed by input name), checked: their count, each one's
   * shape, and the same number of examples in all. `arg` names them in messages (a dataset batch's `xs`).
   */
  inputArrays(op: string, x: unknown, arg = 'x'): Tensor[] {
    const xs = arraysInOrder(op, arg, x, 'input', this.name, this.inputNames, this.inputExampleShapes);
    xs.forEach((t, i) => {
      checkTensorArg(op, this.inputExampleShapes.length > 1 ? `${arg}[${i}] (input '${this.inputNames[i]}')` : arg, t);
      if (t.rank === 0) throw new ConvlensError(`${op}: ${arg} must have a batch axis, got a scalar`);
      this.checkInputTensor(t, i, op);
    });
    sameExampleCounts(op, `model '${this.name}'`, xs as Tensor[], this.inputNames);
    return xs as Tensor[];
  }

  /** Inputs keyed by input name as a list in the inputs' order; anything else as it is. */
  private inputsInOrder(op: string, x: unknown): unknown {
    return inNameOrder(op, 'x', x, 'input', this.name, this.inputNames);
  }

  /** Runs the graph on a batch of the one input (the training loop's and a nesting model's pass). */
  private runOne(x: Tensor, training: boolean): Tensor<'float32'> {
    this.checkInputData(x);
    return this.run([x], training)[0];
  }

  /**
   * Runs the graph on a batch (one array per input, checked); with `trace` (in inference mode),
   * each node's entries in layerOutputs are kept as computed. Outputs no later layer takes are let
   * go as the run goes, but for the model's; in predict, their buffers go back to the pool then
   * (see InferenceWorkspace). `onOutput` sees each node's output as it is computed.
   */
  private run(
    xs: readonly Tensor[],
    training: boolean,
    trace?: Trace,
    onOutput?: (name: string, output: Tensor<'float32'>) => void,
  ): Tensor<'float32'>[] {
    const values = new Map<string, Tensor<'float32'>>();
    const run = this.startRun(() => values.values());
    for (const [i, name] of this.inputNames.entries()) values.set(name, xs[i] as Tensor<'float32'>);
    const layouts = trace && this.layouts(trace.inputFormat);
    for (const node of this.order) {
      const { inputs } = node;
      const runner = this.runners.get(node)!;
      const ys = inputs.map((i) => values.get(i)!);
      const compute = () => (runner instanceof MergeLayer ? runner.applyMany(ys) : runner.apply(ys[0], training));
      let output: Tensor<'float32'>;
      if (trace) {
        const entries = tracedOutputs(node.layer, runner, compute, ys[0], layouts!.get(inputs[0])!, trace.expandNested, node.call);
        trace.outputs.set(node, entries);
        output = entries[0].output;
      } else {
        output = compute();
      }
      values.set(node.output, output);
      onOutput?.(node.output, output);
      for (const i of inputs) if (this.lastUse.get(i) === node) values.delete(i);
      run?.release();
    }
    run?.end();
    return this.outputNames.map((name) => values.get(name)!);
  }

  /**
   * The graph in reverse order from `dy`, the gradient of the output layer's output (already
   * through its softmax/sigmoid when `preActivation`): each layer gets the sum of the gradients of
   * the layers that take its output, and a merge layer gives one to each of its inputs; a layer
   * applied several times gets the sum of its applications' weight gradients. The
   * gradient with respect to the model's input is computed only when `needInputGrad` (as a layer
   * of another model), and returned; a frozen model that needs none is skipped.
   */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    this.one('output');
    return this.backwardAll([dy], needInputGrad, [preActivation]);
  }

  /**
   * backward from the gradients of every output, in order (`preActivation` for each). With `stop`,
   * the pass ends at that node, which it gives the gradient of its output (summed over every path
   * to the outputs): Keras' `tape.gradient(outputs, layer.output)`; only the layers its output
   * reaches run backward.
   */
  backwardAll(
    dys: readonly Tensor<'float32'>[],
    needInputGrad: boolean,
    preActivation: readonly boolean[],
    stop?: GradientStop,
  ): Tensor<'float32'> | undefined {
    if (!needInputGrad && !stop && this.trainableWeights.length === 0) return undefined;
    const grads = new GradientSums();
    for (const [i, name] of this.outputNames.entries()) grads.add(name, dys[i]);
    const isInput = (name: string) => this.inputNames.includes(name);
    const sharedSums = new Map<Layer, Float32Array[]>();
    const reached = stop && this.reachedFrom(stop.name);
    for (const node of [...this.order].reverse()) {
      const { layer, inputs, output } = node;
      if (reached && !reached.has(output)) continue;
      const runner = this.runners.get(node)!;
      const grad = grads.take(output)!; // every layer leads to an output, so has a gradient
      if (output === stop?.name) {
        // a copy: the sum may be a layer's buffer, which its next pass overwrites
        stop.gradient = new Tensor(grad.data.slice(), grad.shape, 'float32');
        return undefined;
      }
      const layerNeedsInputGrad = needInputGrad || inputs.some((i) => !isInput(i));
      const outputIndex = this.outputNames.indexOf(output);
      const inputGrads =
        runner instanceof MergeLayer
          ? runner.backwardMany(grad)
          : [runner.backward(grad, layerNeedsInputGrad, outputIndex >= 0 && preActivation[outputIndex])];
      if (this.calls.get(layer)! > 1 && weightGradientsWanted()) addUpCalls(layer, sharedSums);
      inputs.forEach((input, i) => {
        const inputGrad = inputGrads[i];
        if ((!isInput(input) || needInputGrad) && inputGrad) grads.add(input, inputGrad);
      });
    }
    return needInputGrad ? grads.take(this.inputName) : undefined;
  }

  /** Node `name`'s output and those that depend on it: the nodes its gradient comes back through. */
  private reachedFrom(name: string): Set<string> {
    const reached = new Set([name]);
    for (const node of this.order) if (node.inputs.some((i) => reached.has(i))) reached.add(node.output);
    return reached;
  }

  /** The model as a layer of another: the graph on a batch, in training mode or not. */
  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    this.one('output');
    return this.runOne(x, training);
  }

  /**
   * forward on a batch of the one input, keeping node `name`'s output too (a run lets go of those
   * no later layer takes): what Keras' `Model(inputs, [layer.output, outputs])` gives.
   */
  forwardKeeping(x: Tensor<'float32'>, training: boolean, name: string): { output: Tensor<'float32'>; kept: Tensor<'float32'> } {
    this.one('input');
    this.one('output');
    this.nodeNamed(name);
    this.checkInputData(x);
    let kept: Tensor<'float32'> | undefined;
    const [output] = this.run([x], training, undefined, (key, value) => {
      if (key === name) kept = value;
    });
    return { output, kept: kept! };
  }

  /** Its config as a layer of another model, as tfjs-layers writes a nested functional model, with Keras' `trainable: false` when frozen (so it loads frozen). */
  getConfig(): Record<string, unknown> {
    return { ...graphConfig(this.savable()), ...(this.trainable ? {} : { trainable: false }) };
  }

  /**
   * The model's output for a batch `[N, ...inputShape]` (for a model of several inputs, a list of
   * arrays, one per input, or an object keyed by input name), computed `batchSize` examples at a
   * time: one tensor for a model of one output, a list of one per output otherwise (as tfjs' predict).
   * Given a dataset, as Keras' `predict(dataset)`, resolves to the same for one iteration of it
   * (predictDataset).
   */
  predict(x: MultiInputs, options?: PredictOptions): Tensor<'float32'> | Tensor<'float32'>[];
  predict(dataset: BatchDataset, options?: DatasetPredictOptions): Promise<Tensor<'float32'> | Tensor<'float32'>[]>;
  predict(
    x: MultiInputs | BatchDataset,
    options: PredictOptions = {},
  ): Tensor<'float32'> | Tensor<'float32'>[] | Promise<Tensor<'float32'> | Tensor<'float32'>[]> {
    if (isDataset(x)) return this.predictDataset(x, options);
    const space = this.predictSpace();
    if (!this.multiIO) {
      return predictInBatches(
        { ...space, run: (batch) => this.runOne(batch, false), checkInputData: (data) => this.checkInputData(data) },
        only(this.inputsInOrder('predict', x)),
        options,
      );
    }
    const outputs = predictManyInBatches(space, (batch) => this.run(batch, false), this.inputArrays('predict', x), options);
    return this.outputNames.length === 1 ? outputs[0] : outputs;
  }

  /** The model predict computes and the workspace its layers compute in (not fit's: see InferenceWorkspace). */
  private predictSpace(): PredictSpace {
    return { model: this, workspace: this.inference };
  }

  /**
   * The outputs for one iteration of a dataset (its batches' inputs, as fit takes them; labels
   * unused), joined in the order the batches came, as predict gives them: Keras' `predict(dataset)`.
   */
  async predictDataset(dataset: BatchDataset, options?: DatasetPredictOptions): Promise<Tensor<'float32'> | Tensor<'float32'>[]> {
    const runner = {
      modelName: this.name,
      inputs: (op: string, x: unknown, arg: string) => this.inputArrays(op, x, arg),
      run: (xs: Tensor[]) => this.run(xs, false),
      ...this.predictSpace(),
    };
    const outputs = await predictOnDataset(runner, dataset, options);
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  /**
   * Every layer's output for `x` (for a model of several inputs, a list or an object keyed by
   * input name), in the order of `layers`: the feature maps Keras shows with an activation model.
   * A layer applied several times gives one output per application, in order (`call` counts them
   * from 0). With `expandNested`, a nested model's layers follow it, by path ('base/conv2d').
   */
  layerOutputs(x: MultiInputs, options: LayerOutputsOptions = {}): LayerOutput[] {
    x = this.inputsInOrder('layerOutputs', x) as Tensor | Tensor[];
    if (!Array.isArray(x)) checkTensorArg('layerOutputs', 'x', x);
    const trace: Trace = { expandNested: expandNestedOption(options), inputFormat: this.inputDataFormat, outputs: new Map() };
    this.run(this.inputArrays('layerOutputs', x), false, trace);
    return this.inLayerOrder(trace);
  }

  tracedRun(x: Tensor<'float32'>, inputFormat: ImageDataFormat): { output: Tensor<'float32'>; layers: LayerOutput[] } {
    this.one('output');
    this.checkInputData(x);
    const trace: Trace = { expandNested: true, inputFormat, outputs: new Map() };
    const [output] = this.run([x], false, trace);
    return { output, layers: this.inLayerOrder(trace) };
  }

  /** Whether its one input goes only into layers that cast integers (Rescaling, augmentation layers): then it takes uint8 pixels as decoded, as in Keras. */
  override get takesIntegerInput(): boolean {
    return this.inputExampleShapes.length === 1 && this.takesIntegersAt(0);
  }

  /** Whether input `index` goes only into layers that cast integers. */
  private takesIntegersAt(index: number): boolean {
    const name = this.inputNames[index];
    const readers = this.nodes.filter((node) => node.inputs.includes(name));
    return readers.length > 0 && readers.every((node) => node.layer.takesIntegerInput);
  }

  /**
   * The layout of the images the model takes (every input's): 'channels_first' ([channels,
   * height, width]) when its first layer with a dataFormat of its own (inside a nested model too)
   * is channels-first; 'channels_last' otherwise, Keras' default.
   */
  get inputDataFormat(): ImageDataFormat {
    return inputLayout(this.layerList);
  }

  outputLayout(inputFormat: ImageDataFormat): ImageDataFormat {
    return this.layouts(inputFormat).get(this.outputNames[this.one('output')])!;
  }

  /** The layout of every tensor of the graph, the inputs in `inputFormat`: a merge's output is in its first input's. */
  private layouts(inputFormat: ImageDataFormat): Map<string, ImageDataFormat> {
    const layouts = new Map(this.inputNames.map((name) => [name, inputFormat]));
    for (const node of this.order) layouts.set(node.output, outputLayout(this.runners.get(node)!, layouts.get(node.inputs[0])!));
    return layouts;
  }

  /** A trace's entries in the order of `layers`, a layer's applications in order. */
  private inLayerOrder(trace: Trace): LayerOutput[] {
    return this.layerList.flatMap((layer) => this.nodes.filter((n) => n.layer === layer).flatMap((node) => trace.outputs.get(node)!));
  }

  /** The model in the TensorFlow.js Layers format, as tfjs-layers saves a `tf.model` (no file access; works in browsers). */
  toArtifacts(options?: SaveOptions): ModelArtifacts {
    const optimizerWeights = optimizerWeightsToSave('toArtifacts', this, options);
    const training = this.multiIO ? this.multiTraining.trainingConfig() : this.training.trainingConfig();
    return graphArtifacts({ ...this.savable(), training, optimizerWeights });
  }

  private savable(): SavableGraph {
    const { name, inputNames, inputExampleShapes: inputShapes } = this;
    const sourcesOf = (keys: readonly string[]) => keys.map((key) => this.sources.get(key)!);
    const layers = this.layerList.map((layer) => ({
      layer,
      calls: this.nodes.filter((n) => n.layer === layer).map((n) => sourcesOf(n.inputs)),
    }));
    return { name, inputNames, inputShapes, layers, outputs: sourcesOf(this.outputNames) };
  }

  /**
   * Writes `path/model.json` and `path/weights.bin` (Node.js), all or nothing; `layers.loadFunctional(path)` reads them back.
   * A path ending in .h5 or .hdf5 gets Keras 2's HDF5 model file instead (`layers.kerasH5Bytes`), which Keras'
   * `load_model` and `layers.loadFunctional(path)` read; .keras is refused (convlens does not write Keras 3's zip).
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

  /**
   * Keras' compile. For a model of several outputs, `loss` is one for all, a list of one per output
   * or an object keyed by output name, `metrics` a list for every output or an object, and
   * `lossWeights` weighs each output's loss in the total (a list or an object).
   */
  compile(args: CompileArgs | MultiCompileArgs): void {
    if (this.multiIO) this.multiTraining.compile(args);
    else this.training.compile(args as CompileArgs);
  }

  /** The optimizer compile gave it (Keras' `model.optimizer`), if compiled: its learning rate may be read and set. */
  get optimizer(): Optimizer | undefined {
    return this.multiIO ? this.multiTraining.optimizer : this.training.optimizer;
  }

  /**
   * compile's settings as a saved model carries them (undefined before compile). A model of
   * several outputs keys them by output name, as Keras and tfjs do.
   */
  trainingConfig(): TrainingConfig | undefined {
    return (this.multiIO ? this.multiTraining.trainingConfig() : this.training.trainingConfig())?.config;
  }

  /**
   * Trains the model as Sequential's fit does (the same options and history). A model of several
   * inputs takes a list of arrays, one per input, or an object keyed by input name; of several
   * outputs, a list of label arrays or an object keyed by output name, and logs Keras' keys:
   * `loss` (the weighted total), `<output>_loss` and `<output>_<metric>`, with `val_` ones.
   */
  fit(x: MultiInputs, y: MultiLabels, args?: FunctionalFitArgs): Promise<History>;
  fit(dataset: BatchDataset, args?: DatasetFitArgs): Promise<History>;
  async fit(x: MultiInputs | BatchDataset, y?: MultiLabels | DatasetFitArgs, given?: FunctionalFitArgs): Promise<History> {
    if (isDataset(x)) return this.fitDataset(x, datasetCallOptions('fit', y, given));
    const args = given ?? {};
    if (this.multiIO) return this.multiTraining.fit(x, y, args);
    const validation = args?.validationData;
    const oneArgs =
      Array.isArray(validation) && (validation.length === 2 || validation.length === 3)
        ? {
            ...args,
            validationData: [
              this.oneInput('fit (validationData)', validation[0]),
              this.oneLabel('fit (validationData)', validation[1]),
              ...validation.slice(2),
            ],
          }
        : args;
    return this.training.fit(this.oneInput('fit', x), this.oneLabel('fit', y), oneArgs as FitArgs);
  }

  /**
   * tfjs' and Keras' trainOnBatch: one optimizer step on all of `x` and `y` (as fit takes them), in
   * order; resolves to the loss before the step, or to it and the other values fit logs (each
   * output's loss, compile's metrics) in their order.
   */
  trainOnBatch(x: MultiInputs, y: MultiLabels, options?: TrainOnBatchOptions<MultiSampleWeight>): Promise<number | number[]> {
    return trainOnBatch((a: MultiInputs, b: MultiLabels, args: FunctionalFitArgs) => this.fit(a, b, args), x, y, options);
  }

  /** tfjs' and Keras' predictOnBatch: predict on all of `x` (as predict takes it) as one batch. */
  predictOnBatch(x: MultiInputs): Tensor<'float32'> | Tensor<'float32'>[] {
    return this.predict(x, { batchSize: exampleCount(x) });
  }

  /**
   * tfjs' fitDataset: trains on a dataset's batches, one iteration per epoch (or `batchesPerEpoch`
   * batches of one iteration read on across epochs). Each batch is `{ x, y }` or tfjs' `{ xs, ys }`,
   * whose inputs and labels are as fit takes arrays (lists, or objects keyed by input and output
   * name, for several).
   */
  async fitDataset(dataset: BatchDataset, args?: DatasetFitArgs): Promise<History> {
    return this.multiIO ? fitOnDataset(this.multiTraining, dataset, args) : fitOnDataset(this.training, dataset, args);
  }

  /** Mean loss, accuracy and compile's metrics over `x`, as Sequential's evaluate; for several outputs, fit's keys. */
  evaluate(x: MultiInputs, y: MultiLabels, options?: FunctionalEvaluateOptions): EvaluateResult | ({ loss: number } & Logs & KerasScores);
  evaluate(dataset: BatchDataset, options?: DatasetEvaluateOptions): Promise<EvaluateResult | ({ loss: number } & Logs & KerasScores)>;
  evaluate(
    x: MultiInputs | BatchDataset,
    y?: MultiLabels | DatasetEvaluateOptions,
    options?: FunctionalEvaluateOptions,
  ): EvaluateResult | ({ loss: number } & Logs & KerasScores) | Promise<EvaluateResult | ({ loss: number } & Logs & KerasScores)> {
    if (isDataset(x)) return this.evaluateDataset(x, datasetCallOptions('evaluate', y, options));
    if (this.multiIO) return this.multiTraining.evaluate(x, y, options);
    return this.training.evaluate(this.oneInput('evaluate', x), this.oneLabel('evaluate', y), options as EvaluateOptions);
  }

  /** tfjs' evaluateDataset: evaluate over one iteration of a dataset (or its first `batches`), its batches as fitDataset takes them. */
  async evaluateDataset(
    dataset: BatchDataset,
    options?: DatasetEvaluateOptions,
  ): Promise<EvaluateResult | ({ loss: number } & Logs & KerasScores)> {
    return this.multiIO ? evaluateOnDataset(this.multiTraining, dataset, options) : evaluateOnDataset(this.training, dataset, options);
  }

  /** The one input's array, given alone, in a list of one or keyed by its name (the rest as it is, for the checks to name). */
  private oneInput(op: string, x: unknown): Tensor {
    return only(this.inputsInOrder(op, x));
  }

  /** The one output's labels, given alone, in a list of one or keyed by its name (`arg` names them; a wrong count is refused). */
  private oneLabel(op: string, y: unknown, arg = 'y'): Tensor {
    return arraysInOrder(op, arg, y, 'output', this.name, this.outputNames, this.outputShapes)[0] as Tensor;
  }

  /**
   * The summary's "Connected to" column, by name: for each model input nothing, for each layer the
   * tensors every application of it takes, in order, as `layer[node][0]` (as tfjs prints them: a
   * layer's node index, a model's applications counting from 1, 0 for a model input).
   */
  connections(): Map<string, string[]> {
    const index = ({ name, call }: TensorSource) => {
      const from = this.layerList.find((l) => l.name === name);
      return from ? nodeIndex(from, call) : call;
    };
    const connections = new Map<string, string[]>(this.inputNames.map((name) => [name, []]));
    for (const layer of this.layerList) {
      const calls = this.nodes.filter((n) => n.layer === layer);
      const sources = calls.flatMap((n) => n.inputs.map((i) => this.sources.get(i)!));
      connections.set(
        layer.name,
        sources.map((source) => `${source.name}[${index(source)}][0]`),
      );
    }
    return connections;
  }

  /**
   * Keras' functional summary: every input and layer, its output shape, parameters and the layers
   * it takes ("Connected to", as `layer[node][0]`, a model's node index counting its applications
   * from 1, as tfjs prints it). A layer applied several times (a model too) is one row, its
   * parameters counted once, with what every application takes, and its output shape 'multiple'
   * when they differ (as tfjs prints it).
   */
  summary(print: ((line: string) => void) | null = console.log, ...more: never[]): string {
    checkPrint(print, more);
    const connections = this.connections();
    const column = (name: string) => {
      const connected = connections.get(name)!;
      return connected.map((source, k) => `${source}${k < connected.length - 1 ? ',' : ''}`);
    };
    const text = summaryText({
      name: this.name,
      header: ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'],
      minWidths: [32, 22, 12],
      lastWidth: 32,
      minRuleWidth: 98,
      rows: [
        ...this.inputNames.map((name, i) => [`${name} (InputLayer)`, batchShapeText(this.inputExampleShapes[i]), '0', '-']),
        ...this.layerList.map((layer) => {
          const calls = this.nodes.filter((n) => n.layer === layer);
          const shapes = new Set(calls.map((n) => batchShapeText(this.runners.get(n)!.outputShape!)));
          return [
            `${layer.name} (${layer.className})`,
            shapes.size === 1 ? [...shapes][0] : 'multiple',
            layer.countParams().toLocaleString('en-US'),
            column(layer.name),
          ];
        }),
      ],
      layers: this.layerList,
    });
    print?.(text);
    return text;
  }
}

/** layerOutputs' entries, kept for each node as a run computes them. */
interface Trace {
  readonly expandNested: boolean;
  /** The layout of the batches the run takes. */
  readonly inputFormat: ImageDataFormat;
  readonly outputs: Map<GraphNode, LayerOutput[]>;
}

/** fit's options; `validationData` is `[x, y]`, each as fit takes it (lists, or objects keyed by input and output name). */
export type FunctionalFitArgs = Omit<FitArgs, 'validationData' | 'sampleWeight'> & {
  validationData?: [MultiInputs, MultiLabels] | [MultiInputs, MultiLabels, MultiSampleWeight];
  /** Keras' sample_weight: one array for every output's loss, a list of one per output or an object keyed by output name. */
  sampleWeight?: MultiSampleWeight;
};

/** evaluate's options: for a model of several outputs, sampleWeight as fit takes it. */
export type FunctionalEvaluateOptions = Omit<EvaluateOptions, 'sampleWeight'> & { sampleWeight?: MultiSampleWeight };

/** The one array of a list of one (as tfjs takes data for a model of one input or output); the rest as it is, for the checks to name. */
function only(data: unknown): Tensor {
  if (Array.isArray(data) && data.length === 1) return data[0];
  return data as Tensor;
}

/**
 * After the backward of one application of a shared layer (which overwrites its weights'
 * gradients): adds those of its applications before it in the backward pass, and keeps the sum.
 */
function addUpCalls(layer: Layer, sums: Map<Layer, Float32Array[]>): void {
  const weights = layer.trainableWeights;
  const earlier = sums.get(layer);
  if (earlier) {
    weights.forEach((w, i) => {
      const sum = earlier[i];
      for (let k = 0; k < sum.length; k++) w.grad[k] += sum[k];
    });
  }
  sums.set(
    layer,
    weights.map((w) => w.grad.slice()),
  );
}

/** The gradients of layers' outputs, summed over the layers that take them (only an output taken twice or more is copied). */
class GradientSums {
  private readonly sums = new Map<string, Tensor<'float32'>>();
  /** Outputs whose sum is an array of its own (the others are a layer's gradient, which may be another's buffer). */
  private readonly owned = new Set<string>();

  add(name: string, grad: Tensor<'float32'>): void {
    const sum = this.sums.get(name);
    if (!sum) {
      this.sums.set(name, grad);
      return;
    }
    const total = this.owned.has(name) ? sum : new Tensor(sum.data.slice(), sum.shape, 'float32');
    for (let i = 0; i < total.size; i++) total.data[i] += grad.data[i];
    this.sums.set(name, total);
    this.owned.add(name);
  }

  /** The sum for `name`, let go of (each layer's backward runs once). */
  take(name: string): Tensor<'float32'> | undefined {
    const sum = this.sums.get(name);
    this.sums.delete(name);
    return sum;
  }
}

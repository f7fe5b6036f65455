import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { toFloatHint } from '../ops/convert.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { graphArtifacts, graphConfig, type ModelArtifacts, type SavableGraph, writeModelDir } from './artifacts.js';
import type { History } from './callbacks.js';
import { batchShapeText, Layer, uniqueName } from './layer.js';
import { MergeLayer } from './merge.js';
import { checkPrint, checkTensorArg, findLayer, type PredictOptions, predictInBatches, summaryText } from './model_common.js';
import { layersWithin, ModelLayer } from './model_layer.js';
import type { TrainingConfig } from './training_config.js';
import { type CompileArgs, type EvaluateResult, type FitArgs, ModelTraining } from './training_loop.js';

/** One layer of a functional model and the names of the layers (or of the input) whose outputs it takes, in order. */
export interface FunctionalNode {
  layer: Layer;
  inputs: string[];
}

export interface FunctionalArgs {
  name?: string;
  /** The model's one input: the shape of one example (no batch axis), and a name the layers' `inputs` may give. */
  input: { shape: number[]; name?: string };
  /** The layers in Keras' order (each one before the layers that take its output, as Keras lists them). */
  layers: FunctionalNode[];
  /** The name of the layer whose output is the model's (by default the last layer). */
  output?: string;
}

/**
 * Keras' functional model (`keras.Model(inputs, outputs)`) with one input and one output: a graph
 * of layers, run in topological order, each once, so an output several layers take is computed
 * once. It trains as Sequential does (the same compile, fit and evaluate): backward runs the graph
 * in reverse, summing the gradients of an output several layers take. It is a layer too, which
 * another model may hold or apply to a symbolic tensor.
 */
export class Functional extends ModelLayer {
  /** The name the input goes by in the layers' `inputs` (Keras' InputLayer, which is not among `layers`). */
  readonly inputName: string;
  private readonly input: number[];
  private readonly nodes: FunctionalNode[];
  /** The nodes in the order they run: each after the layers it takes outputs of. */
  private readonly order: FunctionalNode[];
  private readonly outputName: string;
  /** Keras' `stop_training`, as Sequential's: set it (in a callback) and `fit` ends after the current batch. */
  stopTraining = false;
  private readonly training = new ModelTraining({
    model: this,
    layers: () => this.layers,
    outputLayer: () => this.finalLayer(),
    ensureBuilt: () => {}, // built by the constructor, on the input's shape
    checkInputData: (x, op) => this.checkInputData(x, op),
    forward: (x, training) => this.run(x, training),
    backward: (dy, preActivation) => this.backward(dy, false, preActivation),
  });

  constructor(args: FunctionalArgs) {
    checkOptions('Functional', args, ['name', 'input', 'layers', 'output']);
    super('Functional', 'functional', args.name);
    const { input, layers, output } = args;
    checkOptions('Functional (input)', input, ['shape', 'name']);
    if (!Array.isArray(input.shape) || !input.shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ConvlensError(
        `Functional '${this.name}': input.shape must be a list of positive integers, got ${describeValue(input.shape)}`,
      );
    }
    this.input = [...input.shape];
    this.inputName = input.name ?? uniqueName('input_layer');
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new ConvlensError(
        `Functional '${this.name}': layers must be a non-empty list of { layer, inputs }, got ${describeValue(layers)}`,
      );
    }
    this.nodes = layers.map((node, i) => this.checkedNode(node, i));
    this.checkNames();
    this.outputName = output ?? this.nodes[this.nodes.length - 1].layer.name;
    if (!this.nodes.some((n) => n.layer.name === this.outputName)) {
      throw new ConvlensError(`Functional '${this.name}': the output ${describeValue(this.outputName)} is not one of its layers`);
    }
    this.order = this.runOrder();
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
   * Names are unique, each layer is in the model once, at any depth (a shared layer is not
   * supported), and inputs name layers of the model.
   */
  private checkNames(): void {
    const names = new Set([this.inputName]);
    const held = new Set<Layer>();
    for (const { layer } of this.nodes) {
      this.checkJoins(layer, held);
      for (const l of layersWithin(layer)) held.add(l);
      if (names.has(layer.name)) {
        throw new ConvlensError(
          `Functional '${this.name}': two layers (or a layer and the input) are named '${layer.name}' (names must be unique)`,
        );
      }
      names.add(layer.name);
    }
    for (const { layer, inputs } of this.nodes) {
      const unknown = inputs.find((i) => !names.has(i));
      if (unknown !== undefined) {
        throw new ConvlensError(
          `Functional '${this.name}': layer '${layer.name}' takes ${describeValue(unknown)}, which is neither a layer of the model nor its input`,
        );
      }
    }
  }

  /** Kahn's order, keeping the given order among layers that are ready together. */
  private runOrder(): FunctionalNode[] {
    const done = new Set([this.inputName]);
    const order: FunctionalNode[] = [];
    let pending = this.nodes;
    while (pending.length > 0) {
      const ready = pending.filter((n) => n.inputs.every((i) => done.has(i)));
      if (ready.length === 0) {
        throw new ConvlensError(
          `Functional '${this.name}': layers ${pending.map((n) => `'${n.layer.name}'`).join(', ')} take each other's outputs (a cycle)`,
        );
      }
      for (const n of ready) done.add(n.layer.name);
      order.push(...ready);
      pending = pending.filter((n) => !ready.includes(n));
    }
    return order;
  }

  /** Every layer leads to the output: one that does not would be computed for nothing (Keras leaves such layers out of a model). */
  private checkAllNeeded(): void {
    const needed = new Set([this.outputName]);
    for (const node of [...this.order].reverse()) if (needed.has(node.layer.name)) for (const i of node.inputs) needed.add(i);
    const off = this.nodes.find((n) => !needed.has(n.layer.name));
    if (off)
      throw new ConvlensError(`Functional '${this.name}': layer '${off.layer.name}' does not lead to the output '${this.outputName}'`);
  }

  /** Builds each layer on the shapes of its inputs (checking a layer built before, or a merge's shapes). */
  private buildLayers(): void {
    const shapes = new Map<string, number[]>([[this.inputName, this.input]]);
    for (const { layer, inputs } of this.order) {
      layer.connect(inputs.map((name) => ({ name, shape: shapes.get(name)! })));
      shapes.set(layer.name, layer.outputShape!);
    }
  }

  /** The layers in Keras' order, without the input. */
  get layers(): readonly Layer[] {
    return this.nodes.map((n) => n.layer);
  }

  override get inputShape(): number[] {
    return [...this.input];
  }

  override get outputShape(): number[] | undefined {
    return this.getLayer(this.outputName).outputShape;
  }

  override finalLayer(): Layer {
    return this.getLayer(this.outputName).finalLayer();
  }

  /** Built by the constructor: as a layer of another model, it only checks that it is given its input's shape. */
  override build(inputShape: number[]): void {
    if (!shapesEqual(inputShape, this.input)) {
      throw new ConvlensError(`${this.name} (Functional): expects input ${batchShapeText(this.input)}, got ${batchShapeText(inputShape)}`);
    }
  }

  computeOutputShape(inputShape: number[]): number[] {
    this.build(inputShape);
    return this.outputShape!;
  }

  /** The layer of that name, or at that index of `layers` (Keras' `get_layer(index=...)`). */
  getLayer(nameOrIndex: string | number): Layer {
    return findLayer(this.layers, nameOrIndex);
  }

  /** Checks a batch (or all the data) against the model's input; `op` prefixes the message when given. */
  private checkInputData(x: Tensor, op?: string): void {
    const where = op ? `${op}: ${this.name}` : this.name;
    if (x.dtype !== 'float32') throw new ConvlensError(`${where}: input must be float32, got ${x.dtype} (${toFloatHint(x.dtype)})`);
    if (x.rank !== this.input.length + 1 || !shapesEqual(x.shape.slice(1), this.input)) {
      throw new ConvlensError(`${where}: expected input of shape ${batchShapeText(this.input)}, got ${formatShape(x.shape)}`);
    }
  }

  /** Runs the graph on a batch; `visit` sees every layer's output. Outputs no later layer takes are let go as the run goes. */
  private run(x: Tensor, training: boolean, visit?: (layer: Layer, output: Tensor<'float32'>) => void): Tensor<'float32'> {
    this.checkInputData(x);
    const values = new Map<string, Tensor<'float32'>>([[this.inputName, x as Tensor<'float32'>]]);
    const lastUse = new Map<string, FunctionalNode>();
    for (const node of this.order) for (const i of node.inputs) lastUse.set(i, node);
    for (const node of this.order) {
      const { layer, inputs } = node;
      const xs = inputs.map((i) => values.get(i)!);
      const output = layer instanceof MergeLayer ? layer.applyMany(xs) : layer.apply(xs[0], training);
      values.set(layer.name, output);
      visit?.(layer, output);
      for (const i of inputs) if (lastUse.get(i) === node) values.delete(i);
    }
    return values.get(this.outputName)!;
  }

  /**
   * The graph in reverse order from `dy`, the gradient of the output layer's output (already
   * through its softmax/sigmoid when `preActivation`): each layer gets the sum of the gradients of
   * the layers that take its output, and a merge layer gives one to each of its inputs. The
   * gradient with respect to the model's input is computed only when `needInputGrad` (as a layer
   * of another model), and returned; a frozen model that needs none is skipped.
   */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!needInputGrad && this.trainableWeights.length === 0) return undefined;
    const grads = new GradientSums();
    grads.add(this.outputName, dy);
    for (const { layer, inputs } of [...this.order].reverse()) {
      const grad = grads.take(layer.name);
      const layerNeedsInputGrad = needInputGrad || inputs.some((i) => i !== this.inputName);
      const inputGrads =
        layer instanceof MergeLayer
          ? layer.backwardMany(grad)
          : [layer.backward(grad, layerNeedsInputGrad, preActivation && layer.name === this.outputName)];
      inputs.forEach((input, i) => {
        const inputGrad = inputGrads[i];
        if ((input !== this.inputName || needInputGrad) && inputGrad) grads.add(input, inputGrad);
      });
    }
    return needInputGrad ? grads.take(this.inputName) : undefined;
  }

  /** The model as a layer of another: the graph on a batch, in training mode or not. */
  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    return this.run(x, training);
  }

  /** Its config as a layer of another model, as tfjs-layers writes a nested functional model. */
  getConfig(): Record<string, unknown> {
    return graphConfig(this.savable());
  }

  /** The model's output for a batch `[N, ...inputShape]`, computed `batchSize` examples at a time. */
  predict(x: Tensor, options: PredictOptions = {}): Tensor<'float32'> {
    return predictInBatches({ run: (batch) => this.run(batch, false), checkInputData: (data) => this.checkInputData(data) }, x, options);
  }

  /** Every layer's output for `x`, in the order of `layers`: the feature maps Keras shows with an activation model. */
  layerOutputs(x: Tensor): { layer: Layer; output: Tensor<'float32'> }[] {
    checkTensorArg('layerOutputs', 'x', x);
    const outputs = new Map<Layer, Tensor<'float32'>>();
    this.run(x, false, (layer, output) => outputs.set(layer, output));
    return this.layers.map((layer) => ({ layer, output: outputs.get(layer)! }));
  }

  /** The model in the TensorFlow.js Layers format, as tfjs-layers saves a `tf.model` (no file access; works in browsers). */
  toArtifacts(): ModelArtifacts {
    return graphArtifacts({ ...this.savable(), trainingConfig: this.trainingConfig() });
  }

  private savable(): SavableGraph {
    const { name, inputName, input: inputShape, nodes, outputName } = this;
    return { name, inputName, inputShape, nodes, outputName };
  }

  /** Writes `dir/model.json` and `dir/weights.bin` (Node.js), all or nothing; `layers.loadFunctional(dir)` and tfjs' `loadLayersModel` read them back. */
  async save(dir: string): Promise<void> {
    await writeModelDir(dir, this.toArtifacts());
  }

  compile(args: CompileArgs): void {
    this.training.compile(args);
  }

  /** compile's settings as a saved model carries them (undefined before compile, or for what tfjs could not read back). */
  trainingConfig(): TrainingConfig | undefined {
    return this.training.trainingConfig();
  }

  /** Trains the model as Sequential's fit does (the same options, logs and history). */
  fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    return this.training.fit(x, y, args);
  }

  /** Mean loss, accuracy and compile's metrics over `x`, as Sequential's evaluate. */
  evaluate(x: Tensor, y: Tensor, options: { batchSize?: number; verbose?: 0 | 1 | 2 } = {}): EvaluateResult {
    return this.training.evaluate(x, y, options);
  }

  /** Keras' functional summary: the input and every layer, its output shape, parameters and the layers it takes ("Connected to"). */
  summary(print: ((line: string) => void) | null = console.log): string {
    checkPrint(print);
    const text = summaryText({
      name: this.name,
      header: ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'],
      minWidths: [32, 22, 12],
      lastWidth: 32,
      minRuleWidth: 98,
      rows: [
        [`${this.inputName} (InputLayer)`, batchShapeText(this.input), '0', '-'],
        ...this.nodes.map(({ layer, inputs }) => [
          `${layer.name} (${layer.className})`,
          batchShapeText(layer.outputShape!),
          layer.countParams().toLocaleString('en-US'),
          inputs.map((i, k) => `${i}[0][0]${k < inputs.length - 1 ? ',' : ''}`),
        ]),
      ],
      layers: this.layers,
    });
    print?.(text);
    return text;
  }
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
  take(name: string): Tensor<'float32'> {
    const sum = this.sums.get(name)!;
    this.sums.delete(name);
    return sum;
  }
}

import { backend } from '../backend/registry.js';
import { ConvlensError, describeValue } from '../errors.js';
import { cast } from '../ops/cast.js';
import { toFloatHint } from '../ops/convert.js';
import { withoutDrawing } from '../tensor/random.js';
import { formatShape, shapesEqual, sizeFromShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Constraint } from '../train/constraints.js';
import { type ActivationName, activationGrad } from '../train/gradients.js';
import type { Variable } from '../train/optimizers.js';
import type { Regularizer } from '../train/regularizers.js';
import { applyActivation, gradientNeedsInput, keepsLogits } from './activations.js';
import { immutable } from './args.js';
import type { InferenceWorkspace } from './inference_workspace.js';
import { fitsShape, isDeclarableShape, type Shape } from './shapes.js';
import { makeGraphOf, nextCall, SymbolicTensor } from './symbolic.js';

/**
 * Set while gradients are taken through a model as predict computes it (saliency maps, filter
 * patterns): forward in training mode then keeps what backward needs, but computes as at
 * inference (no dropout, noise, augmentation, batch statistics or activity penalty).
 */
let gradientsOfInference = false;

/** Runs `work` with forward(x, true) computing as at inference, for `backward` to take the gradient of predict's output. */
export function withInferenceGradients<T>(work: () => T): T {
  const was = gradientsOfInference;
  gradientsOfInference = true;
  try {
    return work();
  } finally {
    gradientsOfInference = was;
  }
}

/**
 * Whether backward is to fill the weights' gradients: not while gradients are taken as predict
 * computes (withInferenceGradients), which read only the input's gradient. A layer's backward then
 * leaves its weights' gradients as the last training backward made them (a step may still read
 * them) and skips computing them.
 */
export function weightGradientsWanted(): boolean {
  return !gradientsOfInference;
}

/** Whether forward's `training` means training's behaviour (dropout, noise, batch statistics), not only keeping what backward needs. */
export function trainingBehaviour(training: boolean): boolean {
  return training && !gradientsOfInference;
}

/** Keras' automatic names: the first `conv2d`, then `conv2d_1`, `conv2d_2`, ... */
const nameCounts = new Map<string, number>();

export function uniqueName(base: string): string {
  const count = nameCounts.get(base) ?? 0;
  nameCounts.set(base, count + 1);
  return count === 0 ? base : `${base}_${count}`;
}

/** TensorFlow's rule for names (weights are named after their layer): a saved model with others does not open in TensorFlow.js. */
const VALID_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

/** Throws unless `name` follows TensorFlow's rule for names; `where` starts the message. */
export function checkName(where: string, name: unknown): void {
  if (typeof name !== 'string' || !VALID_NAME.test(name)) {
    throw new ConvlensError(
      `${where}: name must be a letter or digit, then letters, digits, '-', '.', '_' or '/' (as TensorFlow names weights), got ${describeValue(name)}`,
    );
  }
}

/** Restarts automatic names (like Keras' `clear_session`). */
export function resetNames(): void {
  nameCounts.clear();
}

/** A layer's `inputShape`, or its `batchInputShape` without the batch axis, which must be null (as tfjs and Keras write it for any batch size). */
function declaredInputShape(where: string, args: LayerArgs): unknown {
  const batchShape = args.batchInputShape;
  if (batchShape === undefined) return args.inputShape;
  if (args.inputShape !== undefined) throw new ConvlensError(`${where}: give inputShape or batchInputShape, not both`);
  if (!Array.isArray(batchShape) || batchShape.length < 2 || batchShape[0] !== null) {
    throw new ConvlensError(
      `${where}: batchInputShape must be [null, ...inputShape], the batch axis null (any batch size), got ${describeValue(batchShape)}`,
    );
  }
  return batchShape.slice(1);
}

export interface LayerArgs {
  name?: string;
  /**
   * Shape of one example, without the batch axis (e.g. [28, 28, 1]); needed on a model's first
   * layer. null leaves a size free (Keras' None): [null, null, 1] takes gray images of any size.
   */
  inputShape?: Shape;
  /** tfjs' and Keras' form of it, with the batch axis first, null (any batch size): [null, 28, 28, 1]. */
  batchInputShape?: (number | null)[];
  trainable?: boolean;
}

/** What a layer sets for one of its weights, as Keras' `add_weight` takes it: a penalty and a constraint. */
export interface WeightSettings {
  /** Added to the loss in fit and evaluate while the weight is trainable (Keras' `kernel_regularizer`...). */
  regularizer?: Regularizer;
  /** Applied to the weight after each optimizer step (Keras' `kernel_constraint`...). */
  constraint?: Constraint;
}

/** A weight of a layer: a variable an optimizer can update in place (its values; its shape is immutable). */
export class Weight implements Variable {
  readonly grad: Float32Array;
  readonly shape: number[];
  readonly regularizer: Regularizer | undefined;
  readonly constraint: Constraint | undefined;
  constructor(
    readonly name: string,
    shape: readonly number[],
    readonly value: Float32Array,
    settings: WeightSettings = {},
  ) {
    this.shape = immutable([...shape]);
    this.grad = new Float32Array(value.length);
    this.regularizer = settings.regularizer;
    this.constraint = settings.constraint;
  }

  toTensor(): Tensor<'float32'> {
    return new Tensor(this.value.slice(), this.shape, 'float32');
  }
}

/**
 * A model's reusable buffers for the activations and gradients of training and evaluation, one per
 * layer and key: the backend's resident buffers (the wasm backend's kernels use them in place, with
 * no copies in and out of its memory), allocated once and reused batch after batch. Only `fit` and
 * `evaluate` turn it on (`active`); what they compute in it never reaches the caller. predict
 * computes in an InferenceWorkspace, whose buffers the layers share.
 */
export class Workspace {
  active = false;
  /** The activity penalties of the layers that computed in this batch (Keras' activity regularizers), summed. */
  activityPenalty = 0;
  private readonly slots = new Map<object, Map<string, Float32Array>>();
  /**
   * Buffers outgrown in this batch (a larger batch, another backend) stay referenced until the
   * next one: tensors of this batch may still view them, and a resident buffer's memory goes back
   * to the backend when its array is collected. Kept longer, they added up to gigabytes.
   */
  private retired: Float32Array[] = [];

  /** The backend the buffers were made for (another backend's would work, but with copies). */
  private backendName: string | undefined;

  /** A batch starts: nothing of the last one views the buffers it outgrew any more. */
  startBatch(): void {
    this.retired = [];
    this.activityPenalty = 0;
  }

  /** `length` floats (contents undefined) for `owner`'s buffer `key`. */
  get(owner: object, key: string, length: number): Float32Array {
    const current = backend();
    if (current.name !== this.backendName) {
      for (const slots of this.slots.values()) this.retired.push(...slots.values());
      this.slots.clear();
      this.backendName = current.name;
    }
    let slots = this.slots.get(owner);
    if (!slots) {
      slots = new Map();
      this.slots.set(owner, slots);
    }
    let buffer = slots.get(key);
    if (!buffer || buffer.length < length) {
      if (buffer) this.retired.push(buffer);
      buffer = current.residentBuffer(length);
      slots.set(key, buffer);
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** The bytes of the buffers it keeps. */
  get heldBytes(): number {
    return [...this.slots.values()].flatMap((slots) => [...slots.values()]).reduce((sum, b) => sum + b.byteLength, 0);
  }
}

/** A shape without its batch axis, as Keras prints it: (None, 28, 28, 16). */
export function batchShapeText(shape: readonly (number | null)[]): string {
  return `(None, ${shape.map((d) => d ?? 'None').join(', ')})`.replace(', )', ')');
}

/**
 * A Keras-style layer. `forward` computes a batch's output (remembering what `backward` needs
 * when training); `backward` takes the gradient of the loss with respect to the output, fills
 * the weights' gradients (when weightGradientsWanted) and returns the gradient with respect to the input.
 */
export abstract class Layer {
  readonly name: string;
  readonly className: string;
  // accessors rather than fields, so that a model used as a layer can answer them from its own layers
  private trainableFlag: boolean;
  private inputShapeValue: Shape | undefined;
  private outputShapeValue: Shape | undefined;
  protected weightList: Weight[] = [];
  /**
   * The values before this layer's softmax or sigmoid in its last forward pass (undefined for
   * other activations). Training computes softmax/sigmoid cross-entropy from these, stably.
   */
  logits: Tensor<'float32'> | undefined;
  /** Set by the model that trains, evaluates (see Workspace) or predicts with this layer (see InferenceWorkspace). */
  workspace: Workspace | InferenceWorkspace | undefined;
  /**
   * The activation the layer applies to its output, for layers that take one (Keras' `activation`).
   * Training relies on it: such a layer keeps its `logits` for softmax and sigmoid, and its
   * backward takes a gradient already through its activation when `preActivation` is true.
   */
  readonly activation?: ActivationName;
  /** The rank of one example, for layers that take images (height, width, channels). */
  protected readonly exampleRank: number | undefined = undefined;
  /** For a replica (see `replica`), the layer it runs for: its trainable flag and workspace are that layer's. */
  private original: Layer | undefined;
  /** What each of its applications to symbolic tensors gave, in order (see `output`). */
  private readonly symbolicOutputs: SymbolicTensor[] = [];
  /** The penalty on the layer's output (Keras' `activity_regularizer`), set by the layers that take one. */
  protected activityRegularizerValue: Regularizer | undefined;

  /** `nameRule` checks a given name (TensorFlow's rule for weight names by default; a model's name names no weight). */
  constructor(className: string, defaultName: string, args: LayerArgs = {}, nameRule = checkName) {
    if (args.name !== undefined) nameRule(className, args.name);
    if (args.trainable !== undefined && typeof args.trainable !== 'boolean') {
      throw new ConvlensError(`${className}: trainable must be true or false, got ${describeValue(args.trainable)}`);
    }
    this.className = className;
    this.name = args.name ?? uniqueName(defaultName);
    this.trainableFlag = args.trainable ?? true;
    const inputShape = declaredInputShape(`${className} '${this.name}'`, args);
    if (inputShape !== undefined) {
      if (!isDeclarableShape(inputShape)) {
        throw new ConvlensError(
          `${className} '${this.name}': inputShape must be a list of positive integers or null (a free size), got ${describeValue(inputShape)}`,
        );
      }
      this.inputShape = inputShape;
    }
  }

  /**
   * Keras' activity regularizer: a penalty on the layer's output, divided by the batch size as
   * Keras divides it, added to the loss in fit and evaluate, for each application of the layer.
   */
  get activityRegularizer(): Regularizer | undefined {
    return this.activityRegularizerValue;
  }

  /** Whether training updates the layer's weights (a frozen layer's are left as they are). */
  get trainable(): boolean {
    return this.original ? this.original.trainable : this.trainableFlag;
  }

  set trainable(value: boolean) {
    // JavaScript callers may set anything; a truthy 'false' would leave the layer training
    if (typeof value !== 'boolean') {
      throw new ConvlensError(`${this.className} '${this.name}': trainable must be true or false, got ${describeValue(value)}`);
    }
    this.trainableFlag = value;
  }

  /** The shape of one example of the input (no batch axis), once known; immutable, as Keras' tuple. */
  get inputShape(): Shape | undefined {
    return this.inputShapeValue;
  }

  set inputShape(shape: Shape | undefined) {
    this.inputShapeValue = shape && immutable([...shape]);
  }

  /** The shape of one example of the output, once the layer is built; immutable, as Keras' tuple. */
  get outputShape(): Shape | undefined {
    return this.outputShapeValue;
  }

  set outputShape(shape: Shape | undefined) {
    this.outputShapeValue = shape && immutable([...shape]);
  }

  get built(): boolean {
    return this.outputShape !== undefined;
  }

  /**
   * Whether the layer takes integer (or bool) input, cast to float32 first. Keras' Rescaling and
   * image augmentation layers do ("of integer or floating point dtype"), and so a model whose input
   * goes first into one takes uint8 pixels as decoded; every other layer takes float32 alone.
   */
  get takesIntegerInput(): boolean {
    return false;
  }

  /** The layers that compute this one's output: itself, or a model's layers at every depth. */
  flatLayers(): Layer[] {
    return [this];
  }

  /** The layer whose forward gives this one's output (a model's output layer, at any depth): its activation and logits feed a loss. */
  finalLayer(): Layer {
    return this;
  }

  /** Creates the weights for inputs of `inputShape` (one example, no batch axis) and fixes the output shape. */
  build(inputShape: Shape): void {
    this.inputShape = inputShape;
    this.outputShape = this.computeOutputShape(inputShape);
  }

  /** Output shape for one example of `inputShape`; throws naming the layer if the input does not fit. */
  abstract computeOutputShape(inputShape: Shape): Shape;

  abstract forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'>;

  /**
   * Gradient with respect to the input; skipped (returns undefined) when `needInputGrad` is
   * false. With `preActivation`, `dy` is already the gradient before the layer's activation.
   */
  abstract backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation?: boolean): Tensor<'float32'> | undefined;

  /** Keras' layer config (snake_case keys), used when saving. */
  abstract getConfig(): Record<string, unknown>;

  /**
   * This layer's activation on `z`, its kernel's output (already through a ReLU the kernel fused):
   * the output, and the values before the activation when its gradient needs them. Keeps the
   * logits of a softmax or sigmoid, which training reads, and adds the output's activity penalty.
   */
  protected activate(z: Tensor<'float32'>, reluFused = false): { y: Tensor<'float32'>; preActivation?: Tensor<'float32'> } {
    const activation = this.activation ?? 'linear';
    this.logits = keepsLogits(activation) ? z : undefined;
    const y = reluFused ? z : applyActivation(activation, z);
    this.addActivityPenalty(y);
    return { y, preActivation: gradientNeedsInput(activation) ? z : undefined };
  }

  /** Adds the activity penalty of output `y` (over its batch) to the model's sum, while a model trains or evaluates. */
  private addActivityPenalty(y: Tensor<'float32'>): void {
    const workspace = (this.original ?? this).workspace;
    const batch = y.shape[0];
    // predict (an InferenceWorkspace, or none) computes no loss
    if (!this.activityRegularizerValue || !(workspace instanceof Workspace) || !workspace.active || !batch) return;
    workspace.activityPenalty += this.activityRegularizerValue.penalty(y.data) / batch;
  }

  /**
   * `dy` taken back through this layer's activation (`y` its output, `z` what `activate` kept),
   * with the activity penalty's gradient added to the output's, unless it already is: when the
   * caller passed it through (`preActivation`), or when the kernel's backward applies the ReLU
   * (`reluInKernel`: the sum is returned before it).
   */
  protected activationGradient(
    dy: Tensor<'float32'>,
    y: Tensor<'float32'>,
    z: Tensor<'float32'> | undefined,
    preActivation: boolean,
    reluInKernel = false,
  ): Tensor<'float32'> {
    const activation = this.activation ?? 'linear';
    if (this.activityRegularizerValue && !gradientsOfInference) return this.gradientWithActivity(dy, y, z, preActivation, reluInKernel);
    return preActivation || reluInKernel ? dy : activationGrad(activation, y, dy, z);
  }

  /** activationGradient for a layer with an activity regularizer: its penalty's gradient (over the batch) added to the output's. */
  private gradientWithActivity(
    dy: Tensor<'float32'>,
    y: Tensor<'float32'>,
    z: Tensor<'float32'> | undefined,
    preActivation: boolean,
    reluInKernel: boolean,
  ): Tensor<'float32'> {
    const activation = this.activation ?? 'linear';
    const penalty = this.activityRegularizerValue!;
    const scale = 1 / y.shape[0];
    const sum = this.buffer('activityGrad', dy.size);
    if (!preActivation) {
      sum.set(dy.data);
      penalty.addGradient(y.data, sum, scale);
      const total = new Tensor(sum, dy.shape, 'float32');
      return reluInKernel ? total : activationGrad(activation, y, total, z);
    }
    // dy is past the activation already: the penalty's gradient is taken through it, then added
    sum.fill(0);
    penalty.addGradient(y.data, sum, scale);
    const through = activationGrad(activation, y, new Tensor(sum, y.shape, 'float32'), z).data;
    const out = this.buffer('activityGradPre', dy.size);
    for (let i = 0; i < out.length; i++) out[i] = dy.data[i] + through[i];
    return new Tensor(out, dy.shape, 'float32');
  }

  /** The axes of one example of an image, in the layer's layout (channels last unless it takes another). */
  protected get imageAxes(): string {
    return 'height, width, channels';
  }

  /** Throws, naming the layer, unless one example of `inputShape` is an image (height, width, channels). */
  protected checkImageShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new ConvlensError(
        `${this.name} (${this.className}): expected inputs of shape (${this.imageAxes}), got ${describeValue(inputShape)}`,
      );
    }
  }

  /** Throws, naming the layer, when the gradient backward is given does not have the output's shape. */
  protected checkOutputGradient(dy: Tensor, expected: Shape): void {
    if (!fitsShape(expected, dy.shape)) {
      throw new ConvlensError(
        `${this.name} (${this.className}): gradient of shape [${dy.shape}] does not match the output [${expected.map((d) => d ?? 'null')}]`,
      );
    }
  }

  /**
   * Builds the layer for inputs of these shapes (one example each), coming from the named layers
   * or model input, or checks them against the shapes it was built for. A merge layer takes
   * several inputs; any other layer, one.
   */
  connect(inputs: { name: string; shape: Shape }[]): void {
    const { name, shape } = this.singleInput(inputs);
    if (this.inputShape && !shapesEqual(this.inputShape, shape)) {
      throw new ConvlensError(
        `${this.name} (${this.className}): expects input ${batchShapeText(this.inputShape)} but ${name} outputs ${batchShapeText(shape)}`,
      );
    }
    if (!this.built) this.build(shape);
  }

  /** The one input of a layer that takes one (not a merge layer); throws, naming the inputs, for several. */
  protected singleInput(inputs: { name: string; shape: Shape }[]): { name: string; shape: Shape } {
    if (inputs.length !== 1) {
      throw new ConvlensError(
        `${this.name} (${this.className}): takes one input, but is given ${inputs.length} (${inputs.map((i) => i.name).join(', ')}); merge them first (Add, Concatenate, ...)`,
      );
    }
    return inputs[0];
  }

  /** The layer a replica computes for (see replica); a layer that is no replica, itself. */
  get originalLayer(): Layer {
    return this.original ?? this;
  }

  /** Whether the layer is built for inputs of these shapes (one example each). */
  builtFor(shapes: readonly Shape[]): boolean {
    return shapes.length === 1 && this.inputShape !== undefined && shapesEqual(shapes[0], this.inputShape);
  }

  /**
   * A stand-in that computes this layer where a model applies it once more (a shared layer): the
   * same weights (the same arrays: an update to them is an update to both), settings, trainable
   * flag and workspace, but its own forward state and buffers, so that each application keeps
   * what its backward needs. It is built for `inputs`, whose shapes may differ from the layer's
   * where its weights fit them, as in Keras (a Dense's last axis, a convolution's channels).
   */
  replica(inputs: { name: string; shape: Shape }[]): Layer {
    if (!this.built) throw new ConvlensError(`${this.name} (${this.className}): a replica needs a built layer`);
    const replica = this.stateCopy();
    if (this.builtFor(inputs.map((i) => i.shape))) return replica;
    replica.inputShape = undefined;
    replica.outputShape = undefined;
    replica.weightList = [];
    // its build's initial weights are replaced by the layer's: drawing them must not shift the
    // initial weights of layers made later (Keras builds a shared layer once)
    withoutDrawing(() => replica.connect(inputs));
    replica.adoptWeights(this, inputs);
    return replica;
  }

  /**
   * A copy of the layer with its own forward state (see replica): the same weights, settings and
   * trainable flag, computing in the workspace of the layer it stands for (the first, for a copy of a copy).
   */
  protected stateCopy(): this {
    const copy: this = Object.assign(Object.create(Object.getPrototypeOf(this)), this);
    copy.original = this.original ?? this;
    copy.logits = undefined;
    return copy;
  }

  /** Points a replica built for other inputs at `layer`'s weights, which must have the shapes it built (else the inputs do not fit them). */
  private adoptWeights(layer: Layer, inputs: { name: string; shape: Shape }[]): void {
    const own = this.weightList;
    const shared = layer.weightList;
    if (own.length !== shared.length || own.some((w, i) => !shapesEqual(w.shape, shared[i].shape))) {
      const shapes = (weights: Weight[]) =>
        weights.map((w) => `${w.name.slice(this.name.length + 1)} ${formatShape(w.shape)}`).join(', ') || 'none';
      const given = inputs.map((i) => `${i.name} ${batchShapeText(i.shape)}`).join(', ');
      throw new ConvlensError(
        `${this.name} (${this.className}): built for inputs ${batchShapeText(layer.inputShape!)}, applied again to ${given}: a shared layer keeps its weights (${shapes(shared)}), which do not fit these inputs (they would need ${shapes(own)})`,
      );
    }
    // the fields that hold a weight (a Dense's kernel, say) point at the layer's, as the list does
    const fields = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const index = own.indexOf(fields[key] as Weight);
      if (index >= 0) fields[key] = shared[index];
    }
    this.weightList = shared;
  }

  /**
   * Keras' `layer.output`: the symbolic tensor its application gave, in a model made with the
   * functional API, or in the graph of the Sequential that holds it (made on first use, as Keras
   * builds a Sequential's), so that Keras' feature-extraction model reads the same:
   * `layers.model({ inputs: net.inputs, outputs: net.layers.map((layer) => layer.output) })`.
   */
  get output(): SymbolicTensor {
    if (this.symbolicOutputs.length === 0) makeGraphOf(this);
    const [output, ...more] = this.symbolicOutputs;
    if (!output) {
      throw new ConvlensError(
        `${this.name} (${this.className}): output is the symbolic tensor of its application in a model, and the layer is in none: apply it to a layers.Input, or put it in a Sequential with a known input shape`,
      );
    }
    if (more.length > 0) {
      throw new ConvlensError(
        `${this.name} (${this.className}): output is ambiguous, the layer was applied ${more.length + 1} times (as in Keras, a layer of several applications has no one output): use what each apply returned`,
      );
    }
    return output;
  }

  /**
   * On a batch: builds on first use, checks the input shape, then runs `forward` in inference
   * mode. On a symbolic tensor (from `Input` or another layer's `apply`), Keras' functional API:
   * builds the layer for it and returns its output, symbolic, for `layers.model` (no `training`
   * then: a model's layers run in inference mode in predict, in training mode in fit). A merge
   * layer takes a list of either.
   */
  apply(x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor;
  apply(x: Tensor | Tensor[], training?: boolean): Tensor<'float32'>;
  apply(x: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], training?: boolean): Tensor<'float32'> | SymbolicTensor {
    const xs = Array.isArray(x) ? x : [x];
    const second: unknown = training; // what JavaScript callers give may be anything
    if (xs.length > 0 && xs.every((t) => t instanceof SymbolicTensor)) {
      if (second !== undefined) {
        // nothing would use it: apply(a, b) meant for a merge, or Keras' training=True on a call
        const hint =
          second instanceof SymbolicTensor
            ? "; a merge layer's inputs go in one list: apply([a, b])"
            : '; a model runs its layers in inference mode in predict and in training mode in fit';
        throw new ConvlensError(
          `${this.name} (${this.className}): apply on symbolic tensors takes no second argument, got ${describeValue(second)}${hint}`,
        );
      }
      const inputs = xs.map((t) => ({ name: t.name, shape: t.exampleShape }));
      // applied again on other shapes (a shared layer): a replica checks that its weights fit them and gives the output's shape
      const runner = this.built && !this.builtFor(inputs.map((i) => i.shape)) ? this.replica(inputs) : this;
      if (runner === this) this.connect(inputs);
      const output = new SymbolicTensor(this.name, runner.outputShape!, { layer: this, inputs: xs, call: nextCall(this) });
      this.symbolicOutputs.push(output);
      return output;
    }
    if (xs.length === 0 || !xs.every((t) => t instanceof Tensor)) {
      throw new ConvlensError(
        `${this.name} (${this.className}): apply takes a tensor, a symbolic tensor (from Input or a layer's apply), or a list of either, got ${describeValue(x)}`,
      );
    }
    if (second !== undefined && typeof second !== 'boolean') {
      const kwargs = typeof second === 'object' && second !== null && 'training' in second;
      const hint = kwargs
        ? " (tfjs' apply(x, { training }) is apply(x, training) here)"
        : second instanceof Tensor
          ? " (a merge layer's inputs go in one list: apply([a, b]))"
          : '';
      throw new ConvlensError(
        `${this.name} (${this.className}): apply's training must be true or false, got ${describeValue(second)}${hint}`,
      );
    }
    return Array.isArray(x) ? this.applyList(x as Tensor[], training ?? false) : this.applyBatch(x as Tensor, training ?? false);
  }

  /** A list of batches: only a merge layer takes several. */
  protected applyList(xs: Tensor[], training: boolean): Tensor<'float32'> {
    if (xs.length !== 1) {
      throw new ConvlensError(`${this.name} (${this.className}): takes one input, but apply is given ${xs.length} tensors`);
    }
    return this.applyBatch(xs[0], training);
  }

  private applyBatch(given: Tensor, training: boolean): Tensor<'float32'> {
    if (given.dtype !== 'float32' && !this.takesIntegerInput) {
      throw new ConvlensError(`${this.name}: input must be float32, got ${given.dtype} (${toFloatHint(given.dtype, true)})`);
    }
    const x = given.dtype === 'float32' ? given : cast(given, 'float32');
    // a batch one axis short, before the layer knows its input: one image, or gray images without their channel axis
    if (x.rank === this.exampleRank && !this.inputShape) {
      throw new ConvlensError(
        `${this.name} (${this.className}): apply takes a batch [batch, ${this.imageAxes}], got shape ${formatShape(x.shape)} (for one image, expandDims(x, 0) adds the batch axis; for gray images without a channel axis, expandDims(x, ${this.imageAxes.startsWith('channels') ? 1 : -1}) adds it)`,
      );
    }
    if (!this.built) this.build(x.shape.slice(1));
    this.checkInput(x.shape);
    return this.forward(x as Tensor<'float32'>, training);
  }

  checkInput(batchShape: readonly number[]): void {
    const expected = this.inputShape ?? [];
    const got = batchShape.slice(1);
    if (!fitsShape(expected, got)) {
      // one example without its batch axis, or gray images without their channel axis (MNIST's [N, 28, 28])
      const oneExample = fitsShape(expected, batchShape);
      const noChannels = expected.at(-1) === 1 && fitsShape(expected.slice(0, -1), got);
      const hint = oneExample
        ? ' (one example: expandDims(x, 0) makes a batch of one)'
        : noChannels
          ? ' (expandDims(x, -1) adds the channel axis)'
          : '';
      throw new ConvlensError(
        `${this.name} (${this.className}): expected input of shape ${batchShapeText(expected)}, got ${formatShape(batchShape)}${hint}`,
      );
    }
  }

  /** The weights, for optimizers (empty when frozen): a new list each time, as Keras' `trainable_weights`. */
  get trainableWeights(): Weight[] {
    return this.trainable ? [...this.weightList] : [];
  }

  /** The weights (kernel, then bias): a new list each time, as Keras' `weights`, so that changing it leaves the layer alone. */
  get weights(): Weight[] {
    return [...this.weightList];
  }

  /** The weights that training leaves alone (a frozen layer's, BatchNormalization's moving statistics): a new list each time, as Keras' `non_trainable_weights`. */
  get nonTrainableWeights(): Weight[] {
    const trained = new Set(this.trainableWeights);
    return this.weights.filter((w) => !trained.has(w));
  }

  countParams(): number {
    return this.weightList.reduce((n, w) => n + w.value.length, 0);
  }

  /** Copies of the weights, in Keras' order (kernel, then bias). */
  getWeights(): Tensor<'float32'>[] {
    return this.weightList.map((w) => w.toTensor());
  }

  /** Replaces the weights' values (as Keras' `set_weights`); shapes must match exactly. */
  setWeights(weights: Tensor[]): void {
    if (!this.built) {
      throw new ConvlensError(`${this.name}: setWeights needs a built layer (give the model an inputShape or call predict first)`);
    }
    if (!Array.isArray(weights) || weights.length !== this.weightList.length) {
      throw new ConvlensError(
        `${this.name}: setWeights got ${Array.isArray(weights) ? weights.length : 'no'} arrays, expected ${this.weightList.length} (${this.weightList.map((w) => w.name).join(', ') || 'none'})`,
      );
    }
    weights.forEach((t, i) => {
      const target = this.weightList[i];
      if (
        !(t instanceof Tensor) ||
        t.size !== sizeFromShape(target.shape) ||
        t.shape.some((d, j) => d !== target.shape[j]) ||
        t.rank !== target.shape.length
      ) {
        const got = t instanceof Tensor ? formatShape(t.shape) : `${describeValue(t)} (expected a Tensor: tensor(values) makes one)`;
        throw new ConvlensError(`${this.name}: weight ${target.name} has shape ${formatShape(target.shape)}, setWeights got ${got}`);
      }
      target.value.set(t.data);
    });
  }

  /**
   * `length` floats for this layer's output or gradient `key`: a reused buffer (contents undefined)
   * while its model trains, evaluates or predicts, else a fresh zeroed array.
   */
  protected buffer(key: string, length: number): Float32Array {
    const ws = (this.original ?? this).workspace;
    return ws?.active ? ws.get(this, key, length) : new Float32Array(length);
  }

  protected addWeight(name: string, shape: number[], values: Float32Array, settings: WeightSettings = {}): Weight {
    const weight = new Weight(`${this.name}/${name}`, shape, values, settings);
    this.weightList.push(weight);
    return weight;
  }

  /** Fields every layer's Keras config has. */
  protected baseConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, dtype: 'float32' };
  }
}

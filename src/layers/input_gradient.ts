import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { keepsLogits } from './activations.js';
import { Functional, type GradientStop } from './functional.js';
import type { Layer } from './layer.js';
import { withInferenceGradients } from './layer.js';
import { checkTensorArg } from './model_common.js';
import { ModelLayer } from './model_layer.js';

export interface InputGradientOptions {
  /**
   * The gradient of the objective with respect to the output (TensorFlow's `output_gradients`):
   * the gradient returned is `dy · ∂output/∂x`. Ones by default: the gradient of the output's sum.
   */
  dy?: Tensor;
  /** Take the output of this layer (by name; `'name[k]'` for application k of a shared layer in a functional model), not the model's: what a feature-extractor model gives. */
  layer?: string;
  /**
   * Take `dy` as the gradient of the output layer's logits (before its softmax or sigmoid) rather
   * than of its probabilities: the class scores saliency maps are taken of.
   */
  logits?: boolean;
}

export interface InputGradient {
  /** The output the gradient is of (the layer's with `layer`; probabilities even with `logits`), as predict computes it. */
  output: Tensor<'float32'>;
  /** `dy · ∂output/∂x`, the shape of `x`. */
  gradient: Tensor<'float32'>;
}

const OP = 'inputGradient';

/**
 * The gradient of a model's output with respect to its input `x`, as predict computes the output
 * (dropout, noise and augmentation off, BatchNormalization on its moving statistics): what
 * TensorFlow's `tape.gradient(model(x), x, output_gradients=dy)` gives. It shows which pixels a
 * class score or a filter's response depends on (saliency maps, filter patterns). Weights are
 * left as they are.
 */
export function inputGradient(model: Layer, x: Tensor, options: InputGradientOptions = {}): InputGradient {
  checkOptions(OP, options, ['dy', 'layer', 'logits']);
  if (!(model instanceof ModelLayer)) {
    throw new ConvlensError(`${OP}: model must be a Sequential or functional model, got ${describeValue(model)}`);
  }
  checkTensorArg(OP, 'x', x);
  if (x.dtype !== 'float32') throw new ConvlensError(`${OP}: x must be float32, got ${x.dtype} (cast(x, 'float32') converts it)`);
  if (options.logits !== undefined && typeof options.logits !== 'boolean') {
    throw new ConvlensError(`${OP}: logits must be true or false, got ${describeValue(options.logits)}`);
  }
  const chain = options.layer === undefined ? [model] : layersUpTo(model, options.layer);
  checkOneInputOneOutput(chain[0]);
  const logits = options.logits ?? false;
  if (logits) checkLogits(chain[chain.length - 1]);
  return chainGradient(chain, x as Tensor<'float32'>, (output) => outputGradient(options.dy, output), logits);
}

/**
 * The gradient of `dy · output` with respect to `x`, where the layers of `chain` run in turn on
 * `x` as predict runs them and `dy` is made from their output; with `logits`, `dy` is the gradient
 * of the last layer's output before its activation.
 */
export function chainGradient(
  chain: readonly Layer[],
  x: Tensor<'float32'>,
  dyFor: (output: Tensor<'float32'>) => Tensor<'float32'>,
  logits = false,
): InputGradient {
  return withInferenceGradients(() => {
    let output = x;
    for (const layer of chain) output = layer.apply(output, true);
    let gradient: Tensor<'float32'> | undefined = dyFor(output);
    for (let i = chain.length - 1; i >= 0 && gradient; i--) gradient = chain[i].backward(gradient, true, logits && i === chain.length - 1);
    if (!gradient) throw new ConvlensError(`${OP}: the model gave no gradient for its input`);
    return { output, gradient: gradient.shape === x.shape ? gradient : new Tensor(gradient.data, x.shape, 'float32') };
  });
}

export interface LayerGradient {
  /** The model's output, as predict computes it. */
  output: Tensor<'float32'>;
  /** The layer's output. */
  layerOutput: Tensor<'float32'>;
  /** `dy · ∂output/∂layerOutput`, the shape of `layerOutput`. */
  layerGradient: Tensor<'float32'>;
}

/**
 * chainGradient's gradient taken at a layer of a functional model rather than at its input: of
 * `dy · output` with respect to the output of node `name` (a layer's name; `'name[k]'` for
 * application k of a shared layer), through every path from it to the output (a skip connection's
 * too), all that does not depend on it held fixed. Keras' Grad-CAM takes it so:
 * `tape.gradient(score, model.get_layer(name).output)`. One forward pass gives both outputs.
 */
export function layerGradient(
  model: Functional,
  x: Tensor<'float32'>,
  name: string,
  dyFor: (output: Tensor<'float32'>) => Tensor<'float32'>,
  logits = false,
): LayerGradient {
  return withInferenceGradients(() => {
    const { output, kept: layerOutput } = model.forwardKeeping(x, true, name);
    const stop: GradientStop = { name };
    model.backwardAll([dyFor(output)], false, [logits], stop);
    if (!stop.gradient) throw new ConvlensError(`layerGradient: the model gave no gradient for its layer '${name}'`);
    return { output, layerOutput, layerGradient: stop.gradient };
  });
}

/**
 * The gradient is of one output with respect to one input: a functional model of several says so
 * (`op` takes `what`: a model, a classifier), not that it cannot be a layer.
 */
export function checkOneInputOneOutput(model: Layer, op = OP, what = 'a model'): void {
  if (!(model instanceof Functional)) return;
  for (const [side, names] of [
    ['inputs', model.inputNames],
    ['outputs', model.outputNames],
  ] as const) {
    if (names.length !== 1) {
      throw new ConvlensError(
        `${op}: takes ${what} of one input and one output; functional model '${model.name}' has ${names.length} ${side} (${names.join(', ')}): make one of the input and output wanted (layers.model)`,
      );
    }
  }
}

/**
 * What computes the output of layer `name` of `model`, in turn: a Sequential model's layers up to
 * it, or a functional model cut there (`Functional.upTo`).
 */
export function layersUpTo(model: ModelLayer, name: unknown, op = OP): Layer[] {
  if (typeof name !== 'string') throw new ConvlensError(`${op}: layer must be a layer's name, got ${describeValue(name)}`);
  if (model instanceof Functional) {
    try {
      return [model.upTo(name)];
    } catch (error) {
      throw error instanceof ConvlensError ? new ConvlensError(`${op}: ${error.message}`) : error;
    }
  }
  const list = model.layers;
  const index = list.findIndex((l) => l.name === name);
  if (index < 0) {
    throw new ConvlensError(`${op}: model '${model.name}' has no layer '${name}' (its layers: ${list.map((l) => l.name).join(', ')})`);
  }
  return list.slice(0, index + 1);
}

/** Whether `layer`'s output (a model's: its output layer's) comes through a softmax or sigmoid, whose logits backward can start from. */
export function hasLogits(layer: Layer): boolean {
  return keepsLogits(layer.finalLayer().activation ?? 'linear');
}

/** `logits` needs an output layer that keeps them: one whose activation is a softmax or sigmoid. */
function checkLogits(last: Layer): void {
  const top = last.finalLayer();
  if (!hasLogits(last)) {
    throw new ConvlensError(
      `${OP}: logits needs an output layer with a softmax or sigmoid activation; '${top.name}' has ${top.activation ?? 'none'} (its output is already the scores: leave logits out)`,
    );
  }
}

function outputGradient(dy: Tensor | undefined, output: Tensor<'float32'>): Tensor<'float32'> {
  if (dy === undefined) return new Tensor(new Float32Array(output.size).fill(1), output.shape, 'float32');
  checkTensorArg(OP, 'dy', dy);
  if (dy.dtype !== 'float32') throw new ConvlensError(`${OP}: dy must be float32, got ${dy.dtype}`);
  if (!shapesEqual(dy.shape, output.shape)) {
    throw new ConvlensError(`${OP}: dy has shape ${formatShape(dy.shape)}, expected the output's ${formatShape(output.shape)}`);
  }
  // a copy: whatever the backward pass does with its gradient, the caller's dy stays theirs
  return new Tensor(Float32Array.from(dy.data as Float32Array), dy.shape, 'float32');
}

/**
 * Grad-CAM computed independently, with tfjs-layers and tfjs-core's CPU backend, as Keras'
 * example computes it: the expected values of convlens' `viz.saliency` and of the playground's
 * evidence map.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelJson } from '../../src/layers/artifacts.js';
import { tfjsLoad } from './layers.js';
import { tf } from './tf.js';

/** A classifier in tfjs-layers with its output's softmax or sigmoid made linear: its logits, the scores Grad-CAM takes. */
export function tfjsScores(modelJson: ModelJson | Record<string, unknown>, weightData: ArrayBuffer): Promise<tfl.LayersModel> {
  const linear = JSON.stringify(modelJson).replace(/"activation":\s*"(softmax|sigmoid)"/, '"activation":"linear"');
  return tfjsLoad(JSON.parse(linear), weightData);
}

/** The class score's gradient on the logits: one-hot, less 1/classes for a softmax (its logits count only by their differences). */
export function scoreGradient(classes: number, classIndex: number, softmax: boolean): tf.Tensor {
  return tf.tensor([Array.from({ length: classes }, (_, c) => (c === classIndex ? 1 : 0) - (softmax ? 1 / classes : 0))]);
}

/** `t` divided by its largest value. */
export const unit = (t: tf.Tensor) => tf.div(t, tf.max(t));

/**
 * Keras' Grad-CAM in tfjs: a layer's `maps`, weighted by the class score's gradient on them
 * through `head` (the rest of the model, as a function of them; `dy` the score's gradient on its
 * logits), relu'd, resized to `size` with half-pixel bilinear, divided by its largest value (zeros
 * when it has none above 0). Row by row, `[H, W]`.
 */
export function tfjsGradCam(
  maps: tf.Tensor,
  head: (maps: tf.Tensor) => tf.Tensor,
  dy: tf.Tensor,
  size: [number, number],
  channelsFirst = false,
): Float32Array {
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(head(a), dy)))(maps);
  const [a, ga] = channelsFirst ? [tf.transpose(maps, [0, 2, 3, 1]), tf.transpose(g, [0, 2, 3, 1])] : [maps, g];
  const cam = tf.relu(tf.sum(tf.mul(a, tf.mean(ga, [0, 1, 2])), 3, true)) as tf.Tensor4D;
  if (tf.max(cam).dataSync()[0] <= 0) return new Float32Array(size[0] * size[1]);
  return unit(tf.image.resizeBilinear(cam, size, false, true)).dataSync() as Float32Array;
}

/** Grad-CAM of a Sequential tfjs model of logits (`tfjsScores`) at layer `layerName`, on a channels-last batch of one `x`. */
export function sequentialGradCam(scores: tfl.LayersModel, layerName: string, x: tf.Tensor, dy: tf.Tensor): Float32Array {
  const index = scores.layers.findIndex((l) => l.name === layerName);
  const upTo = tfl.model({ inputs: scores.inputs, outputs: scores.layers[index].output as tfl.SymbolicTensor });
  const head = (a: tf.Tensor) => scores.layers.slice(index + 1).reduce((t, layer) => layer.apply(t) as tf.Tensor, a);
  const [, height, width] = x.shape;
  return tfjsGradCam(upTo.predict(x) as tf.Tensor, head, dy, [height, width]);
}

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
 * Grad-CAM of a Sequential tfjs model of logits (`tfjsScores`) at layer `layerName` on a
 * channels-last batch of one `x`: relu(Σ_k α_k A_k), α_k the mean over positions of the gradient
 * of `dy · logits` on map k, resized to x's size with half-pixel bilinear, divided by its largest
 * value (zeros when it has none above 0). Row by row, `[H, W]`.
 */
export function tfjsGradCam(scores: tfl.LayersModel, layerName: string, x: tf.Tensor, dy: tf.Tensor): Float32Array {
  const index = scores.layers.findIndex((l) => l.name === layerName);
  const upTo = tfl.model({ inputs: scores.inputs, outputs: scores.layers[index].output as tfl.SymbolicTensor });
  const maps = upTo.predict(x) as tf.Tensor;
  const head = (a: tf.Tensor) => scores.layers.slice(index + 1).reduce((t, layer) => layer.apply(t) as tf.Tensor, a);
  const gradient = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(head(a), dy)))(maps);
  const cam = tf.relu(tf.sum(tf.mul(maps, tf.mean(gradient, [0, 1, 2])), 3, true));
  const [, height, width] = x.shape;
  if (tf.max(cam).dataSync()[0] <= 0) return new Float32Array(height * width);
  return unit(tf.image.resizeBilinear(cam as tf.Tensor4D, [height, width], false, true)).dataSync() as Float32Array;
}

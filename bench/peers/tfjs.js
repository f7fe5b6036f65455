/** TensorFlow.js on its cpu and wasm backends (fused conv2d + relu, as its layers use). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export async function load() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // point it at its own .wasm files on disk: nothing is fetched
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(`${join(dir)}/`);
  let layers;
  try {
    layers = await import('@tensorflow/tfjs-layers');
  } catch {
    layers = undefined;
  }
  tf.env().set('IS_TEST', false);
  return { tf, layers, wasm };
}

/**
 * @param {Awaited<ReturnType<typeof load>>} api
 * @param {'cpu' | 'wasm'} name
 */
export async function peer(api, name) {
  const { tf, layers } = api;
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} did not initialise`);
  await tf.ready();
  const use = async () => {
    if (tf.getBackend() !== name) await tf.setBackend(name);
  };
  /**
   * The benchmark's two views of one op: `run` waits for the result as a user would, `output` also
   * returns it for the comparison with convlens.
   * @param {() => import('@tensorflow/tfjs-core').Tensor} once
   */
  const timed = (once) => {
    const result = async () => {
      await use();
      const y = once();
      const data = /** @type {Float32Array} */ (await y.data());
      y.dispose();
      return data;
    };
    return { run: async () => void (await result()), output: result };
  };
  return {
    name: `tfjs ${name}`,
    /** @param {{ x: Float32Array, inShape: number[], w: Float32Array, wShape: number[] }} c */
    async conv(c) {
      await use();
      const x = tf.tensor4d(c.x, /** @type {[number, number, number, number]} */ (c.inShape));
      const filter = tf.tensor4d(c.w, /** @type {[number, number, number, number]} */ (c.wShape));
      const once = () => tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', activation: 'relu' });
      return timed(once);
    },
    /** @param {{ x: Float32Array, inShape: number[], ksize: number, stride: number }} c */
    async pool(c) {
      await use();
      const x = tf.tensor4d(c.x, /** @type {[number, number, number, number]} */ (c.inShape));
      const once = () => tf.maxPool(x, c.ksize, c.stride, 'same');
      return timed(once);
    },
    /** @param {{ x: Float32Array, y: Float32Array, batch: number, size: number, classes: number }} c */
    async train(c) {
      // tfjs-backend-wasm has no Conv2DBackpropFilter kernel: it cannot train a convnet
      if (!layers || name !== 'cpu') return undefined;
      await use();
      const model = layers.sequential({
        layers: [
          layers.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [c.size, c.size, 1] }),
          layers.layers.maxPooling2d({ poolSize: 2 }),
          layers.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
          layers.layers.maxPooling2d({ poolSize: 2 }),
          layers.layers.flatten(),
          layers.layers.dense({ units: c.classes, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      const x = tf.tensor4d(c.x, [c.batch, c.size, c.size, 1]);
      const y = tf.tensor2d(c.y, [c.batch, c.classes]);
      return {
        run: async () => {
          await use();
          await model.fit(x, y, { epochs: 1, batchSize: c.batch, shuffle: false, verbose: 0 });
        },
      };
    },
  };
}

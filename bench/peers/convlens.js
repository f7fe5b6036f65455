/** convlens on its js and wasm backends, through the same entry points the library uses (fused conv + ReLU). */
import { existsSync } from 'node:fs';

const dist = new URL('../../dist/', import.meta.url);

export async function load() {
  // the modules themselves rather than dist/index.js, so the bench does not depend on unrelated parts of the package
  const mod = (/** @type {string} */ path) => import(new URL(path, dist).href);
  const backend = await mod('backend/index.js');
  const { tensor } = await mod('tensor/index.js');
  const { nn } = await mod('ops/nn/index.js');
  const { conv2dInfo, conv2dNHWC } = await mod('ops/nn/conv2d.js');
  const hasLayers = existsSync(new URL('layers/index.js', dist));
  const layers = hasLayers ? await mod('layers/index.js') : undefined;
  const random = existsSync(new URL('tensor/random.js', dist)) ? await mod('tensor/random.js') : {};
  const train = existsSync(new URL('train/index.js', dist)) ? await mod('train/index.js') : undefined;
  const mnist = existsSync(new URL('cli/train_mnist.js', dist)) ? await mod('cli/train_mnist.js') : undefined;
  const lib = { ...backend, tensor, nn, layers, train, setSeed: random.setSeed, referenceNetwork: mnist?.referenceNetwork };
  return { lib, conv2dInfo, conv2dNHWC, hasLayers };
}

/**
 * @param {Awaited<ReturnType<typeof load>>} api
 * @param {'js' | 'wasm'} name
 */
export function peer(api, name) {
  const { lib, conv2dInfo, conv2dNHWC } = api;
  const use = () => lib.setBackend(name);
  return {
    name: `convlens ${name}`,
    /** @param {{ x: Float32Array, inShape: number[], w: Float32Array, wShape: number[] }} c */
    conv(c) {
      use();
      const input = lib.tensor(c.x, c.inShape, 'float32');
      const filters = lib.tensor(c.w, c.wShape, 'float32');
      const info = conv2dInfo({ strides: 1, padding: 'SAME' }, c.inShape, c.wShape, 'NHWC');
      // each call selects the backend: the bench interleaves peers, and the backend is global
      const run = () => {
        use();
        return conv2dNHWC(input, filters, info, { activation: 'relu' });
      };
      return { run, output: () => run().data };
    },
    /** @param {{ x: Float32Array, inShape: number[], ksize: number, stride: number }} c */
    pool(c) {
      use();
      const input = lib.tensor(c.x, c.inShape, 'float32');
      const run = () => {
        use();
        return lib.nn.maxPool2d({ input, ksize: c.ksize, strides: c.stride, padding: 'SAME' });
      };
      return { run, output: () => run().data };
    },
    /** @param {{ x: Float32Array, y: Float32Array, batch: number, size: number, classes: number }} c */
    train(c) {
      if (!api.hasLayers || !lib.layers) return undefined;
      use();
      const { layers } = lib;
      lib.setSeed?.(1);
      const model = new layers.Sequential([
        new layers.Conv2D({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [c.size, c.size, 1] }),
        new layers.MaxPool2D({ poolSize: 2 }),
        new layers.Conv2D({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        new layers.MaxPool2D({ poolSize: 2 }),
        new layers.Flatten(),
        new layers.Dense({ units: c.classes, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      const x = lib.tensor(c.x, [c.batch, c.size, c.size, 1], 'float32');
      const y = lib.tensor(c.y, [c.batch, c.classes], 'float32');
      return {
        run: async () => {
          use();
          await model.fit(x, y, { epochs: 1, batchSize: c.batch, shuffle: false });
        },
      };
    },
    /**
     * Whole epochs of issue 4's reference network (`convlens train-mnist`'s) on the MNIST digits,
     * Adam, reshuffled every epoch. The js backend would take minutes per epoch: wasm only.
     * @param {{ x: Float32Array, y: Int32Array, count: number, size: number, batchSize: number, learningRate: number }} c
     */
    mnist(c) {
      if (name !== 'wasm' || !lib.referenceNetwork || !lib.train) return undefined;
      use();
      lib.setSeed?.(1);
      const model = lib.referenceNetwork();
      model.compile({
        optimizer: new lib.train.Adam({ learningRate: c.learningRate }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const x = lib.tensor(c.x, [c.count, c.size, c.size, 1], 'float32');
      const y = lib.tensor(c.y, [c.count], 'int32');
      /** @type {number[]} */
      const accuracy = [];
      const epoch = async () => {
        use();
        const history = await model.fit(x, y, { epochs: 1, batchSize: c.batchSize, shuffle: true });
        accuracy.push(history.history.accuracy[0]);
      };
      return { epoch, accuracy };
    },
  };
}

import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { fromArtifacts, type ModelJson, resetNames } from './index.js';

beforeEach(() => resetNames());

/** What tfjs-layers saves for `model`: model.json's fields and the weight bytes. */
async function saved(model: tfl.LayersModel): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const { modelTopology, weightSpecs, weightData } = artifacts!;
  const modelJson = { modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] } as unknown as ModelJson;
  return { modelJson, weightData: weightData as ArrayBuffer };
}

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/**
 * A convnet written with tfjs' functional API (tf.model({ inputs, outputs })), one layer after
 * another. Without batch normalisation for fit: tfjs' getWeights lists its moving statistics
 * after every trainable weight, so the two models' weight lists would not line up.
 */
function functionalConvnet({ batchNormalization = true } = {}): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 2] });
  let x = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), input);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2 }), x);
  if (batchNormalization) x = apply(tfl.layers.batchNormalization(), x);
  x = apply(tfl.layers.flatten(), x);
  const output = apply(tfl.layers.dense({ units: 4, activation: 'softmax' }), x);
  return tfl.model({ inputs: input, outputs: output, name: 'chain' });
}

describe('functional models whose layers form one chain', () => {
  it("load from tfjs-layers' tf.model as the Sequential they compute: predict and fit match tfjs", async () => {
    const theirs = functionalConvnet({ batchNormalization: false });
    const { modelJson, weightData } = await saved(theirs);
    expect((modelJson.modelTopology as { class_name: string }).class_name).toBe('Model');
    const ours = fromArtifacts(modelJson, weightData);
    expect(ours.name).toBe('chain');
    expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.slice(1).map((l) => l.name));
    const rng = caseRng('functional chain', 0);
    const x = f32(rng, [6, 8, 8, 2]);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    const labels = Array.from({ length: 6 }, (_, i) => i % 4);
    const y = new Tensor(Float32Array.from(labels.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0)))), [6, 4], 'float32');
    await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 3, learningRate: 0.1 });
  });

  it("opens a MobileNet-style network written with the functional API, as Keras' MobileNet is: predict matches tfjs", async () => {
    // Keras' MobileNet (v1) body: ZeroPadding2D, strided Conv2D, BatchNormalization, ReLU(6.),
    // then depthwise and pointwise blocks, global pooling, and a 1×1 convolution as the classifier
    const input = tfl.input({ shape: [17, 17, 3], name: 'input_1' });
    let x = apply(
      tfl.layers.zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
        name: 'conv1_pad',
      }),
      input,
    );
    x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false, name: 'conv1' }), x);
    x = apply(tfl.layers.batchNormalization({ name: 'conv1_bn' }), x);
    x = apply(tfl.layers.reLU({ maxValue: 6, name: 'conv1_relu' }), x);
    x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'conv_dw_1' }), x);
    x = apply(tfl.layers.batchNormalization({ name: 'conv_dw_1_bn' }), x);
    x = apply(tfl.layers.reLU({ maxValue: 6, name: 'conv_dw_1_relu' }), x);
    x = apply(tfl.layers.conv2d({ filters: 16, kernelSize: 1, useBias: false, name: 'conv_pw_1' }), x);
    x = apply(tfl.layers.batchNormalization({ name: 'conv_pw_1_bn' }), x);
    x = apply(tfl.layers.reLU({ maxValue: 6, name: 'conv_pw_1_relu' }), x);
    x = apply(tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
    x = apply(tfl.layers.reshape({ targetShape: [1, 1, 16], name: 'reshape_1' }), x);
    x = apply(tfl.layers.dropout({ rate: 0.001, name: 'dropout' }), x);
    x = apply(tfl.layers.conv2d({ filters: 5, kernelSize: 1, name: 'conv_preds' }), x);
    x = apply(tfl.layers.reshape({ targetShape: [5], name: 'reshape_2' }), x);
    const output = apply(tfl.layers.activation({ activation: 'softmax', name: 'predictions' }), x);
    const theirs = tfl.model({ inputs: input, outputs: output, name: 'mobilenet_like' });
    // random weights, and moving statistics away from 0 and 1, so that inference-mode batch normalisation shows
    const rng = caseRng('functional chain', 3);
    const range = (name: string): [number, number] => (name.includes('moving_variance') ? [0.5, 1.5] : [-1, 1]);
    theirs.setWeights(
      theirs.weights.map((w) => {
        const shape = w.shape as number[];
        return tf.tensor(f32(rng, shape, ...range(w.name)).data, shape);
      }),
    );
    const { modelJson, weightData } = await saved(theirs);
    const ours = fromArtifacts(modelJson, weightData);
    expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.slice(1).map((l) => l.getClassName()));
    const x0 = f32(rng, [2, 17, 17, 3]);
    const predicted = ours.predict(x0);
    expectClose(predicted, (theirs.predict(tfOf(x0)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    expect(new Set(predicted.data).size, 'predictions that differ').toBe(predicted.size);
  });

  it('takes the layers in the order they are called, not the order they are listed (with batch normalisation)', async () => {
    const theirs = functionalConvnet();
    const { modelJson, weightData } = await saved(theirs);
    const config = (modelJson.modelTopology as unknown as { config: { layers: unknown[] } }).config;
    config.layers.reverse();
    const x = f32(caseRng('functional chain', 1), [2, 8, 8, 2]);
    expectClose(fromArtifacts(modelJson, weightData).predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
  });

  it("reads Keras 3's Functional config (calls written as { args, kwargs } with __keras_tensor__ inputs)", () => {
    const tensor = (layer: string, shape: (number | null)[]) => ({
      class_name: '__keras_tensor__',
      config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] },
    });
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const layer = (class_name: string, name: string, config: object, input?: ReturnType<typeof tensor>) => ({
      module: 'keras.layers',
      class_name,
      config: { name, trainable: true, dtype: policy, ...config },
      registered_name: null,
      name,
      inbound_nodes: input ? [{ args: [input], kwargs: {} }] : [],
    });
    const modelTopology = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'functional',
        trainable: true,
        layers: [
          { ...layer('InputLayer', 'input_layer', { batch_shape: [null, 6, 6, 1], sparse: false }), inbound_nodes: [] },
          layer(
            'Conv2D',
            'conv2d',
            { filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', activation: 'relu' },
            tensor('input_layer', [null, 6, 6, 1]),
          ),
          layer('Flatten', 'flatten', { data_format: 'channels_last' }, tensor('conv2d', [null, 4, 4, 2])),
          layer('Dense', 'dense', { units: 3, activation: 'softmax', use_bias: true }, tensor('flatten', [null, 32])),
        ],
        input_layers: [['input_layer', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
    };
    // the same network in tfjs gives the weights and the expected output
    const reference = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const weights = reference.getWeights();
    const names = ['conv2d/kernel', 'conv2d/bias', 'dense/kernel', 'dense/bias'];
    const specs = weights.map((w, i) => ({ name: names[i], shape: w.shape, dtype: 'float32' }));
    const bytes = new Float32Array(weights.flatMap((w) => Array.from(w.dataSync())));
    const ours = fromArtifacts({ modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }, bytes);
    expect(ours.layers.map((l) => l.name)).toEqual(['conv2d', 'flatten', 'dense']);
    const x = f32(caseRng('functional chain', 2), [3, 6, 6, 1]);
    expectClose(ours.predict(x), (reference.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');

    // a call with an argument convlens would not apply is refused, naming it
    const frozen = structuredClone(modelTopology);
    (frozen.config.layers[1].inbound_nodes[0] as { kwargs: object }).kwargs = { training: false };
    expectConvlensError(
      () => fromArtifacts({ modelTopology: frozen, weightsManifest: [] }, new ArrayBuffer(0)),
      "fromArtifacts: layer 'conv2d' is called with training=false, which convlens does not apply",
    );
  });

  describe('refuses what a Sequential cannot compute, naming the layer', () => {
    const topologyOf = async (model: tfl.LayersModel) => (await saved(model)).modelJson;
    const refused = async (model: tfl.LayersModel, message: string | RegExp) => {
      const modelJson = await topologyOf(model);
      expectConvlensError(() => fromArtifacts(modelJson, new ArrayBuffer(0)), message);
    };
    const CHAIN =
      'convlens reads functional models whose layers form one chain as a Sequential; layers.loadFunctional (or layers.functionalFromArtifacts) reads this one';

    it('a layer with two inputs (a residual connection)', async () => {
      const input = tfl.input({ shape: [4], name: 'x' });
      const hidden = apply(tfl.layers.dense({ units: 4, name: 'hidden' }), input);
      const sum = apply(tfl.layers.add({ name: 'sum' }), [input, hidden]);
      await refused(tfl.model({ inputs: input, outputs: sum }), `fromArtifacts: layer 'sum' takes 2 inputs ('x', 'hidden'); ${CHAIN}`);
    });

    it('a layer called twice (shared weights)', async () => {
      const input = tfl.input({ shape: [4], name: 'x' });
      const shared = tfl.layers.dense({ units: 4, name: 'shared' });
      const output = apply(shared, apply(shared, input));
      await refused(
        tfl.model({ inputs: input, outputs: output }),
        `fromArtifacts: layer 'shared' is called 2 times (a shared layer); ${CHAIN}`,
      );
    });

    it('two outputs, and two inputs', async () => {
      const input = tfl.input({ shape: [4], name: 'x' });
      const a = apply(tfl.layers.dense({ units: 2, name: 'a' }), input);
      const b = apply(tfl.layers.dense({ units: 3, name: 'b' }), input);
      await refused(
        tfl.model({ inputs: input, outputs: [a, b] }),
        "fromArtifacts: the model has 2 outputs ('a', 'b'); convlens reads functional models whose layers form one chain as a Sequential; layers.loadFunctional (or layers.functionalFromArtifacts) reads this one",
      );
      const other = tfl.input({ shape: [4], name: 'other' });
      const joined = apply(tfl.layers.concatenate({ name: 'joined' }), [input, other]);
      await refused(
        tfl.model({ inputs: [input, other], outputs: joined }),
        "fromArtifacts: the model has 2 inputs ('x', 'other'); convlens reads functional models whose layers form one chain as a Sequential; layers.loadFunctional (or layers.functionalFromArtifacts) reads this one",
      );
    });

    it('an output that also goes on to another layer, and a topology that is not a graph', async () => {
      const modelJson = await topologyOf(functionalConvnet());
      const config = (modelJson.modelTopology as unknown as { config: { layers: { name: string }[]; output_layers: unknown } }).config;
      config.output_layers = [[config.layers[2].name, 0, 0]];
      expectConvlensError(
        () => fromArtifacts(modelJson, new ArrayBuffer(0)),
        /^fromArtifacts: layer '\w+' is not on the way from the input/,
      );
      config.layers[3] = { ...config.layers[3], inbound_nodes: [[['nowhere', 0, 0, {}]]] } as never;
      expectConvlensError(
        () => fromArtifacts(modelJson, new ArrayBuffer(0)),
        `fromArtifacts: layer '${config.layers[3].name}' takes its input from 'nowhere', which is not a layer of the model`,
      );
      delete (config as { output_layers?: unknown }).output_layers;
      expectConvlensError(
        () => fromArtifacts(modelJson, new ArrayBuffer(0)),
        "fromArtifacts: the Model config's output_layers is undefined (expected [[layer name, node, tensor]])",
      );
    });
  });
});

import { backend } from '../backend/registry.js';
import type { Conv2DInfo } from '../backend/types.js';
import { ConvlensError } from '../errors.js';
import { conv2dInfo } from '../ops/nn/conv2d.js';
import { Tensor } from '../tensor/tensor.js';
import { ConvLayer, type ConvLayerOptions } from './conv_layer.js';
import { type LayerArgs, weightGradientsWanted } from './layer.js';

export interface Conv2DLayerArgs extends LayerArgs, ConvLayerOptions {}

/** Keras' Conv2D: `filters` kernels of `kernelSize` slid over the input, plus a bias, then the activation. */
export class Conv2D extends ConvLayer {
  constructor(args: Conv2DLayerArgs) {
    super('Conv2D', 'conv2d', args, [], { positional: "Keras' Conv2D(16, 3) is new Conv2D({ filters: 16, kernelSize: 3 })" });
  }

  protected kernelShape(channels: number): number[] {
    return [...this.kernelSize, channels, this.filters];
  }

  protected geometry(batchShape: number[]): Conv2DInfo {
    const settings = { strides: this.strides, dilations: this.dilationRate, padding: this.padding };
    return conv2dInfo(settings, batchShape, this.kernelShape(batchShape[3]), 'NHWC');
  }

  protected outputSize(info: Conv2DInfo): [number, number] {
    return [info.outHeight, info.outWidth];
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    // ReLU and the bias are fused into the convolution's epilogue; other activations follow it.
    const relu = this.activation === 'relu';
    const { batch, outHeight, outWidth, outChannels } = info;
    const out = this.buffer('out', batch * outHeight * outWidth * outChannels);
    if (out.length > 0)
      backend().conv2d(x.data, this.kernel!.value, info, out, { bias: this.bias?.value, activation: relu ? 'relu' : 'linear' });
    const { y, preActivation } = this.activate(new Tensor(out, [batch, outHeight, outWidth, outChannels], 'float32'), relu);
    this.cache = training ? { x, y, z: preActivation, info } : undefined;
    return y;
  }

  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (Conv2D): backward needs a forward pass in training mode first`);
    const { x, y, z, info } = this.cache;
    this.checkGradient(dy, info);
    // ReLU's gradient is applied by the backend on the way (one pass in wasm); others here
    const relu = !preActivation && this.activation === 'relu';
    const dz = this.activationGradient(dy, y, z, preActivation, relu);
    const dx = needInputGrad ? this.buffer('dx', x.size) : undefined;
    const weights = weightGradientsWanted();
    backend().conv2dBackward(x.data, this.kernel!.value, dz.data, info, {
      dFilters: weights ? this.kernel!.grad : undefined,
      dBias: weights ? this.bias?.grad : undefined,
      dx,
      reluOutput: relu ? y.data : undefined,
    });
    return dx ? new Tensor(dx, x.shape, 'float32') : undefined;
  }
}

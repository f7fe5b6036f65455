import { backend } from '../backend/registry.js';
import type { Conv2DInfo } from '../backend/types.js';
import { ConvlensError, describeValue } from '../errors.js';
import { conv2dTransposeInfo, conv2dTransposeNHWC } from '../ops/nn/conv2d_transpose.js';
import { Tensor } from '../tensor/tensor.js';
import { biasGrad } from '../train/gradients.js';
import { ConvLayer, type ConvLayerOptions } from './conv_layer.js';
import { type LayerArgs, weightGradientsWanted } from './layer.js';

export interface Conv2DTransposeLayerArgs extends LayerArgs, ConvLayerOptions {
  /** Keras' output_padding: only null (the default), the output size Keras works out from the padding. */
  outputPadding?: null;
}

/**
 * Keras' Conv2DTranspose ("deconvolution"): each input value spreads `filters` kernels' worth of
 * products into an output `strides` times larger, which is how decoders and generators grow an
 * image back. The gradient of Conv2D with respect to its input, run forward: kernel
 * [kh, kw, filters, inChannels], plus a bias, then the activation.
 */
export class Conv2DTranspose extends ConvLayer {
  constructor(args: Conv2DTransposeLayerArgs) {
    super('Conv2DTranspose', 'conv2d_transpose', args, ['outputPadding'], {
      positional: "Keras' Conv2DTranspose(16, 3) is new Conv2DTranspose({ filters: 16, kernelSize: 3 })",
    });
    if (args.outputPadding !== undefined && args.outputPadding !== null) {
      throw new ConvlensError(
        `Conv2DTranspose '${this.name}': outputPadding ${describeValue(args.outputPadding)} is not supported (only null: the size padding gives)`,
      );
    }
  }

  protected kernelShape(channels: number): number[] {
    return [...this.kernelSize, this.filters, channels];
  }

  /** Keras' output size along one axis: `size × stride`, plus what a VALID window sticks out past the last stride. */
  private outputLength(size: number, axis: 0 | 1): number {
    const window = (this.kernelSize[axis] - 1) * this.dilationRate[axis] + 1;
    const stride = this.strides[axis];
    return this.padding === 'same' ? size * stride : size * stride + Math.max(window - stride, 0);
  }

  /** The convolution this layer runs backwards: from the output (its input) to this layer's input (its output). */
  protected geometry(batchShape: number[]): Conv2DInfo {
    const [batch, height, width, channels] = batchShape;
    const outputShape = [batch, this.outputLength(height, 0), this.outputLength(width, 1), this.filters];
    const settings = { strides: this.strides, dilations: this.dilationRate, padding: this.padding };
    return conv2dTransposeInfo(settings, batchShape, this.kernelShape(channels), outputShape);
  }

  protected outputSize(info: Conv2DInfo): [number, number] {
    return [info.inHeight, info.inWidth];
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    const { batch, inHeight, inWidth, inChannels } = info;
    const out = this.buffer('out', batch * inHeight * inWidth * inChannels).fill(0);
    conv2dTransposeNHWC(x.data, this.kernel!.value, info, out);
    if (this.bias) addBias(out, this.bias.value);
    const { y, preActivation } = this.activate(new Tensor(out, [batch, inHeight, inWidth, inChannels], 'float32'));
    this.cache = training ? { x, y, z: preActivation, info } : undefined;
    return y;
  }

  /**
   * The convolution's roles swapped: the input gradient is conv2d of the output gradient, the
   * kernel gradient is conv2d's filter gradient with the output gradient as its input.
   */
  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (Conv2DTranspose): backward needs a forward pass in training mode first`);
    const { x, y, z, info } = this.cache;
    this.checkGradient(dy, info);
    const dz = this.activationGradient(dy, y, z, preActivation);
    if (weightGradientsWanted()) {
      backend().conv2dBackpropFilter(dz.data, x.data, info, this.kernel!.grad);
      this.bias?.grad.set(biasGrad(dz));
    }
    if (!needInputGrad) return undefined;
    const dx = this.buffer('dx', x.size);
    if (dx.length > 0) backend().conv2d(dz.data, this.kernel!.value, info, dx);
    return new Tensor(dx, x.shape, 'float32');
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), output_padding: null };
  }
}

/** Adds `bias` to each pixel of NHWC `out` (channels last, so the bias repeats every `bias.length`). */
function addBias(out: Float32Array, bias: Float32Array): void {
  for (let i = 0; i < out.length; i += bias.length) {
    for (let c = 0; c < bias.length; c++) out[i + c] += bias[c];
  }
}

import { byId } from './dom.js';
import type { LoadedImage } from './images.js';
import { ConvlensError, image, layers, type Tensor, tensor } from './lib.js';
import { layerMapFigures } from './maps.js';

type Model = ReturnType<typeof layers.fromArtifacts> | ReturnType<typeof layers.functionalFromArtifacts>;

/** One run of the opened model on section 1's image (tests read them). */
export interface ModelRun {
  model: string;
  /** What the model was given, row by row, and its shape `[1, H, W, C]`. */
  input: number[];
  inputShape: number[];
  /** Each layer's output, row by row. */
  outputs: { layer: string; shape: number[]; data: number[] }[];
}

/**
 * Section 4: a Keras model of the person's own (`.keras`, or Keras 2's `.h5`), read in the page by
 * `layers.kerasArtifacts`; section 1's image goes through it and every layer's feature maps show.
 */
export class ModelSection {
  private model: Model | undefined;
  private image: LoadedImage | undefined;
  private readonly status = byId('model-status');
  private readonly summary = byId('model-summary');
  private readonly maps = byId('model-maps');
  readonly runs: ModelRun[] = [];

  constructor() {
    const input = byId<HTMLInputElement>('model-file');
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void this.open(file);
    });
  }

  /** Section 1's image, which the model is run on (again, when one is open). */
  setImage(loaded: LoadedImage): void {
    this.image = loaded;
    this.run();
  }

  private async open(file: File): Promise<void> {
    this.status.textContent = `Opening ${file.name}…`;
    try {
      this.model = readModel(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (error) {
      this.model = undefined;
      this.summary.hidden = true;
      this.maps.replaceChildren();
      this.status.textContent = `“${file.name}” could not be opened: ${reason(error)}.`;
      return;
    }
    this.summary.textContent = this.model.summary(null);
    this.summary.hidden = false;
    this.run();
  }

  private run(): void {
    const { model, image: loaded } = this;
    if (!model || !loaded) return;
    let x: Tensor<'float32'>;
    try {
      x = modelInput(model, loaded.input);
    } catch (error) {
      this.maps.replaceChildren();
      this.status.textContent = `${model.name} cannot take this image: ${reason(error)}.`;
      return;
    }
    const outputs = model.layerOutputs(x);
    this.maps.replaceChildren(...layerMapFigures(outputs));
    const [h, w] = model.inputDataFormat === 'channels_first' ? x.shape.slice(2) : x.shape.slice(1, 3);
    const c = model.inputDataFormat === 'channels_first' ? x.shape[1] : x.shape[3];
    this.status.textContent = `${model.name} on ${loaded.name}, resized to ${h}×${w}${c === 3 ? ' (gray in all three channels)' : ''}: each layer's feature maps.`;
    this.runs.push({
      model: model.name,
      input: Array.from(x.data),
      inputShape: [...x.shape],
      outputs: outputs.map(({ layer, output }) => ({
        layer: layer.name,
        shape: [...output.shape],
        data: Array.from(output.data as ArrayLike<number>),
      })),
    });
    if (this.runs.length > 20) this.runs.shift();
  }
}

/** A Keras file's model: a functional one as such (it may branch), a Sequential as one. */
function readModel(bytes: Uint8Array, name: string): Model {
  const artifacts = layers.kerasArtifacts(bytes, name);
  return artifacts.modelJson.modelTopology.class_name === 'Model'
    ? layers.functionalFromArtifacts(artifacts)
    : layers.fromArtifacts(artifacts);
}

/**
 * The page's gray image (`[1, H, W, 1]`, 0..1) as the model takes one: resized to its input size
 * (bilinear), in all of its channels for an RGB model, and in 0..255 when it scales its pixels
 * itself (its first layer that changes an image a Rescaling, as in Keras' models), as the command
 * feeds it; `[1, C, H, W]` for a channels-first model.
 */
function modelInput(model: Model, gray: Tensor<'float32'>): Tensor<'float32'> {
  const shape = model.inputShape;
  if (shape?.length !== 3) throw new ConvlensError(`it takes inputs of shape [${shape?.join(', ')}], not images`);
  const channelsFirst = model.inputDataFormat === 'channels_first';
  const [height, width, channels] = channelsFirst ? [shape[1], shape[2], shape[0]] : shape;
  if (channels !== 1 && channels !== 3) throw new ConvlensError(`it takes images of ${channels} channels, not gray or RGB ones`);
  const sized = height !== null && width !== null ? (image.resize(gray, [height, width]) as Tensor<'float32'>) : gray;
  const scale = layers.rescalesItsInput(model) ? 255 : 1;
  const pixels = sized.data as Float32Array;
  const [h, w] = sized.shape.slice(1, 3);
  // the same gray plane in every channel: channels-first repeats the plane, channels-last each pixel
  const data = new Float32Array(pixels.length * channels);
  for (let i = 0; i < data.length; i++) data[i] = pixels[channelsFirst ? i % pixels.length : Math.floor(i / channels)] * scale;
  return tensor(data, channelsFirst ? [1, channels, h, w] : [1, h, w, channels], 'float32');
}

/** The library's message without the op it names ("kerasArtifacts: ..."): the person needs the reason. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof ConvlensError ? message.replace(/^\w+: /, '') : `unexpected error: ${message}`;
}

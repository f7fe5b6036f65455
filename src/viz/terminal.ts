import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { colorize, colorRange } from './colormap.js';
import { gammaValues, signedPower } from './maps.js';

export interface TerminalPreviewOptions {
  /** Columns of characters (default 64). */
  width?: number;
  /**
   * `color`: 24-bit colour half blocks (▀, two pixels per character); `plain`: a shading ramp
   * (` .:-=+*#%@`) with no escape codes, for pipes, logs and NO_COLOR. Default `color`.
   */
  mode?: 'color' | 'plain';
  /** Colormap for one-channel data (default magma; `gray` for photos). */
  cmap?: string;
  gamma?: number;
  vmin?: number;
  vmax?: number;
}

const RAMP = ' .:-=+*#%@';

/** Area-average resampling of an `[H, W, C]` float array to `[oh, ow, C]` (nearest when enlarging). */
function resample(data: ArrayLike<number>, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const y0 = Math.floor((y * h) / oh);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / oh));
    for (let x = 0; x < ow; x++) {
      const x0 = Math.floor((x * w) / ow);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * w) / ow));
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += data[(yy * w + xx) * c + k];
        out[(y * ow + x) * c + k] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return out;
}

/**
 * A picture of an image or feature map for the terminal: `[H, W]`, `[H, W, 1]` or `[1, H, W, 1]`
 * values in a colormap, or an RGB(A) image `[H, W, 3 or 4]` (uint8 0..255, or float32 0..1 as
 * matplotlib's imshow reads it, clipped). Returns the text; nothing is printed.
 */
export function terminalPreview(values: Tensor, options: TerminalPreviewOptions = {}): string {
  checkOptions('terminalPreview', options, ['width', 'mode', 'cmap', 'gamma', 'vmin', 'vmax']);
  if (!(values instanceof Tensor)) throw new ConvlensError(`terminalPreview: expected a Tensor, got ${typeof values}`);
  const { mode = 'color', cmap = 'magma' } = options;
  if (mode !== 'color' && mode !== 'plain')
    throw new ConvlensError(`terminalPreview: mode must be 'color' or 'plain', got ${describeValue(mode)}`);
  const gamma = options.gamma ?? 1;
  if (!(gamma > 0 && Number.isFinite(gamma)))
    throw new ConvlensError(`terminalPreview: gamma must be a finite number > 0 (1 for none), got ${describeValue(gamma)}`);
  const width = options.width ?? 64;
  if (!(Number.isInteger(width) && width >= 1)) throw new ConvlensError(`terminalPreview: width must be a whole number >= 1, got ${width}`);
  const shape =
    values.rank === 4 && values.shape[0] === 1 ? values.shape.slice(1) : values.rank === 2 ? [...values.shape, 1] : values.shape;
  if (shape.length !== 3 || values.size === 0)
    throw new ConvlensError(`terminalPreview: expected [H, W], [H, W, C] or [1, H, W, C], got [${values.shape.join(', ')}]`);
  const [h, w, c] = shape;
  // as matplotlib's imshow: one channel is values in a colormap, 3 or 4 an RGB(A) image, 2 or more than 4 neither
  if (c === 2 || c > 4)
    throw new ConvlensError(
      `terminalPreview: expected one map [H, W] or [H, W, 1], or an RGB(A) image [H, W, 3 or 4], got [${values.shape.join(', ')}] (take one channel first)`,
    );
  const rgbInput = c >= 3;
  const cols = Math.min(width, Math.max(1, w * 4));
  // a character cell is about twice as tall as wide: colour packs two pixel rows in one
  const pixelRows = Math.max(1, Math.round((h * cols) / w / (mode === 'color' ? 1 : 2)));
  let rgb: Float32Array;
  let level: Float32Array;
  if (rgbInput) {
    // a float image is in 0..1, as imshow and showExtraction read one; integers are 0..255
    const scale = values.dtype === 'float32' ? 255 : 1;
    rgb = resample(values.data, h, w, c, pixelRows, cols).map((v) => Math.min(255, Math.max(0, v * scale || 0)));
    const stride = c;
    level = new Float32Array(pixelRows * cols);
    for (let i = 0; i < level.length; i++) {
      level[i] = (0.299 * rgb[i * stride] + 0.587 * rgb[i * stride + 1] + 0.114 * rgb[i * stride + 2]) / 255;
    }
    if (stride !== 3) rgb = Float32Array.from({ length: level.length * 3 }, (_, i) => rgb[Math.floor(i / 3) * stride + (i % 3)]);
  } else {
    const small = new Tensor(resample(values.data, h, w, 1, pixelRows, cols), [pixelRows, cols], 'float32');
    const shown = gammaValues(small, gamma);
    // the colour scale's range (finite values), so that plain shading and colour agree; NaN is 0.
    // vmin and vmax are values of the map: its ends put through the gamma as its values are
    const [vmin, vmax] = colorRange('terminalPreview', small.data, options);
    const [lo, hi] = [signedPower(vmin, gamma), signedPower(vmax, gamma)];
    rgb = Float32Array.from(colorize(shown, { cmap, vmin: lo, vmax: hi }).data);
    level = Float32Array.from(shown.data, (v) => (hi > lo && !Number.isNaN(v) ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0));
  }
  const lines: string[] = [];
  if (mode === 'plain') {
    for (let y = 0; y < pixelRows; y++) {
      let line = '';
      for (let x = 0; x < cols; x++) line += RAMP[Math.min(RAMP.length - 1, Math.floor(level[y * cols + x] * RAMP.length))];
      lines.push(line.replace(/\s+$/, ''));
    }
    return lines.join('\n');
  }
  const px = (y: number, x: number) => {
    const i = (y * cols + x) * 3;
    return `${Math.round(rgb[i])};${Math.round(rgb[i + 1])};${Math.round(rgb[i + 2])}`;
  };
  for (let y = 0; y < pixelRows; y += 2) {
    let line = '';
    for (let x = 0; x < cols; x++) {
      line += y + 1 < pixelRows ? `\x1b[38;2;${px(y, x)}m\x1b[48;2;${px(y + 1, x)}m▀` : `\x1b[49m\x1b[38;2;${px(y, x)}m▀`;
    }
    lines.push(`${line}\x1b[0m`);
  }
  return lines.join('\n');
}

import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { ConvlensError, checkOptions, checkString, describeValue } from '../errors.js';

/** What the rasteriser needs: resvg's .wasm and the font files for text. */
export interface RasterSetup {
  /** The `@resvg/resvg-wasm/index_bg.wasm` file: bytes, a compiled module, a URL or a fetch Response. */
  wasm: ArrayBuffer | Uint8Array | WebAssembly.Module | URL | string | Response | Promise<Response>;
  /** TrueType/OpenType font files (regular, bold, mono). Figures ask for DejaVu Sans. */
  fonts: Uint8Array[];
}

const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf'];

let ready: Promise<Uint8Array[]> | undefined;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Node: the .wasm and the DejaVu fonts come from their npm packages (never the machine's fonts). */
async function nodeSetup(): Promise<RasterSetup> {
  const { createRequire } = await import('node:module');
  const { readFile } = await import('node:fs/promises');
  const require = createRequire(import.meta.url);
  const wasm = await readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm'));
  const fonts = await Promise.all(FONT_FILES.map((f) => readFile(require.resolve(`dejavu-fonts-ttf/ttf/${f}`))));
  return { wasm, fonts: fonts.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) };
}

/**
 * Sets up PNG rendering. In Node it is done for you on the first `toPng`; in a browser call it
 * once with the .wasm URL and the font files, e.g.
 * `await viz.initRaster({ wasm: fetch(wasmUrl), fonts: [new Uint8Array(await (await fetch(fontUrl)).arrayBuffer())] })`.
 */
export function initRaster(setup?: RasterSetup): Promise<void> {
  if (!ready) {
    ready = (async () => {
      const s = setup ?? (isNode() ? await nodeSetup() : undefined);
      if (!s) {
        throw new ConvlensError(
          'toPng: call viz.initRaster({ wasm, fonts }) first in a browser (the @resvg/resvg-wasm .wasm file and a DejaVu Sans font)',
        );
      }
      await initWasm(s.wasm as Parameters<typeof initWasm>[0]);
      return s.fonts;
    })();
    ready.catch(() => {
      ready = undefined;
    });
  }
  return ready.then(() => undefined);
}

export interface PngOptions {
  /** Output pixels per SVG unit (2 gives a sharp picture on high-density screens). */
  scale?: number;
  /** CSS colour behind transparent parts; the figures draw their own white background. */
  background?: string;
}

/**
 * Rasterises SVG text to PNG bytes with resvg (WebAssembly), using only the shipped fonts: text
 * looks the same on every machine.
 */
export async function toPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  if (typeof svg !== 'string') throw new ConvlensError(`toPng: svg must be SVG text (a string), got ${describeValue(svg)}`);
  checkOptions('toPng', options, ['scale', 'background']);
  const { scale = 1 } = options;
  if (!(typeof scale === 'number' && scale > 0 && scale <= 16)) {
    throw new ConvlensError(`toPng: scale must be in (0, 16], got ${describeValue(scale)}`);
  }
  if (options.background !== undefined) checkString('toPng', 'background', options.background);
  await initRaster();
  const fonts = await ready!;
  const resvg = parseSvg(svg, {
    font: {
      fontBuffers: fonts,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      serifFamily: 'DejaVu Sans',
      monospaceFamily: 'DejaVu Sans Mono',
    },
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    ...(options.background ? { background: options.background } : {}),
  });
  try {
    const rendered = renderSvg(resvg, options.background, scale);
    try {
      return rendered.asPng();
    } finally {
      rendered.free();
    }
  } finally {
    try {
      resvg.free();
    } catch {
      // after a panic in render (a picture too large for memory), wasm-bindgen refuses to free the
      // object the panic left borrowed; its error would hide the render's, which says what failed
    }
  }
}

/**
 * resvg's rendering; it fails on a background that is not a CSS colour, which the message then
 * names, and panics (a WebAssembly RuntimeError) on a picture too large for its memory.
 */
function renderSvg(
  resvg: InstanceType<typeof Resvg>,
  background: string | undefined,
  scale: number,
): ReturnType<InstanceType<typeof Resvg>['render']> {
  try {
    return resvg.render();
  } catch (error) {
    const size = `${Math.round(resvg.width * scale)}×${Math.round(resvg.height * scale)} pixels`;
    const hint =
      error instanceof WebAssembly.RuntimeError
        ? ` (too large to render? a smaller figure or scale would fit)`
        : background === undefined
          ? ''
          : ` (is background ${describeValue(background)} a CSS colour?)`;
    throw new ConvlensError(`toPng: resvg could not render the SVG of ${size}: ${(error as Error).message}${hint}`);
  }
}

/** resvg's parser on `svg`; text it cannot read is a ConvlensError giving resvg's reason. */
function parseSvg(svg: string, options: ConstructorParameters<typeof Resvg>[1]): InstanceType<typeof Resvg> {
  try {
    return new Resvg(svg, options);
  } catch (error) {
    throw new ConvlensError(`toPng: svg is not SVG that resvg can read (${(error as Error).message})`);
  }
}

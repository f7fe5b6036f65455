import { checkString } from '../errors.js';
import { type PngOptions, toPng } from './raster.js';
import { escapeXml, svgDocument } from './svg.js';

/**
 * A drawn figure: SVG text (`svg`, also what `String(figure)` gives), its size, and the same
 * picture as PNG bytes (`await figure.png()`) or a self-contained HTML page (`figure.html()`).
 * Nothing is shown on screen: write the bytes where you want them.
 */
export class Figure {
  constructor(
    readonly svg: string,
    readonly width: number,
    readonly height: number,
    readonly title = '',
  ) {}

  /**
   * A figure of `body` on a canvas of whole pixels, as its PNG has: sizes summed from text widths
   * are fractional (3595.999999999981), and rounding up keeps all of the drawing.
   */
  static of(width: number, height: number, body: string[], title?: string): Figure {
    const [w, h] = [Math.ceil(width - 1e-6), Math.ceil(height - 1e-6)];
    return new Figure(svgDocument(w, h, body), w, h, title);
  }

  /** PNG bytes, text rendered with the shipped DejaVu Sans font. */
  png(options: PngOptions = {}): Promise<Uint8Array> {
    return toPng(this.svg, options);
  }

  /** One HTML page showing the figure, viewable offline. */
  html(title = this.title || 'convlens figure'): string {
    checkString('Figure.html', 'title', title);
    return htmlPage(title, [`<figure>${this.svg}</figure>`]);
  }

  toString(): string {
    return this.svg;
  }
}

export const PAGE_STYLE = `
  :root { color-scheme: light; }
  body { font-family: 'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; }
  h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
  p.meta { color: #666; margin-top: 0; }
  figure { margin: 1rem 0; overflow-x: auto; }
  figure svg { max-width: 100%; height: auto; background: white; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  figure svg image { image-rendering: pixelated; }
  figcaption { color: #555; font-size: .9rem; margin-top: .3rem; }
  pre { background: #f0f0f0; padding: .8rem 1rem; overflow-x: auto; font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: .9rem; }
  table { border-collapse: collapse; font-size: .9rem; }
  td, th { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
  th { background: #f0f0f0; }
  .failed { color: #b00020; }
`;

/** A self-contained HTML page (no external requests) around body fragments. */
export function htmlPage(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

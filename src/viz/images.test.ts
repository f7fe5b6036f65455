import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tensor } from '../tensor/create.js';
import { showImages } from './images.js';

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('showImages', () => {
  it('lays images of any size and kind out in rows, each with its caption lines (escaped for SVG)', async () => {
    const gray = tensor(
      Uint8Array.from({ length: 4 * 6 }, (_, i) => i * 10),
      [4, 6, 1],
      'uint8',
    );
    const rgb = tensor(
      Float32Array.from({ length: 3 * 3 * 3 }, (_, i) => (i % 3) / 2),
      [3, 3, 3],
    );
    const figure = showImages([gray, rgb, gray], {
      captions: ['a <cat>', 'dog\ntaken for cat (90%)', 'c'],
      cols: 2,
      tileSize: 24,
      title: 'pets',
    });
    expect(texts(figure.svg)).toEqual(['pets', 'a &lt;cat&gt;', 'dog', 'taken for cat (90%)', 'c']);
    const pictures = [...figure.svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decode(Buffer.from(m[1], 'base64')));
    // each enlarged by whole blocks to fit 24 pixels: 6 wide × 4, 3 × 3 × 8
    expect(pictures.map((p) => [p.width, p.height, p.channels])).toEqual([
      [24, 16, 1],
      [24, 24, 3],
      [24, 16, 1],
    ]);
    // the float image's first pixel: 0, 0.5, 1 of 255
    expect(Array.from(pictures[1].data.slice(0, 3))).toEqual([0, 128, 255]);
    const png = decode(await figure.png());
    expect([png.width, png.height]).toEqual([figure.width, figure.height]);
    // two columns: captions as wide as 'taken for cat (90%)' widen them beyond the 24-pixel tiles
    expect(figure.width).toBeGreaterThan(2 * 24 + 2 * 12 + 8 + 2 * 60);
  });

  it('widens the figure for a title wider than its grid, the grid centred under it', () => {
    const img = tensor(new Uint8Array(8 * 8), [8, 8, 1], 'uint8');
    const title = 'The 1 most confident mistakes of a model trained on two classes';
    const figure = showImages([img], { captions: ['cat'], tileSize: 24, title });
    // 62 characters of 16-pixel bold text: over 6 pixels each, where the grid alone is 24 + 2 × 12 wide
    expect(figure.width).toBeGreaterThan(62 * 6);
    const [titleX] = [...figure.svg.matchAll(/<text x="([\d.]+)"[^>]*>The 1 most/g)].map((m) => Number(m[1]));
    const [imageX, imageWidth] = (/<image x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(figure.svg) ?? []).slice(1).map(Number);
    expect(titleX).toBeCloseTo(figure.width / 2, 5);
    expect(imageX + imageWidth / 2).toBeCloseTo(figure.width / 2, 5);
  });

  it('names bad input', () => {
    const img = tensor(new Uint8Array(4), [2, 2, 1], 'uint8');
    expectConvlensError(() => showImages([]), 'showImages: no images to show');
    expectConvlensError(
      () => showImages([tensor([1, 2], [2])]),
      'showImages: images[0] must be an image [H, W, 1, 3 or 4 channels], got a float32 tensor of shape [2]',
    );
    expectConvlensError(
      () => showImages([img, tensor(new Int32Array(4), [2, 2, 1], 'int32')]),
      'showImages: images[1] must be uint8, or float32 in 0..1, got int32',
    );
    expectConvlensError(() => showImages([img], { captions: ['a', 'b'] }), 'showImages: captions must be one string, got ["a", "b"]');
    expectConvlensError(() => showImages([img], { cols: 0 }), /^showImages: cols must be/);
  });
});

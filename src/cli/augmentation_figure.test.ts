import { describe, expect, it } from 'vitest';
import { RandomContrast } from '../layers/random_contrast.js';
import { RandomFlip } from '../layers/random_flip.js';
import { Sequential } from '../layers/sequential.js';
import { Tensor } from '../tensor/tensor.js';
import { augmentationFigure } from './train_folder.js';

describe('augmentationFigure (convlens train --augment: augmentation.png)', () => {
  it('titles the grid and captions the original and each copy', () => {
    const model = new Sequential([new RandomFlip('horizontal', { inputShape: [28, 28, 1] }), new RandomContrast(0.1)]);
    const sample = new Tensor(
      Float32Array.from({ length: 28 * 28 }, (_, i) => i % 256),
      [1, 28, 28, 1],
      'float32',
    );
    const { svg } = augmentationFigure(model, sample);
    // the grid had neither title nor captions: nothing said which of the eight was the original
    expect(svg).toContain('>One image and 7 augmented copies</text>');
    const captions = [...svg.matchAll(/>(original|augmented \d)<\/text>/g)].map((m) => m[1]);
    expect(captions).toEqual([
      'original',
      'augmented 1',
      'augmented 2',
      'augmented 3',
      'augmented 4',
      'augmented 5',
      'augmented 6',
      'augmented 7',
    ]);
    // the eight pictures, 4 to a row, each 28×28 drawn 4 times as large
    expect(svg.match(/<image /g)).toHaveLength(8);
    expect(svg).toMatch(/<image [^>]*width="112" height="112"/);
  });
});

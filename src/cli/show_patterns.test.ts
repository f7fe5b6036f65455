import { describe, expect, it } from 'vitest';
import { Conv2D } from '../layers/conv2d.js';
import { Sequential } from '../layers/sequential.js';
import { checkAscentMemory } from './show_patterns.js';
import { UsageError } from './usage.js';

describe('checkAscentMemory (convlens show-patterns)', () => {
  const model = new Sequential([new Conv2D({ filters: 8, kernelSize: 3, inputShape: [null, null, 1], name: 'conv' })]);
  // 16 images of 100×100 (8 filters: all of them), conv 98×98×8 each with its gradient: 4 bytes a value
  const bytes = 4 * 8 * (100 * 100 + 2 * 98 * 98 * 8);

  it('refuses an ascent of more than the memory, naming --size and --filters', () => {
    const check = () => checkAscentMemory(model, 'conv', { size: [100, 100] }, bytes - 1);
    expect(check).toThrow(UsageError);
    expect(check).toThrow(
      "--size, --filters: gradient ascent on layer 'conv' keeps its images and each layer's output and gradient, at least 5.2 MB, more than the 5.2 MB of memory: give a smaller --size or fewer --filters",
    );
  });

  it('lets one that fits go on', () => {
    expect(() => checkAscentMemory(model, 'conv', { size: [100, 100] }, bytes)).not.toThrow();
  });
});

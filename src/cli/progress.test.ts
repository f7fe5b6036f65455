import { describe, expect, it } from 'vitest';
import { examplesDone } from './progress.js';

describe('examplesDone', () => {
  it('counts a short last batch as the examples it holds (the rate counted whole batches: 8 images as 32)', () => {
    expect(examplesDone(1, 32, 8)).toBe(8);
    expect(examplesDone(3, 32, 70)).toBe(70);
    expect(examplesDone(2, 32, 70)).toBe(64);
  });
});

import { describe, expect, it } from 'vitest';
import * as train from './index.js';

describe('the public train namespace', () => {
  it('holds the optimizers only (the gradient kernels and losses, which check no arguments, are internal)', () => {
    expect(Object.keys(train).sort()).toEqual([
      'Adadelta',
      'Adagrad',
      'Adam',
      'Adamax',
      'RMSprop',
      'SGD',
      'adadelta',
      'adagrad',
      'adam',
      'adamax',
      'rmsprop',
      'sgd',
    ]);
  });
});

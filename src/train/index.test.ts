import { describe, expect, it } from 'vitest';
import * as train from './index.js';

describe('the public train namespace', () => {
  it('holds the optimizers and learning-rate schedules only (the gradient kernels and losses, which check no arguments, are internal)', () => {
    expect(Object.keys(train).sort()).toEqual([
      'Adadelta',
      'Adagrad',
      'Adam',
      'AdamW',
      'Adamax',
      'CosineDecay',
      'CosineDecayRestarts',
      'ExponentialDecay',
      'InverseTimeDecay',
      'LearningRateSchedule',
      'PiecewiseConstantDecay',
      'PolynomialDecay',
      'RMSprop',
      'SGD',
      'adadelta',
      'adagrad',
      'adam',
      'adamax',
      'adamw',
      'rmsprop',
      'sgd',
    ]);
  });
});

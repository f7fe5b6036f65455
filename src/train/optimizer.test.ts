import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { byGlobalNorm, byNorm, byValue, compareWithTf, variable } from '../../test/helpers/optimizers.js';
import { tf } from '../../test/helpers/tf.js';
import { Adadelta, adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adamax } from './adamax.js';
import type { ClipOptions, Optimizer } from './optimizer.js';
import { Adam, RMSprop, SGD } from './optimizers.js';

describe('gradient clipping (Keras: clipnorm, globalClipnorm, clipvalue)', () => {
  it("clips before each optimizer's update, as Keras' formulas computed with tfjs ops and fed to tfjs' optimizer", () => {
    // gradients up to 3 in size: ‖g‖ of the 7-value variable is near 4.6, of the 3-value one near 3
    const optimizers: [string, (clip: ClipOptions) => Optimizer, () => tf.Optimizer][] = [
      ['sgd', (clip) => new SGD({ learningRate: 0.1, momentum: 0.9, ...clip }), () => tf.train.momentum(0.1, 0.9)],
      ['adam', (clip) => new Adam({ learningRate: 0.01, ...clip }), () => tf.train.adam(0.01, 0.9, 0.999, 1e-7)],
      ['rmsprop', (clip) => new RMSprop({ learningRate: 0.01, ...clip }), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
      ['adagrad', (clip) => new Adagrad({ learningRate: 0.1, ...clip }), () => tf.train.adagrad(0.1)],
      ['adadelta', (clip) => adadelta({ learningRate: 1, ...clip }), () => tf.train.adadelta(1)],
      ['adamax', (clip) => new Adamax({ learningRate: 0.01, ...clip }), () => tf.train.adamax(0.01, 0.9, 0.999, 1e-7)],
    ];
    for (const [name, ours, theirs] of optimizers) {
      const options = { rtol: 1e-5, gradScale: 3 };
      compareWithTf(ours({ clipnorm: 2 }), theirs(), 6, `${name} clipnorm`, { ...options, transform: byNorm(2) });
      compareWithTf(ours({ globalClipnorm: 2.5 }), theirs(), 6, `${name} globalClipnorm`, { ...options, transform: byGlobalNorm(2.5) });
      compareWithTf(ours({ clipvalue: 0.5 }), theirs(), 6, `${name} clipvalue`, { ...options, transform: byValue(0.5) });
    }
  });

  it('by hand: norm 5 clipped to 1, a global norm of 13 to 2.6, values to ±1; gradients within the bounds and zeros pass unchanged', () => {
    const stepped = (clip: ClipOptions, grads: number[][]) => {
      const vars = grads.map((g, i) => {
        const v = variable(`w${i}`, new Float32Array(g.length));
        v.grad.set(g);
        return v;
      });
      new SGD({ learningRate: 1, ...clip }).step(vars);
      return vars.map((v) => Array.from(v.value));
    };
    // SGD with η = 1 from zero: the weights are minus the clipped gradients
    expectClose(
      stepped({ clipnorm: 1 }, [
        [3, 4],
        [0.3, 0.4],
        [0, 0],
      ]).flat(),
      [-0.6, -0.8, -0.3, -0.4, 0, 0],
      1e-6,
    );
    expectClose(stepped({ globalClipnorm: 2.6 }, [[3, 4], [12]]).flat(), [-0.6, -0.8, -2.4], 1e-6);
    expectClose(stepped({ globalClipnorm: 20 }, [[3, 4], [12]]).flat(), [-3, -4, -12], 1e-6);
    expectClose(stepped({ globalClipnorm: 1 }, [[0, 0], [0]]).flat(), [0, 0, 0], 0);
    expectClose(stepped({ clipvalue: 1 }, [[3, -0.5], [-7]]).flat(), [-1, 0.5, 1], 1e-6);
  });

  it('the clip settings are in getConfig, by Keras’ names', () => {
    expect(new Adam({ clipnorm: 1 }).getConfig()).toMatchObject({ clipnorm: 1 });
    expect(new SGD({ clipvalue: 0.5 }).getConfig()).toEqual({ learning_rate: 0.01, momentum: 0, nesterov: false, clipvalue: 0.5 });
    expect(new Adadelta({ globalClipnorm: 2 }).getConfig()).toEqual({ learning_rate: 0.001, rho: 0.95, epsilon: 1e-7, global_clipnorm: 2 });
  });

  it('every optimizer refuses a clip bound ≤ 0, NaN or infinite, or two bounds at once, naming itself and the option', () => {
    const makers: [string, (clip: ClipOptions) => unknown][] = [
      ['sgd', (clip) => new SGD(clip)],
      ['adam', (clip) => new Adam(clip)],
      ['rmsprop', (clip) => new RMSprop(clip)],
      ['adagrad', (clip) => new Adagrad(clip)],
      ['adadelta', (clip) => new Adadelta(clip)],
      ['adamax', (clip) => new Adamax(clip)],
    ];
    for (const [name, make] of makers) {
      expectConvlensError(() => make({ clipnorm: 0 }), `${name}: clipnorm must be a finite number > 0, got 0`);
      expectConvlensError(() => make({ clipvalue: -1 }), `${name}: clipvalue must be a finite number > 0, got -1`);
      expectConvlensError(() => make({ globalClipnorm: Number.NaN }), `${name}: globalClipnorm must be a finite number > 0, got NaN`);
      expectConvlensError(
        () => make({ clipnorm: Number.POSITIVE_INFINITY }),
        `${name}: clipnorm must be a finite number > 0, got Infinity`,
      );
      expectConvlensError(() => make({ clipnorm: null as never }), `${name}: clipnorm must be a finite number > 0, got null`);
      expectConvlensError(
        () => make({ clipnorm: 1, clipvalue: 1 }),
        `${name}: set one of clipnorm, clipvalue and globalClipnorm, as Keras does, got clipnorm and clipvalue`,
      );
      expectConvlensError(
        () => make({ global_clipnorm: 1 } as never),
        `${name}: unknown option 'global_clipnorm' (did you mean 'globalClipnorm'?)`,
      );
    }
  });
});

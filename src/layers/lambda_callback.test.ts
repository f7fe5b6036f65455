import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import '../../test/helpers/tf.js'; // tfjs' CPU backend, which its models need
import { Tensor } from '../tensor/tensor.js';
import { Dense, Sequential } from './index.js';
import { LambdaCallback, lambdaCallback } from './lambda_callback.js';

/** Hooks that record, in order, which ran and for which epoch or batch. */
function recording(events: string[]) {
  return {
    onTrainBegin: () => {
      events.push('trainBegin');
    },
    onEpochBegin: (epoch: number) => {
      events.push(`epochBegin ${epoch}`);
    },
    onBatchBegin: (batch: number) => {
      events.push(`batchBegin ${batch}`);
    },
    onBatchEnd: (batch: number) => {
      events.push(`batchEnd ${batch}`);
    },
    onEpochEnd: (epoch: number) => {
      events.push(`epochEnd ${epoch}`);
    },
    onTrainEnd: () => {
      events.push('trainEnd');
    },
  };
}

describe('LambdaCallback', () => {
  it("runs its functions where tfjs-layers' fit runs the same hooks (2 epochs of 3 batches)", async () => {
    const rng = caseRng('lambda callback', 0);
    const xs = rng.floats(12, -1, 1);
    const ys = rng.floats(6, -1, 1);
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    theirs.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const expected: string[] = [];
    await theirs.fit(tf.tensor2d(xs, [6, 2]), tf.tensor2d(ys, [6, 1]), { epochs: 2, batchSize: 2, callbacks: recording(expected) });
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const events: string[] = [];
    const x = new Tensor(xs, [6, 2], 'float32');
    const y = new Tensor(ys, [6, 1], 'float32');
    await model.fit(x, y, { epochs: 2, batchSize: 2, callbacks: [lambdaCallback(recording(events))] });
    expect(events).toEqual(expected);
    expect(events).toContain('batchBegin 2');
    // only the hooks given run; logs reach them
    const losses: number[] = [];
    await model.fit(x, y, { epochs: 2, callbacks: new LambdaCallback({ onEpochEnd: (_, logs) => void losses.push(logs.loss) }) });
    expect(losses).toHaveLength(2);
  });

  it('names what is wrong: a hook that is not a function, a name of Keras or a misspelt one', () => {
    expectConvlensError(
      () => new LambdaCallback({ onEpochEnd: 'print' as never }),
      'lambdaCallback: onEpochEnd must be a function, got "print"',
    );
    expectConvlensError(
      () => new LambdaCallback({ on_epoch_end: () => {} } as never),
      /lambdaCallback: unknown option 'on_epoch_end' \(did you mean 'onEpochEnd'\?\)/,
    );
    expectConvlensError(() => new LambdaCallback({ setModel: () => {} } as never), /lambdaCallback: unknown option 'setModel'/);
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { mnistShapedData } from '../../test/helpers/layers.js';
import { getBackend, setBackend } from '../backend/index.js';
import { wasmBackend } from '../backend/wasm/index.js';
import { setSeed } from '../tensor/random.js';
import { Conv2D, Dense, Flatten, MaxPool2D, Sequential } from './index.js';

// A model's workspace gives up the buffers it outgrows (a larger batch, another backend) once a
// new batch starts; they had been kept as long as the model, 1.5 GB after evaluating at batch
// sizes 2, 4, ..., 256. Collection is forced between calls (gc exposed at run time) and the event
// loop turns, so a resident buffer's block goes back to the wasm memory as it does in a program.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const settle = async () => {
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
};

function model(): Sequential {
  setSeed(1);
  const m = new Sequential([
    new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
    new MaxPool2D({ poolSize: 2 }),
    new Flatten(),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

const n = 256;
const { x, y } = mnistShapedData(n);
const rssMB = () => process.memoryUsage().rss / 2 ** 20;

describe.skipIf(!wasmBackend)('a model’s workspace memory', () => {
  it('stays that of the largest batch, whatever the batch sizes used before', async () => {
    const m = model();
    await settle();
    const before = rssMB();
    // growing batches: each outgrows the buffers of the one before
    for (let batchSize = 4; batchSize <= n; batchSize += 4) {
      m.evaluate(x, y, { batchSize });
      await settle();
    }
    const grown = rssMB() - before;
    // about 50 MB (the largest batch's buffers, and the wasm memory's fragments); the 63 outgrown
    // ones, kept, took 530 MB
    expect(grown).toBeLessThan(150);
  });

  it('does not grow when training switches backends', async () => {
    const m = model();
    const trainOn = async (name: 'wasm' | 'js') => {
      setBackend(name);
      await m.fit(x, y, { epochs: 1, batchSize: 128 });
      await settle();
    };
    const initial = getBackend();
    try {
      await trainOn('wasm');
      await trainOn('js');
      const before = rssMB();
      for (let i = 0; i < 6; i++) await trainOn(i % 2 ? 'js' : 'wasm');
      expect(rssMB() - before).toBeLessThan(40);
    } finally {
      setBackend(initial);
    }
  });
});

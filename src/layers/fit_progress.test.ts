import { afterEach, describe, expect, it, vi } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { epochLogger, type ProgressTerminal } from './fit_progress.js';
import { Dense, Sequential } from './index.js';

// fit's verbose output in Keras' forms (its Progbar: `verbose=1` on a terminal, `verbose=2` lines).

afterEach(() => vi.restoreAllMocks());

/** A terminal that keeps what is written, and a clock the test moves. */
function setUp(columns = 200) {
  const written: string[] = [];
  const term: ProgressTerminal = { isTTY: true, columns, write: (text: string) => written.push(text) };
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const at = (ms: number) => {
    now = ms;
  };
  return { written, term, at };
}

describe('fit verbose: 1 on a terminal', () => {
  it("redraws Keras' bar with the ETA and the running logs, then ends the epoch with its time and logs", async () => {
    const { written, term, at } = setUp();
    const logger = epochLogger(2, 1, { steps: 5 }, term);
    await logger.onEpochBegin?.(0);
    at(200);
    await logger.onBatchEnd?.(0, { loss: 0.5 });
    at(250); // within 100 ms of the last redraw: not drawn
    await logger.onBatchEnd?.(1, { loss: 0.45 });
    at(600);
    await logger.onBatchEnd?.(2, { loss: 0.4 });
    at(1000);
    await logger.onBatchEnd?.(3, { loss: 0.35 });
    await logger.onBatchEnd?.(4, { loss: 0.3 });
    await logger.onEpochEnd?.(0, { loss: 0.3, val_loss: 0.25 });
    expect(written).toEqual([
      'Epoch 1/2\n',
      `\r1/5 [=====>........................] - ETA: 1s - loss: 0.5000\x1b[K`,
      `\r3/5 [=================>............] - ETA: 0s - loss: 0.4000\x1b[K`,
      `\r4/5 [=======================>......] - ETA: 0s - loss: 0.3500\x1b[K`,
      `\r5/5 [==============================] - 1s 200ms/step - loss: 0.3000 - val_loss: 0.2500\x1b[K\n`,
    ]);
  });

  it('the count is padded to the width of the total, as Keras pads it', async () => {
    const { written, term, at } = setUp();
    const logger = epochLogger(1, 1, { steps: 12 }, term);
    await logger.onEpochBegin?.(0);
    at(120);
    await logger.onBatchEnd?.(0, {});
    expect(written[1]).toBe(`\r 1/12 [=>${'.'.repeat(28)}] - ETA: 1s\x1b[K`);
  });

  it('an epoch of unknown length counts up, and the next ones show the count the first had; lines fit the terminal', async () => {
    const { written, term, at } = setUp(24);
    const logger = epochLogger(2, 1, {}, term);
    await logger.onEpochBegin?.(0);
    at(500);
    await logger.onBatchEnd?.(0, { loss: 1 });
    at(900);
    await logger.onBatchEnd?.(1, { loss: 1 });
    await logger.onEpochEnd?.(0, { loss: 1 });
    await logger.onEpochBegin?.(1);
    at(1500);
    await logger.onBatchEnd?.(0, { loss: 1 });
    expect(written.slice(1, 4)).toEqual([
      `\r1/Unknown - loss: 1.000\x1b[K`,
      `\r2/Unknown - loss: 1.000\x1b[K`,
      `\r2/2 [${'='.repeat(18)}\x1b[K\n`,
    ]);
    expect(written.at(-1)).toBe(`\r1/2 [${'='.repeat(14)}>...\x1b[K`);
  });
});

describe('fit verbose without a terminal, or 2', () => {
  it("prints Keras' verbose=2 line at each epoch's end", async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const net = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    net.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = new Tensor(new Float32Array(20), [10, 2], 'float32');
    await net.fit(x, new Tensor(new Float32Array(10), [10, 1], 'float32'), { epochs: 2, batchSize: 4, verbose: 1 });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[1]).toMatch(/^3\/3 - \d+\.\ds - loss: 0\.0000 - \d+ms\/step$/);
    expect(lines[2]).toBe('Epoch 2/2');
  });
});

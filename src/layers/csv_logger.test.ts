import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../test/cli/helpers.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { Tensor } from '../tensor/tensor.js';
import { CSVLogger, csvLogger } from './csv_logger.js';
import { Dense, Sequential } from './index.js';

afterAll(removeTempDirs);

/** Runs `logger` over epochs of `logs` as fit would. */
async function drive(logger: CSVLogger, logs: Record<string, number>[]): Promise<void> {
  await logger.onTrainBegin();
  for (const [epoch, epochLogs] of logs.entries()) await logger.onEpochEnd(epoch, epochLogs);
}

describe('CSVLogger', () => {
  it("writes the logs of each epoch of a fit: epoch from 0, then the logs' names sorted", async () => {
    const rng = caseRng('csv logger', 0);
    const model = new Sequential([new Dense({ units: 2, inputShape: [3], activation: 'softmax' })]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = new Tensor(rng.floats(24, -1, 1), [8, 3], 'float32');
    const y = new Tensor(Int32Array.of(0, 1, 1, 0, 1, 0, 0, 1), [8], 'int32');
    const file = join(tempDir(), 'log.csv');
    const history = await model.fit(x, y, { epochs: 3, batchSize: 4, validationSplit: 0.25, callbacks: [csvLogger(file)] });
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines.shift()).toBe('epoch,accuracy,loss,val_accuracy,val_loss');
    expect(lines.pop()).toBe(''); // the last line ends in CRLF too
    const columns = ['accuracy', 'loss', 'val_accuracy', 'val_loss'];
    // each value is written so that it reads back as the logged number
    expect(lines.map((line) => line.split(',').map(Number))).toEqual(
      history.epoch.map((e) => [e, ...columns.map((c) => history.history[c][e])]),
    );
  });

  it("writes as Keras' CSVLogger with Python's csv module (the expected text from python3): numbers as Python prints them, val_ columns of NA", async () => {
    const dir = tempDir();
    const file = join(dir, 'log.csv');
    const logs = [
      { loss: 0.5, accuracy: 1 },
      { loss: 1e-5, accuracy: Math.fround(0.3) },
    ];
    await drive(new CSVLogger(file, { separator: ';' }), logs);
    const expected = 'epoch;accuracy;loss;val_accuracy;val_loss\r\n0;1.0;0.5;NA;NA\r\n1;0.30000001192092896;1e-05;NA;NA\r\n';
    expect(readFileSync(file, 'utf8')).toBe(expected);
    // append: rows added, no second header; without it, the file is written anew
    await drive(new CSVLogger(file, { separator: ';', append: true }), [{ loss: 0.25, accuracy: 0.5 }]);
    expect(readFileSync(file, 'utf8')).toBe(`${expected}0;0.5;0.25;NA;NA\r\n`);
    await drive(new CSVLogger(file), [{ loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY }]);
    expect(readFileSync(file, 'utf8')).toBe('epoch,loss,val_loss\r\n0,nan,inf\r\n');
    // an empty file gets a header when appended to; a name with the separator is quoted
    writeFileSync(file, '');
    await drive(new CSVLogger(file, { append: true }), [{ 'a,b': 1, val_x: 2 }]);
    expect(readFileSync(file, 'utf8')).toBe('epoch,"a,b",val_x\r\n0,1.0,2.0\r\n');
  });

  it('names what is wrong: the file name, the separator, options, a file it cannot write', async () => {
    expectConvlensError(() => new CSVLogger(''), `csvLogger: filename must be a file path such as 'training.csv', got ""`);
    expectConvlensError(
      () => new CSVLogger('log.csv', { separator: '::' }),
      /csvLogger: separator must be one character other than a quote or a line break, got "::"/,
    );
    expectConvlensError(
      () => new CSVLogger('log.csv', { sep: ';' } as never),
      "csvLogger: unknown option 'sep' (expected one of separator, append)",
    );
    expectConvlensError(() => new CSVLogger('log.csv', { append: 'yes' as never }), 'csvLogger: append must be true or false, got "yes"');
    const missing = join(tempDir(), 'no-such-folder', 'log.csv');
    await expectConvlensRejection(new CSVLogger(missing).onTrainBegin(), new RegExp(`^csvLogger: could not write ${missing}: ENOENT`));
  });
});

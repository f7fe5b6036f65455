import { afterAll, describe, expect, it } from 'vitest';
import { kerasFixture, tfjsConvnet, tfjsResidual } from '../helpers/keras_fixtures.js';
import { convlens, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

describe("the command on Keras' files (Keras 3's .keras, Keras 2's .h5)", { timeout: 60_000 }, () => {
  it('summary reads a Sequential and a functional .keras file, and a Keras 2 .h5 model, as tfjs-layers builds the same networks', () => {
    for (const [file, tfjs] of [
      ['convnet.keras', tfjsConvnet()],
      ['residual.keras', tfjsResidual()],
      ['legacy_convnet.h5', tfjsConvnet()],
    ] as const) {
      const run = convlens(['summary', kerasFixture(file), '--json']);
      expect(run.code, run.stderr).toBe(0);
      const rows = (JSON.parse(run.stdout) as { layers: { className: string; outputShape: unknown; params: number }[] }).layers.filter(
        (r) => r.className !== 'InputLayer',
      );
      // tfjs names its own layers; the file's names are checked by the library's tests
      const theirs = tfjs.layers.filter((l) => l.getClassName() !== 'InputLayer');
      expect(rows.map((r) => [r.className, r.outputShape, r.params])).toEqual(
        theirs.map((l) => [l.getClassName(), l.outputShape, l.countParams()]),
      );
    }
  });

  it('a weights file given as a model fails with its reason and exit code 1', () => {
    const run = convlens(['summary', kerasFixture('convnet.weights.h5')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("holds a Keras model's weights without the model (model.save_weights)");
  });
});

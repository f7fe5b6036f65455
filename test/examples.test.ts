import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The examples import 'convlens' by name (the package refers to itself), so they run on dist/.
const run = (name: string, cwd?: string) =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`../examples/${name}`, import.meta.url))], { encoding: 'utf8', cwd });

describe('examples', () => {
  it("lesson.mjs prints the lesson's filter and ReLU matrices", () => {
    const out = run('lesson.mjs');
    expect(out).toContain('condense [ 1, 200, 200, 1 ]');
    expect(out).toContain('[-2.0,  2.0, -1.0,  0.0,  0.0]]');
    expect(out).toContain('[[0.0, 2.0, 0.0, 0.0, 0.0],');
  });

  it('keras_cnn.mjs trains a Keras-style convnet on MNIST digits with early stopping, restores its best epoch, and draws what it gets wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-example-'));
    try {
      const out = run('keras_cnn.mjs', dir);
      expect(out).toContain('Non-trainable params: 32'); // the batch normalisation's moving statistics
      expect(out).toMatch(/Restoring model weights from the end of the best epoch: \d+\./);
      const accuracy = Number(/test accuracy on 500 other digits: ([\d.]+)/.exec(out)?.[1]);
      expect(accuracy).toBeGreaterThan(0.6); // chance is 0.1
      // the confusion matrix's diagonal is evaluate's accuracy, counted another way
      const right = /right per digit \(of 50\): ([\d ]+)/.exec(out)![1].split(' ').map(Number);
      expect(right.reduce((a, b) => a + b, 0) / 500).toBeCloseTo(accuracy, 3);
      const png = readFileSync(join(dir, 'out', 'keras_cnn_confusion.png'));
      expect(png.readUInt32BE(16)).toBeGreaterThan(10 * 48);
      const mistakes = 500 - right.reduce((a, b) => a + b, 0);
      expect(out).toContain(`${mistakes} mistakes; pictures in out/`);
      expect(readFileSync(join(dir, 'out', 'keras_cnn_mistakes.png')).readUInt32BE(16)).toBeGreaterThan(Math.min(mistakes, 8) * 96);
      // the first 16 of conv2d_1's 32 filters, 8 to a row; the image, heat map and overlay side by side
      expect(readFileSync(join(dir, 'out', 'keras_cnn_patterns.png')).readUInt32BE(16)).toBeGreaterThan(8 * 96);
      expect(readFileSync(join(dir, 'out', 'keras_cnn_saliency.png')).readUInt32BE(16)).toBeGreaterThan(3 * 224);
      // a mistake: the class Grad-CAM explains by default is the one predict answered, not the digit's
      const [, digit, seenAs] = /Grad-CAM of conv2d_1: test digit \d+, a (\d), seen as (\d) \([\d.]+\)/.exec(out) ?? [];
      if (mistakes > 0) expect(seenAs).not.toBe(digit);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('autoencoder.mjs learns to rebuild digits it never saw through Conv2DTranspose and UpSampling2D, and draws them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-example-'));
    try {
      const out = run('autoencoder.mjs', dir);
      expect(out).toContain('conv2d_transpose (Conv2DTranspose)');
      const [, model, mean] = /mean absolute error on 8 new digits: ([\d.]+) \(the mean digit: ([\d.]+)\)/.exec(out) ?? [];
      // far closer than the best constant guess: it reconstructs each digit, not the average one
      expect(Number(model)).toBeLessThan(0.6 * Number(mean));
      const png = readFileSync(join(dir, 'out', 'autoencoder.png'));
      // 8 originals over 8 reconstructions, each tile 56 pixels, captioned, under a title
      const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      expect(width).toBeGreaterThan(8 * 56);
      expect(height).toBeGreaterThan(2 * 56 + 28);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('image_folder.mjs reads a folder of class subfolders as Keras does and trains a convnet on it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-example-'));
    try {
      const out = run('image_folder.mjs', dir);
      expect(out).toContain('Found 240 files belonging to 3 classes.\nUsing 192 files for training.\nUsing 48 files for validation.');
      const accuracy = Number(/classes: one, seven, zero; validation accuracy on 48 images: ([\d.]+)/.exec(out)?.[1]);
      expect(accuracy).toBeGreaterThan(0.7); // chance is 1/3
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('functional_resnet.mjs builds residual blocks with Input, apply and model, and trains them', () => {
    const out = run('functional_resnet.mjs');
    expect(out).toContain('Model: "small_resnet"');
    expect(out).toMatch(/add \(Add\) .*conv2d.*\[0\]\[0\],/); // the skip path: Add takes two layers
    const accuracy = Number(/test accuracy on 500 other digits: ([\d.]+)/.exec(out)?.[1]);
    expect(accuracy).toBeGreaterThan(0.3); // chance is 0.1
  });

  it("any_size.mjs runs one model of free height and width on each photo at its own size, as the lesson's ops compute it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-example-'));
    try {
      const out = run('any_size.mjs', dir);
      expect(out).toContain('(None, None, None, 1)');
      expect(out).toContain('camera.png: 512×512 → condensed 256×256, as the ops give it: true');
      expect(out).toContain('chelsea.png: 300×451 → condensed 150×226, as the ops give it: true');
      expect(out).toContain('rocket.jpg: 427×640 → condensed 214×320, as the ops give it: true');
      // each photo's map drawn at its own aspect: the wide rocket photo's figure is wider than tall
      const png = readFileSync(join(dir, 'out', 'any_size_rocket.png'));
      expect(png.readUInt32BE(16)).toBeGreaterThan(png.readUInt32BE(20));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('layers.mjs sets a kernel by hand and trains a tiny network to full accuracy', () => {
    const out = run('layers.mjs');
    expect(out).toContain('Total params: 9');
    expect(out).toMatch(/accuracy: 1 \}/);
  });
});

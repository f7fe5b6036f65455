/// <reference path="./jsfive.d.ts" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dataset, type Group, File as Hdf5File } from 'jsfive';
import { afterAll, describe, expect, it } from 'vitest';
import { H5PY_DUMP, h5pyJson, h5pyTitle, skipH5py } from '../../test/helpers/h5py.js';
import { HDF5_MESSAGE_LIMIT, Hdf5Group, hdf5Bytes } from './hdf5_writer.js';

const scratch = mkdtempSync(join(tmpdir(), 'convlens-hdf5-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Values no two of which are equal, exact in float32: (i - 7) / 8. */
const ramp = (count: number) => Float32Array.from({ length: count }, (_, i) => (i - 7) / 8);
/** A text longer than an object header message can hold: it goes to the global heap. */
const LONG_TEXT = `{"layers": [${Array.from({ length: 9000 }, (_, i) => `"layer_${i}"`).join(', ')}]}`;
const MANY = 40; // five symbol table nodes of 8

function sample(): Hdf5Group {
  const root = new Hdf5Group();
  root.attributes.set('model_config', { kind: 'text', text: LONG_TEXT });
  root.attributes.set('unicode', { kind: 'text', text: 'größe µ 🙂' });
  const weights = root.group('model_weights');
  weights.attributes.set('layer_names', { kind: 'bytes', strings: ['conv2d', 'dense_1'] });
  weights.attributes.set('backend', { kind: 'bytes', strings: ['tensorflow'], scalar: true });
  weights.group('flatten').attributes.set('weight_names', { kind: 'bytes', strings: [] });
  weights.dataset('conv2d/conv2d/kernel:0', [3, 3, 1, 2], ramp(18));
  weights.dataset('conv2d/conv2d/bias:0', [2], ramp(2));
  root.dataset('scalar', [], Float32Array.of(2.5));
  for (let i = 0; i < MANY; i++) root.dataset(`many/${i}`, [1], Float32Array.of(i));
  return root;
}

describe('hdf5Bytes', () => {
  const file = join(scratch, 'sample.h5');
  const bytes = hdf5Bytes(sample());
  writeFileSync(file, bytes);

  it('writes groups, float32 datasets and string attributes that jsfive reads', () => {
    const read = new Hdf5File(bytes.slice().buffer);
    expect(read.keys.sort()).toEqual(['many', 'model_weights', 'scalar']);
    expect(read.attrs.model_config).toBe(LONG_TEXT);
    expect(read.attrs.unicode).toBe('größe µ 🙂');
    const weights = read.get('model_weights') as Group;
    // jsfive pads a fixed-length string with NULs to the longest
    expect(weights.attrs.layer_names).toEqual(['conv2d\0', 'dense_1']);
    expect(weights.attrs.backend).toBe('tensorflow');
    expect((weights.get('flatten') as Group).attrs.weight_names).toEqual([]);
    const kernel = read.get('model_weights/conv2d/conv2d/kernel:0') as Dataset;
    expect([kernel.shape, kernel.dtype]).toEqual([[3, 3, 1, 2], '<f4']);
    expect(Array.from(kernel.value)).toEqual(Array.from(ramp(18)));
    // found by name through the B-tree, across its symbol table nodes
    expect(Array.from((read.get('many/37') as Dataset).value)).toEqual([37]);
    expect((read.get('many') as Group).keys.length).toBe(MANY);
  });

  it.skipIf(skipH5py)(h5pyTitle('writes a file h5py (libhdf5) reads: names, shapes, dtypes, values, attributes'), () => {
    const dump = h5pyJson(`${H5PY_DUMP}\nprint(json.dumps(dump(h5py.File(sys.argv[1], "r"))))`, file) as Record<
      string,
      { attrs: Record<string, unknown>; shape?: number[]; dtype?: string; values?: number[]; members?: string[] }
    >;
    expect(dump['/'].attrs).toEqual({ model_config: { text: LONG_TEXT }, unicode: { text: 'größe µ 🙂' } });
    expect(dump.model_weights.attrs).toEqual({
      layer_names: { list: ['conv2d', 'dense_1'], dtype: '|S7' },
      backend: { bytes: 'tensorflow', dtype: 'S' },
    });
    expect(dump['model_weights/flatten'].attrs).toEqual({ weight_names: { list: [], dtype: '|S1' } });
    expect(dump['model_weights/conv2d/conv2d/kernel:0']).toMatchObject({ shape: [3, 3, 1, 2], dtype: '<f4', values: Array.from(ramp(18)) });
    expect(dump['model_weights/conv2d/conv2d/bias:0']).toMatchObject({ shape: [2], dtype: '<f4', values: [-7 / 8, -6 / 8] });
    expect(dump.scalar).toMatchObject({ shape: [], dtype: '<f4', values: [2.5] });
    // h5py lists members in byte order of their names, as libhdf5 keeps them
    const names = Array.from({ length: MANY }, (_, i) => String(i)).sort();
    expect(dump.many.members).toEqual(names);
    expect(names.map((n) => dump[`many/${n}`].values)).toEqual(names.map((n) => [Number(n)]));
  });

  it('refuses what it cannot write, naming it', () => {
    const tooLong = new Hdf5Group();
    tooLong.attributes.set('names', { kind: 'bytes', strings: Array.from({ length: 700 }, () => 'x'.repeat(100)) });
    expect(() => hdf5Bytes(tooLong)).toThrow(
      `hdf5: attribute 'names' takes 70048 bytes, more than the ${HDF5_MESSAGE_LIMIT} an HDF5 object header message holds`,
    );
    const crowded = new Hdf5Group();
    for (let i = 0; i < 257; i++) crowded.group(`g${i}`);
    expect(() => hdf5Bytes(crowded)).toThrow("hdf5: group '/' has 257 members; this writer puts at most 256 in a group");
    expect(() => new Hdf5Group().dataset('d', [2, 3], ramp(5))).toThrow("hdf5: dataset 'd' has shape [2, 3] but 5 values");
    expect(() => new Hdf5Group().dataset('d', [2], Float64Array.of(1, 2) as never)).toThrow(
      "hdf5: dataset 'd' holds a Float64Array of 2 elements; only float32 values (a Float32Array) are written",
    );
    const twice = new Hdf5Group();
    twice.dataset('a/d', [1], ramp(1));
    expect(() => twice.dataset('a/d', [1], ramp(1))).toThrow("hdf5: 'a/d' is given twice");
    expect(() => twice.group('a/d/e')).toThrow("hdf5: 'a/d/e' passes through dataset 'd'");
  });
});

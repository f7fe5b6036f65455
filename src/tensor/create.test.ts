import { describe, expect, it } from 'vitest';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { tf } from '../../test/helpers/tf.js';
import { constant, fill, fromData, ones, tensor, zeros } from './create.js';
import type { DType } from './dtype.js';
import { Tensor } from './tensor.js';

describe('tensor and constant: dtypes', () => {
  it('tensor of numbers is float32, as tfjs’s tf.tensor', () => {
    expect(tensor([1, 2, 3]).dtype).toBe(tf.tensor([1, 2, 3]).dtype);
    expect(tensor([1, 2, 3]).dtype).toBe('float32');
    expect(tensor(5).dtype).toBe('float32');
  });

  it('constant of Python-style ints is int32, of other numbers float32 (tf.constant)', () => {
    expect(
      constant([
        [-1, -1],
        [8, -1],
      ]).dtype,
    ).toBe('int32');
    expect(
      constant([
        [-1, -1],
        [8, -1],
      ]).data,
    ).toBeInstanceOf(Int32Array);
    expect(constant([1, 2.5]).dtype).toBe('float32');
    expect(constant(3).dtype).toBe('int32');
    expect(constant([2 ** 31]).dtype).toBe('float32');
    expect(constant([-(2 ** 31)]).dtype).toBe('int32');
  });

  it('an empty list is float32 even for constant (tf.constant([]) is float32)', () => {
    expect(constant([]).dtype).toBe('float32');
    expect(tensor([]).shape).toEqual([0]);
  });

  it('booleans give bool; typed arrays keep their type', () => {
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).array()).toEqual([true, false]);
    expect(tensor(new Int32Array([1])).dtype).toBe('int32');
    expect(tensor(new Uint8Array([1])).dtype).toBe('uint8');
    expect(tensor(new Float32Array([1])).dtype).toBe('float32');
  });

  it('other typed arrays from JavaScript are read by value, not as bytes', () => {
    expect(tensor(new Float64Array([0.5]) as never).array()).toEqual([0.5]);
    expect(tensor(new Int16Array([-3]) as never).array()).toEqual([-3]);
  });

  it('an explicit dtype converts the values (floats truncate into integer types, as tfjs’s tf.tensor)', () => {
    expect(tensor([1.9, -1.9], undefined, 'int32').array()).toEqual([1, -1]);
    expect(tensor([0, 2, -1], undefined, 'bool').array()).toEqual([false, true, true]);
    // any non-zero number is true, as tf.cast gives it (tfjs rounds first, so 0.3 would be false)
    expect(tensor([0.3, -0.2, Number.NaN], undefined, 'bool').array()).toEqual([true, true, true]);
    expect(constant([1, 2], undefined, 'float32').dtype).toBe('float32');
    expect(constant([0, 255], undefined, 'uint8').array()).toEqual([0, 255]);
  });

  it('constant refuses a fraction for an integer dtype, as eager tf.constant does; whole numbers wrap, typed arrays are cast', () => {
    expectConvlensError(
      () => constant([1.5, -2.7], undefined, 'int32'),
      /^constant: value 1.5 cannot be int32: tf.constant refuses a fraction for an integer dtype \(cast truncates it: cast\(tensor\(values\), 'int32'\)\)$/,
    );
    expectConvlensError(() => constant(Number.NaN, [1], 'uint8'), /^constant: value NaN cannot be uint8/);
    // tf.constant(300, dtype=tf.uint8) is 44, and 2**31 as int32 wraps (an int64 cast); a NumPy array is cast
    expect(constant([300, -1], undefined, 'uint8').array()).toEqual([44, 255]);
    expect(constant([2 ** 31], undefined, 'int32').array()).toEqual([-(2 ** 31)]);
    expect(constant(new Float32Array([1.5, -2.7]), undefined, 'int32').array()).toEqual([1, -2]);
    expect(constant([true, false], undefined, 'int32').array()).toEqual([1, 0]);
  });
});

describe('tensor and constant: shapes', () => {
  it('infers nested shapes and reads values row-major', () => {
    const t = tensor([[[1, 2, 3]], [[4, 5, 6]]]);
    expect(t.shape).toEqual([2, 1, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.rank).toBe(3);
    expect(t.size).toBe(6);
  });

  it('takes a flat list with an explicit shape, and a scalar fills a shape', () => {
    expect(tensor([1, 2, 3, 4], [2, 2]).array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(constant(7, [2, 3]).array()).toEqual([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    expect(tensor(5).array()).toBe(5);
    expect(tensor(5).shape).toEqual([]);
  });

  it("constant fills a shape from one value in a list too, as eager tf.constant([7], shape=[2, 2]) does; tensor refuses it, as tfjs's tf.tensor", () => {
    const filled = constant([7], [2, 2]);
    expect([filled.dtype, filled.array()]).toEqual([
      'int32',
      [
        [7, 7],
        [7, 7],
      ],
    ]);
    expect(constant([[true]], [3]).array()).toEqual([true, true, true]);
    expect(constant(new Float32Array([0.5]), [2]).array()).toEqual([0.5, 0.5]);
    expect(constant([1], [0]).shape).toEqual([0]);
    expectConvlensError(() => constant([1, 2], [4]), /^constant: 2 values do not fill shape \[4\] \(expected 4\)/);
    expectConvlensError(() => tensor([7], [2, 2]), /^tensor: 1 values do not fill shape \[2, 2\] \(expected 4\)/);
    expect(() => tf.tensor([7], [2, 2])).toThrow();
  });

  it("a null shape or dtype is inferred, as tfjs' tf.tensor(values, null, 'int32') and tf.constant's None (both were refused)", () => {
    const cases: [Tensor, tf.Tensor][] = [
      [tensor([1.7, -2.2], null, 'int32'), tf.tensor([1.7, -2.2], null as never, 'int32')],
      [tensor([1, 2], [2, 1], null), tf.tensor([1, 2], [2, 1], null as never)],
      [tensor([true, false], null, null), tf.tensor([true, false], null as never, null as never)],
    ];
    for (const [ours, theirs] of cases) {
      expect([ours.dtype, ours.shape, Array.from(ours.data)]).toEqual([theirs.dtype, theirs.shape, Array.from(theirs.dataSync())]);
    }
    const c = constant([[1, 2]], null, null); // tf.constant([[1, 2]], dtype=None, shape=None): int32 [1, 2]
    expect([c.dtype, c.shape]).toEqual(['int32', [1, 2]]);
    expect(fill([2], 3, null).dtype).toBe('float32');
    expect(zeros([1], null).dtype).toBe('float32');
  });

  it('zeros, ones and fill', () => {
    expect(zeros([2, 2]).array()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(ones([3], 'int32').data).toEqual(new Int32Array([1, 1, 1]));
    expect(fill([2], 2.5).array()).toEqual([2.5, 2.5]);
    expect(fill([1], 3, 'bool').array()).toEqual([true]);
    expect(fill([1], Number.NaN, 'bool').array()).toEqual([true]); // as cast(NaN, 'bool') and TensorFlow
    expectConvlensError(() => ones([-1]), /^ones: shape \[-1\] is not a list of non-negative integers/);
    expect(zeros([0, 4]).size).toBe(0);
  });

  it('fromData wraps a typed array without copying', () => {
    const data = new Float32Array([1, 2]);
    expect(fromData(data, [2, 1], 'float32').data).toBe(data);
  });

  it.each([
    [
      'a shape the data does not fill',
      () => fromData(new Float32Array(4), [2, 3], 'float32'),
      /^fromData: 4 values do not fill shape \[2, 3\] \(expected 6\)$/,
    ],
    [
      'no dtype',
      () => fromData(new Float32Array(4) as never, [4], undefined as never),
      /^fromData: unknown dtype undefined \(expected float32/,
    ],
    [
      'a plain array',
      () => fromData([1, 2] as never, [2], 'float32'),
      /^fromData: float32 values must be held in a Float32Array, got \[1, 2\]$/,
    ],
    [
      'a Float32Array as int32',
      () => fromData(new Float32Array(2) as never, [2], 'int32'),
      /^fromData: int32 values must be held in a Int32Array/,
    ],
    [
      'bool bytes other than 0 and 1',
      () => fromData(new Uint8Array([1, 0, 5]), [3], 'bool'),
      /^fromData: bool values must be 0 \(false\) or 1 \(true\), got 5 at index 2 \(make a bool tensor of other numbers with cast\(x, 'bool'\)\)$/,
    ],
  ])('fromData refuses %s, naming itself', (_, fn, message) => expectConvlensError(fn, message));

  it.each([
    ['tensor of one number', () => tensor(1, [1e6, 1e6]), 'tensor'],
    ['constant of one number', () => constant(7, [1e6, 1e6]), 'constant'],
    ['constant of a one-value list', () => constant([7], [1e6, 1e6]), 'constant'],
  ])('%s filling a shape too large for any array is refused by name (was the engine RangeError "Invalid array length")', (_, fn, op) =>
    expectConvlensError(
      fn,
      new RegExp(`^${op}: cannot allocate 1\\.00e\\+12 (float32|int32) values \\(3\\.73e\\+3 GiB\\): the result is too large$`),
    ),
  );

  it('one value fills a shape, converted once as each element would be', () => {
    expect(constant([300], [2], 'uint8').array()).toEqual([44, 44]);
    expect(tensor(2.7, [2], 'int32').array()).toEqual([2, 2]);
    expect(tensor(-0.5, [1, 2], 'bool').array()).toEqual([[true, true]]);
    expect(constant(true, [2]).array()).toEqual([true, true]);
    expect(tensor(3, [0, 2]).shape).toEqual([0, 2]);
    expect(tensor(3).shape).toEqual([]);
  });

  it('a bool tensor holds only false and true: other bytes are refused, not counted as a true of 5 (TensorFlow has no such bool)', () => {
    // Accepted, such bytes gave cast(b, 'float32') = [5, 0, 2] and sum(b) = 7, where a bool [true, false, true] gives [1, 0, 1] and 2
    expectConvlensError(
      () => new Tensor(new Uint8Array([5, 0, 2]), [3], 'bool'),
      /^tensor: bool values must be 0 \(false\) or 1 \(true\), got 5 at index 0/,
    );
    const b = fromData(new Uint8Array([1, 0, 1]), [3], 'bool');
    expect(b.array()).toEqual([true, false, true]);
    expect(Array.from(tensor(new Uint8Array([5, 0, 2]), [3], 'bool').data)).toEqual([1, 0, 1]); // tensor copies and converts, as cast does
  });

  it('a shape cannot be changed from outside: neither the one given nor the one read', () => {
    const shape = [2, 3];
    const t = new Tensor(new Float32Array(6), shape, 'float32');
    shape.push(1);
    expect(t.shape).toEqual([2, 3]);
    expect(() => t.shape.push(1)).toThrow(TypeError);
    expect(() => {
      t.shape[0] = 3;
    }).toThrow(TypeError);
    expect(t.shape).toEqual([2, 3]);
  });

  it('takes nesting as deep as the largest rank TensorFlow has, 254', () => {
    const deepest = Array.from({ length: 254 }).reduce<unknown>((inner) => [inner], 7) as never;
    expect(tensor(deepest).shape).toEqual(new Array(254).fill(1));
  });

  it('array() gives nested arrays of the shape', () => {
    expect(tensor(new Float32Array(0), [2, 0]).array()).toEqual([[], []]);
    expect(constant([[1], [2]]).array()).toEqual([[1], [2]]);
  });
});

describe('tensor and constant: errors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['ragged rows', () => tensor([[1, 2], [3]]), /^tensor: ragged values: values\[1\] has length 1, expected length 2/],
    [
      'number where a row is expected',
      () => constant([[1, 2], 3] as never),
      /^constant: ragged values: values\[1\] has a number, expected length 2/,
    ],
    [
      'row where a number is expected',
      () => tensor([1, [2]] as never),
      /^tensor: ragged values: values\[1\] is an array where a number was expected/,
    ],
    [
      'deeply ragged',
      () =>
        tensor([
          [[1], [2]],
          [[3], [4, 5]],
        ]),
      /^tensor: ragged values: values\[1\]\[1\] has length 2, expected length 1/,
    ],
    [
      'nesting deeper than the largest rank TensorFlow has, 254',
      () => tensor(Array.from({ length: 255 }).reduce<unknown>((inner) => [inner], 1) as never),
      /^tensor: values are nested more than 254 levels deep \(TensorFlow's largest rank\), or a list holds itself$/,
    ],
    [
      'a list that holds itself',
      () => {
        const list: unknown[] = [1];
        list[0] = list;
        return constant(list as never);
      },
      /^constant: values are nested more than 254 levels deep/,
    ],
    ['strings', () => tensor(['a'] as never), /^tensor: values must be numbers or booleans, got string \("a"\)/],
    ['null', () => tensor(null as never), /^tensor: values are null/],
    [
      'a Tensor',
      () => constant(ones([2]) as never),
      /^constant: values are already a Tensor: use it as it is \(cast and reshape change its dtype and shape\)$/,
    ],
    [
      'a TensorFlow.js tensor',
      () => tensor(tf.tensor([1, 2]) as never),
      /^tensor: values are a Tensor \(a TensorFlow\.js tensor: convert it with tensor\(x\.dataSync\(\), x\.shape, x\.dtype\)\)$/,
    ],
    ['size mismatch', () => tensor([1, 2, 3], [2, 2]), /^tensor: 3 values do not fill shape \[2, 2\] \(expected 4\)/],
    ['bad shape', () => tensor([1, 2], [-1, 2]), /^tensor: shape \[-1, 2\] is not a list of non-negative integers/],
    // JSON would show these as null
    ['NaN in a shape', () => tensor([1, 2], [Number.NaN]), /^tensor: shape \[NaN\] is not a list of non-negative integers/],
    ['Infinity in a shape', () => tensor([1, 2], [Number.POSITIVE_INFINITY]), /^tensor: shape \[Infinity\] is not/],
    ['a BigInt value', () => tensor([1n] as never), /^tensor: values must be numbers or booleans, got bigint \(1n\)$/],
    ['a hole in a list', () => tensor([1, undefined] as never), /^tensor: values must be numbers or booleans, got undefined$/],
    ['a null in a list', () => tensor([[1, null]] as never), /^tensor: values must be numbers or booleans, got null$/],
    [
      'a BigInt64Array',
      () => tensor(new BigInt64Array([5n]) as never),
      /^tensor: values are a BigInt64Array of 1 elements \(expected numbers/,
    ],
    ['a DataView', () => tensor(new DataView(new ArrayBuffer(4)) as never), /^tensor: values are a DataView/],
    [
      'unknown dtype',
      () => tensor([1], undefined, 'float64' as DType),
      /^tensor: unknown dtype "float64" \(expected float32, int32, uint8 or bool\)/,
    ],
    ['unknown dtype in constant', () => constant([1], undefined, 'string' as DType), /^constant: unknown dtype "string"/],
    ['unknown dtype in fill', () => fill([1], 0, 'int64' as DType), /^fill: unknown dtype "int64"/],
    ['a fill value that is not a number', () => fill([2], 'a' as never), /^fill: value must be a number, got "a"$/],
    ['bad shape in zeros', () => zeros([2.5]), /^zeros: shape \[2.5\] is not a list of non-negative integers/],
    [
      'Tensor with too little data',
      () => new Tensor(new Float32Array(3), [2, 2], 'float32'),
      /^tensor: 3 values do not fill shape \[2, 2\] \(expected 4\)/,
    ],
  ];
  it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
});

describe('tensor and constant: lists of typed arrays (rows as tfjs reads them)', () => {
  const rows = () => [new Float32Array([1, 2]), new Float32Array([3, 4])];

  it.each([
    ['Float32Array rows', () => [new Float32Array([1.5, 2]), new Float32Array([3, 4])]],
    ['Int32Array rows', () => [new Int32Array([1, -2]), new Int32Array([3, 4])]],
    ['typed rows nested deeper', () => [[new Float32Array([1, 2])], [new Float32Array([3, 4])]]],
    ['a list beside a Float32Array', () => [[1, 2], new Float32Array([3.5, 4])]],
    ['empty rows', () => [new Float32Array(0), new Float32Array(0)]],
  ])('%s: same shape, dtype and values as tf.tensor', (_, values) => {
    const expected = tf.tensor(values() as never);
    const t = tensor(values() as never);
    expect(t.shape).toEqual(expected.shape);
    expect(t.dtype).toBe(expected.dtype);
    expect(Array.from(t.data)).toEqual(Array.from(expected.dataSync()));
  });

  it('Uint8Array rows are uint8, as a lone Uint8Array is (tfjs, without uint8, reads them as int32)', () => {
    const values = () => [new Uint8Array([1, 255]), new Uint8Array([3, 4])];
    const t = tensor(values());
    expect(t.dtype).toBe('uint8');
    expect(t.array()).toEqual(tf.tensor(values()).arraySync());
  });

  it('rows of other typed arrays are read by value (tfjs refuses a Float64Array row)', () => {
    expect(tensor([new Float64Array([0.5]), new Float64Array([2])] as never).array()).toEqual([[0.5], [2]]);
    expect(tensor([new Int16Array([-3])] as never).dtype).toBe('int32');
  });

  it('rows of different types promote (bool < uint8 < int32 < float32) instead of truncating as tfjs does', () => {
    const t = tensor([new Int32Array([1, 2]), new Float32Array([3.5, 4])]);
    expect(t.dtype).toBe('float32');
    expect(t.array()).toEqual([
      [1, 2],
      [3.5, 4],
    ]);
    expect(tf.tensor([new Int32Array([1, 2]), new Float32Array([3.5, 4])]).arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tensor([new Uint8Array([1]), new Int32Array([-1])]).dtype).toBe('int32');
    expect(constant([[1], new Uint8Array([2])]).dtype).toBe('int32');
    expect(tensor([[1], new Int32Array([2])]).dtype).toBe('float32'); // tensor's plain numbers are float32
  });

  it('an explicit dtype casts typed rows and constant still refuses a fraction in a plain row', () => {
    expect(tensor(rows(), undefined, 'int32').dtype).toBe(tf.tensor(rows(), undefined, 'int32').dtype);
    expect(constant([new Float32Array([1.5, -2.7])], undefined, 'int32').array()).toEqual(
      tf.tensor([new Float32Array([1.5, -2.7])], undefined, 'int32').arraySync(),
    );
    expectConvlensError(
      () => constant([[0.5, 1], new Int32Array([2, 3])], undefined, 'int32'),
      /^constant: value 0.5 cannot be int32: tf.constant refuses a fraction/,
    );
  });

  it.each([
    [
      'rows of different lengths',
      () => [new Float32Array([1, 2]), new Float32Array([3])],
      /^tensor: ragged values: values\[1\] has length 1, expected length 2$/,
    ],
    ['a number after a row', () => [new Float32Array([1, 2]), 3], /^tensor: ragged values: values\[1\] has a number, expected length 2$/],
    [
      'a row after a number',
      () => [3, new Float32Array([1, 2])],
      /^tensor: ragged values: values\[1\] is an array where a number was expected$/,
    ],
    [
      'a typed row where a list of rows is expected',
      () => [[[1], [2]], new Float32Array([1, 2])],
      /^tensor: ragged values: values\[1\]\[0\] has a number, expected length 1$/,
    ],
  ])('refuses %s, as tfjs does when it checks shapes', (_, values, message) => {
    expectConvlensError(() => tensor(values() as never), message);
    // tfjs checks nested shapes only with this flag (otherwise a size mismatch may pass unnoticed)
    tf.env().set('TENSORLIKE_CHECK_SHAPE_CONSISTENCY', true);
    try {
      expect(() => tf.tensor(values() as never)).toThrow(/Element arr\[/);
    } finally {
      tf.env().set('TENSORLIKE_CHECK_SHAPE_CONSISTENCY', false);
    }
  });

  it.each([
    [
      'a BigInt64Array row',
      () => [new Float32Array([1]), new BigInt64Array([1n])],
      /^tensor: values\[1\] is a BigInt64Array of 1 elements \(expected numbers, nested arrays or typed arrays of numbers\)$/,
    ],
    ['a DataView row', () => [new DataView(new ArrayBuffer(4))], /^tensor: values\[0\] is a DataView of 4 bytes/],
  ])('refuses %s, naming where it is', (_, values, message) => expectConvlensError(() => tensor(values() as never), message));
});

describe('sparse and over-long shapes and values', () => {
  it.each([
    ['zeros of a sparse shape', () => zeros(sparse(3, { 0: 2, 2: 3 })), /^zeros: shape \[2, , 3\] is not a list of non-negative integers$/],
    ['tensor with a sparse shape', () => tensor([1, 2, 3, 4, 5, 6], sparse(3, { 0: 2, 2: 3 })), /^tensor: shape \[2, , 3\] is not a list/],
    [
      'fromData with a sparse shape',
      () => fromData(new Float32Array(6), sparse(3, { 0: 2, 2: 3 }), 'float32'),
      /^fromData: shape \[2, , 3\] is not a list/,
    ],
    [
      'ones of rank 300',
      () => ones(new Array(300).fill(1)),
      /^ones: shape \[1, 1, .*\] has rank 300, more than TensorFlow's largest rank, 254$/,
    ],
    ['fromData of rank 300', () => fromData(new Float32Array(1), new Array(300).fill(1), 'float32'), /^fromData: shape .* has rank 300/],
    ['zeros of new Array(1e9)', () => zeros(new Array(1e9)), /^zeros: shape .* has rank 1000000000, more than/],
    ['tensor of new Array(1e9)', () => tensor(new Array(1e9)), /^tensor: values must be numbers or booleans, got undefined$/],
  ])('%s is refused at once (was a NaN size, a stack overflow in array(), or a loop over a billion holes)', (_, fn, message) =>
    expectConvlensError(fn, message),
  );
});

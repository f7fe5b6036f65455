// The smallest and largest value of an array (NaN ignored; +Infinity / -Infinity when there is
// none), each in a function that ends with its loop: V8 compiles such a loop while it runs (OSR),
// and code after the loop that has never run would throw that compiled code away again.

export function dataMin(data: ArrayLike<number>): number {
  let lo = Number.POSITIVE_INFINITY;
  for (let i = 0; i < data.length; i++) if (data[i] < lo) lo = data[i];
  return lo;
}

export function dataMax(data: ArrayLike<number>): number {
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) if (data[i] > hi) hi = data[i];
  return hi;
}

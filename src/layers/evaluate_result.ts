import type { Logs } from './callbacks.js';

/**
 * evaluate's scores by position too, as Keras' `evaluate` returns them (`return_dict=False`, its
 * default): `score[0]` the loss, then each of compile's metrics in turn, so the tutorials'
 * `score = model.evaluate(x, y); score[1]` and `const [loss, accuracy] = model.evaluate(x, y)` work.
 */
export interface KerasScores extends Iterable<number> {
  readonly length: number;
}

/**
 * `result` with the values of `order` (the logs' keys, Keras' order) at 0, 1, ..., a `length` and
 * an iterator over them; none enumerable, so the result still reads, prints and compares as the
 * object of named scores it is.
 */
export function withKerasScores<T extends Logs>(result: T, order: readonly string[]): T & KerasScores {
  const values = order.map((key) => result[key]);
  const hidden = (value: unknown): PropertyDescriptor => ({ value, enumerable: false, writable: false, configurable: true });
  const properties: PropertyDescriptorMap = { length: hidden(values.length), [Symbol.iterator]: hidden(() => values[Symbol.iterator]()) };
  values.forEach((value, i) => {
    properties[i] = hidden(value);
  });
  return Object.defineProperties(result, properties) as T & KerasScores;
}

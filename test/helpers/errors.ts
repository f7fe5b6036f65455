import { expect } from 'vitest';
import { ConvlensError } from '../../src/errors.js';

/** Asserts `fn` throws a ConvlensError whose message matches `message`. */
export function expectConvlensError(fn: () => unknown, message: RegExp | string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected a ConvlensError matching ${message}`).toBeInstanceOf(ConvlensError);
  const text = (thrown as Error).message;
  if (typeof message === 'string') expect(text).toBe(message);
  else expect(text).toMatch(message);
}

/** Asserts `promise` rejects with a ConvlensError whose message matches `message`. */
export async function expectConvlensRejection(promise: Promise<unknown>, message: RegExp | string): Promise<void> {
  const rejected = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(rejected, `expected a ConvlensError matching ${message}`).toBeInstanceOf(ConvlensError);
  const text = (rejected as Error).message;
  if (typeof message === 'string') expect(text).toBe(message);
  else expect(text).toMatch(message);
}

/** A sparse list of `length` with only `entries` set (the rest are holes), as `[2, , 3]` writes it: `sparse(3, { 0: 2, 2: 3 })`. */
export function sparse(length: number, entries: Record<number, unknown>): never {
  return Object.assign(new Array(length), entries) as never;
}

import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { Tensor } from '../tensor/tensor.js';
import { InferenceWorkspace } from './inference_workspace.js';

// The pool predict computes in (see predict_workspace.test.ts for whole models): which buffer a
// request gets, and when a buffer comes back.

const owner = {};
const tensorOf = (data: Float32Array, shape = [data.length]) => new Tensor(data, shape, 'float32');

/** Whether `a` starts where `b` does in the same memory (a part of a buffer is a view of it). */
const sameStart = (a: Float32Array, b: Float32Array) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;

function startedWorkspace(): InferenceWorkspace {
  const ws = new InferenceWorkspace();
  ws.startBatch();
  return ws;
}

forEachBackend(() => {
  describe('InferenceWorkspace', () => {
    it('takes a buffer back once no live tensor views it: a reshaped view or a part of it keeps it in use', () => {
      const ws = startedWorkspace();
      let live: Tensor[] = [];
      const run = ws.startRun(() => live);
      const a = ws.get(owner, 'out', 8);
      live = [tensorOf(a.subarray(4, 6))];
      run.release();
      expect(ws.get(owner, 'out', 8)).not.toBe(a);
      live = [tensorOf(a, [2, 4])];
      run.release();
      live = [];
      run.release();
      // both are free now: the smallest that holds 8 is either, and a third request makes a new one
      const again = [ws.get(owner, 'out', 8), ws.get(owner, 'out', 8), ws.get(owner, 'out', 8)];
      expect(again).toContain(a);
      expect(ws.heldBytes).toBe(3 * 8 * 4);
    });

    it("a nested run takes back only the buffers handed out within it; what it returns is its caller's", () => {
      const ws = startedWorkspace();
      const outer = ws.startRun(() => []);
      const held = ws.get(owner, 'out', 4);
      const inner = ws.startRun(() => []);
      const scratch = ws.get(owner, 'out', 4);
      inner.release();
      const next = [ws.get(owner, 'out', 4), ws.get(owner, 'out', 4)];
      expect(next).toContain(scratch);
      expect(next).not.toContain(held);
      inner.end();
      outer.release();
      expect([ws.get(owner, 'out', 4), ws.get(owner, 'out', 4), ws.get(owner, 'out', 4)]).toContain(held);
      expect(ws.heldBytes).toBe(3 * 4 * 4);
    });

    it('gives the smallest free buffer that holds the request; when none does, a larger one replaces the largest', () => {
      const ws = startedWorkspace();
      const run = ws.startRun(() => []);
      const [small, large] = [ws.get(owner, 'out', 4), ws.get(owner, 'out', 16)];
      run.release();
      expect(sameStart(ws.get(owner, 'out', 3), small)).toBe(true);
      expect(sameStart(ws.get(owner, 'out', 10), large)).toBe(true);
      run.release();
      ws.get(owner, 'out', 32);
      expect(ws.heldBytes).toBe((4 + 32) * 4);
      // a new batch: everything of the last one is free
      ws.startBatch();
      ws.get(owner, 'out', 32);
      ws.get(owner, 'out', 4);
      expect(ws.heldBytes).toBe((4 + 32) * 4);
    });
  });
});

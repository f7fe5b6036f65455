/**
 * Timing helpers: warm-up, then repeat until both a minimum count and a time budget are reached
 * (slow peers stop earlier), and report the median (the machines are shared and noisy).
 */

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * @param {() => unknown | Promise<unknown>} fn one repetition (may be async)
 * @param {{ minReps?: number, maxReps?: number, budgetMs?: number, warmup?: number }} [options]
 * @returns {Promise<{ median: number, reps: number, min: number, times: number[] }>} times in milliseconds
 */
export async function measure(fn, options = {}) {
  const { minReps = 7, maxReps = 50, budgetMs = 1500, warmup = 2 } = options;
  let first = performance.now();
  await fn();
  first = performance.now() - first;
  // a peer that takes seconds per call gets one warm-up and three timed runs
  const slow = first > 1000;
  for (let i = 1; i < (slow ? 1 : warmup); i++) await fn();
  const times = [];
  const start = performance.now();
  while (times.length < maxReps) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    const spent = performance.now() - start;
    if (times.length >= (slow ? 3 : minReps) && spent >= budgetMs) break;
    if (slow && times.length >= 3) break;
  }
  return { median: median(times), reps: times.length, min: Math.min(...times), times };
}

/**
 * Times several functions (peers on one case) in rounds: each round gives each its share of the
 * repetitions and budget in turn, so a change in the machine's load (other tenants of a shared
 * machine come and go within seconds) hits every peer alike rather than whichever ran then.
 * A peer that takes seconds per call is timed three times in the first round only (as `measure` does).
 * @param {Record<string, () => unknown | Promise<unknown>>} fns
 * @param {{ minReps: number, budgetMs: number, rounds: number }} options
 * @returns {Promise<Record<string, { median: number, reps: number, min: number }>>}
 */
export async function measureInterleaved(fns, { minReps, budgetMs, rounds }) {
  /** @type {Record<string, number[]>} */
  const times = {};
  /** @type {Set<string>} */
  const slow = new Set();
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      times[name] ??= [];
      if (slow.has(name) && times[name].length >= 3) continue;
      const t = await measure(fn, { minReps: Math.ceil(minReps / rounds), budgetMs: budgetMs / rounds, warmup: round === 0 ? 2 : 1 });
      if (t.median > 1000) slow.add(name);
      times[name].push(...t.times);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, list]) => [name, { median: median(list), reps: list.length, min: Math.min(...list) }]),
  );
}

/**
 * A small seeded generator (mulberry32) so every random test case can be replayed from the
 * seed printed in its failure message. Set CONVLENS_SEED to run the suite from another base seed.
 */
export const BASE_SEED = Number(process.env.CONVLENS_SEED ?? 20_240_601);

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  float(lo = -1, hi = 1): number {
    return lo + this.next() * (hi - lo);
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** `n` floats in [lo, hi), rounded to float32. */
  floats(n: number, lo = -1, hi = 1): Float32Array {
    return Float32Array.from({ length: n }, () => this.float(lo, hi));
  }

  ints(n: number, lo: number, hi: number): Int32Array {
    return Int32Array.from({ length: n }, () => this.int(lo, hi));
  }

  /** A shape of rank in [minRank, maxRank] with each dimension in [minDim, maxDim]. */
  shape(minRank: number, maxRank: number, minDim = 1, maxDim = 5): number[] {
    return Array.from({ length: this.int(minRank, maxRank) }, () => this.int(minDim, maxDim));
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** The generator for case `index` of a named random suite: independent of how many cases ran before. */
export function caseRng(suite: string, index: number): Rng {
  let h = BASE_SEED >>> 0;
  for (const ch of suite) h = Math.imul(h ^ ch.charCodeAt(0), 2_654_435_761) >>> 0;
  return new Rng((h + index * 0x9e3779b9) >>> 0);
}

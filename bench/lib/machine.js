import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Cores, CPU model and SIMD-relevant flags, Node version. */
export function machine() {
  let model = 'unknown';
  let flags = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? model;
    flags = (/^flags\s*:\s*(.+)$/m.exec(info)?.[1] ?? '').split(/\s+/).filter(Boolean);
  } catch {
    // not Linux
  }
  const simd = flags.filter((f) => /^(sse4_2|avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16|amx\w*)$/.test(f));
  return { cores: availableParallelism(), model, simd, flags, node: process.version, v8: process.versions.v8 };
}

import { totalmem } from 'node:os';

/** The memory (the container's limit, when it is lower than the machine's). */
export function memoryBytes(): number {
  const machine = totalmem();
  const limit = process.constrainedMemory?.();
  return limit && limit < machine ? limit : machine;
}

/** "376 kB", "24.6 MB", "6.2 GB" (decimal units). */
export function byteText(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

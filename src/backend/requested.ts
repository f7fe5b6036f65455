/**
 * The backend a CONVLENS_BACKEND value asks for: 'js', 'wasm', or undefined for none (unset or
 * blank) and for a value that names no backend, which `problem` then describes.
 */
export function requestedBackend(value: string | undefined): { name?: 'js' | 'wasm'; problem?: string } {
  const requested = value?.trim().toLowerCase();
  if (!requested) return {};
  if (requested === 'js' || requested === 'wasm') return { name: requested };
  return { problem: `CONVLENS_BACKEND=${requested} is not a backend (js or wasm)` };
}

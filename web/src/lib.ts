// The page uses the convlens library itself (bundled from src/ by esbuild), never a copy of it.
export * from '../../src/index.js';

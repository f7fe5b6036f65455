// `require('convlens')`: convlens is an ES module (its WebAssembly kernels load with top-level
// await), which require() cannot load. Say so and how to load it, rather than Node's
// ERR_PACKAGE_PATH_NOT_EXPORTED.
throw new Error(
  "convlens is an ES module and cannot be loaded with require(): use `import { nn } from 'convlens'` in an ES module, or `const { nn } = await import('convlens')` from CommonJS",
);

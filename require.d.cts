// convlens is an ES module: from CommonJS, load it with `await import('convlens')` (see require.cjs).
declare const esModuleOnly: never;
export = esModuleOnly;

// The part of jsfive (a pure JavaScript HDF5 reader, without type declarations of its own) that
// convlens reads Keras 3 weight files with.
declare module 'jsfive' {
  export class Group {
    readonly keys: string[];
    readonly attrs: Record<string, unknown>;
    get(path: string): Group | Dataset;
  }
  export class Dataset {
    readonly shape: number[];
    /** numpy's dtype string ('<f4' for little-endian float32), or an object for compound types. */
    readonly dtype: unknown;
    readonly value: ArrayLike<number>;
    readonly attrs: Record<string, unknown>;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
}

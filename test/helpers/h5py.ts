/**
 * Debian's h5py (`apt-get install python3-h5py`), an HDF5 reader independent of convlens, for
 * checking the files convlens writes. /usr/bin/python3 by its full path: another python3 (pyenv's)
 * may come first on PATH without h5py. Without h5py the tests that need it are skipped, saying why,
 * unless CONVLENS_REQUIRE_H5PY=1 (CI), where they run and fail.
 */
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

/** Why h5py cannot be used here, or undefined when it can. */
function whyNoH5py(): string | undefined {
  const run = spawnSync(PYTHON, ['-c', 'import h5py'], { encoding: 'utf8' });
  if (run.error) return `${PYTHON} cannot run (${run.error.message})`;
  if (run.status !== 0) return `${PYTHON} has no h5py (apt-get install python3-h5py)`;
  return undefined;
}

const missing = whyNoH5py();
const required = process.env.CONVLENS_REQUIRE_H5PY === '1';

/** Whether to skip the h5py tests: h5py is missing and not required. */
export const skipH5py = missing !== undefined && !required;
// said in the run's output too, where a skipped test's title is not shown
if (skipH5py) console.warn(`convlens: the h5py tests are skipped: ${missing} (CONVLENS_REQUIRE_H5PY=1 makes them fail instead)`);

/** The describe title of h5py tests: the skip's reason in it, so that the test report shows it. */
export const h5pyTitle = (title: string) => (skipH5py ? `${title} (skipped: ${missing})` : title);

/** Runs `script` with h5py (the file paths in sys.argv[1:]) and parses what it prints as JSON. */
export function h5pyJson(script: string, ...files: string[]): unknown {
  if (missing) throw new Error(`CONVLENS_REQUIRE_H5PY=1 but ${missing}`);
  const run = spawnSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`h5py script failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * A Python script's function `dump(f)`, which lists an HDF5 file as JSON: each object by path,
 * a group's attributes (strings decoded, fixed-length ones marked by their numpy dtype), a
 * dataset's shape, dtype and values.
 */
export const H5PY_DUMP = `
import json, sys
import h5py, numpy as np

def attr(v):
    if isinstance(v, bytes): return {"bytes": v.decode("utf8"), "dtype": "S"}
    if isinstance(v, str): return {"text": v}
    if isinstance(v, np.ndarray) and v.dtype.kind == "S": return {"list": [x.decode("utf8") for x in v], "dtype": v.dtype.str}
    return {"other": repr(v)}

def dump(f):
    out = {"/": {"attrs": {k: attr(v) for k, v in f.attrs.items()}}}
    def visit(name, obj):
        entry = {"attrs": {k: attr(v) for k, v in obj.attrs.items()}}
        if isinstance(obj, h5py.Dataset):
            entry.update(shape=list(obj.shape), dtype=obj.dtype.str, values=obj[()].reshape(-1).astype(float).tolist())
        else:
            entry["members"] = list(obj.keys())
        out[name] = entry
    f.visititems(visit)
    return out
`;

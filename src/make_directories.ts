/**
 * `mkdir -p` made level by level, with Node's `mkdir` and `dirname` passed in (so that modules
 * also bundled for browsers need not import them): Node's own (`recursive: true`) never returns
 * for a path under /proc, whose missing entries cannot be created (it keeps retrying; Node 20).
 * Returns the first folder it created, as Node's does, or undefined when `path` existed.
 */
export async function makeDirectories(
  mkdir: (path: string) => Promise<unknown>,
  dirname: (path: string) => string,
  path: string,
): Promise<string | undefined> {
  try {
    await mkdir(path);
    return path;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return undefined;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw error;
    const first = await makeDirectories(mkdir, dirname, parent);
    await mkdir(path).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
    return first ?? path;
  }
}

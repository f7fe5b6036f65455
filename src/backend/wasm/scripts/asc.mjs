// Shared by the wasm builds (src/backend/wasm/scripts/build.mjs, src/image/wasm/scripts/build.mjs):
// AssemblyScript compiled in memory, the binary returned base64-encoded for a generated .ts file.
import asc from 'assemblyscript/asc';

/** Compiles the AssemblyScript `entry` with `flags`; `name` only labels errors. */
export async function compileToBase64(name, entry, flags) {
  let binary;
  const { error, stderr } = await asc.main([entry, ...flags, '--outFile', `${name}.wasm`], {
    writeFile(file, contents) {
      if (file.endsWith('.wasm')) binary = contents;
    },
  });
  if (error) throw new Error(`asc failed for ${name}:\n${stderr.toString()}`);
  if (!binary) throw new Error(`asc produced no binary for ${name}`);
  return Buffer.from(binary).toString('base64');
}

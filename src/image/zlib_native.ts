const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Node's native zlib functions, where there are (the browser bundle replaces zlib_node.js with an empty module). */
export const nodeZlib = isNode ? await import('./zlib_node.js') : undefined;

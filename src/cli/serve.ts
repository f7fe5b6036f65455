import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';

/**
 * `convlens serve`: a small static file server for the built playground (dist/web). It serves
 * that folder and nothing else, on loopback unless told otherwise, with the headers the page
 * needs: a content-security policy, and cross-origin isolation (COOP/COEP) so the wasm backend
 * may share memory between Web Workers and run on several threads.
 */

/** The page's content-security policy (web/index.html carries the same one in a meta tag). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  'Cache-Control': 'no-cache',
};

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/** The MIME type a file is served with (by extension; unknown ones are plain bytes). */
export function mimeType(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Where the built page is: `dist/web` beside `dist/cli` in the package; when this file runs from
 * `src/cli` (tests, tsx), the build output `dist/web` of the checkout.
 */
export function playgroundRoot(): string {
  const candidates = [new URL('../web/', import.meta.url), new URL('../../dist/web/', import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((dir) => existsSync(join(dir, 'index.html')));
  return found ?? fileURLToPath(candidates[0]);
}

export interface ServeOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on (default 127.0.0.1, loopback only). */
  host?: string;
  /** Folder to serve (default: the built playground). */
  root?: string;
}

export interface RunningServer {
  server: Server;
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string, head: boolean): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}

function sendError(res: ServerResponse, status: number, message: string, head: boolean, extra: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  send(res, status, `${status} ${message}\n`, 'text/plain; charset=utf-8', head);
}

/**
 * Maps a request target to a file under `root`, or says why not: 400 for malformed paths, 403
 * for any attempt to leave the folder (`..`, also encoded as `%2e%2e` or with `%2f` between,
 * backslashes, NUL bytes, symbolic links pointing outside), 404 for what is not there (dot-files,
 * and a file asked for as a folder: `/app.js/`, whose relative links would resolve elsewhere).
 */
export async function resolveRequestPath(root: string, target: string): Promise<{ file: string } | { status: number; message: string }> {
  const rawPath = target.split(/[?#]/, 1)[0];
  if (!rawPath.startsWith('/')) return { status: 400, message: 'Bad Request' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, message: 'Bad Request' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 403, message: 'Forbidden' };
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return { status: 403, message: 'Forbidden' };
  if (segments.some((s) => s.startsWith('.'))) return { status: 404, message: 'Not Found' };
  const realRoot = await realpath(root);
  let file = join(realRoot, ...segments);
  try {
    file = await realpath(file);
    if (file !== realRoot && !file.startsWith(realRoot + sep)) return { status: 403, message: 'Forbidden' };
    if ((await stat(file)).isDirectory()) {
      file = join(file, 'index.html');
      if (!(await stat(file)).isFile()) return { status: 404, message: 'Not Found' };
    } else if (decoded.endsWith('/')) {
      return { status: 404, message: 'Not Found' };
    }
  } catch {
    return { status: 404, message: 'Not Found' };
  }
  return { file };
}

function handler(root: string, allowedHosts: Set<string> | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    try {
      if (req.method !== 'GET' && !head) {
        sendError(res, 405, 'Method Not Allowed', false, { Allow: 'GET, HEAD' });
        return;
      }
      // Loopback servers answer only to loopback names (no DNS rebinding onto this port).
      if (allowedHosts && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
        sendError(res, 403, 'Forbidden (unexpected Host header)', head);
        return;
      }
      const found = await resolveRequestPath(root, req.url ?? '/');
      if ('status' in found) {
        sendError(res, found.status, found.message, head);
        return;
      }
      send(res, 200, await readFile(found.file), mimeType(found.file), head);
    } catch {
      if (!res.headersSent) sendError(res, 500, 'Internal Server Error', head);
      else res.destroy();
    }
  };
}

function formatUrl(host: string, port: number): string {
  const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${name}:${port}/`;
}

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const root = options.root ?? playgroundRoot();
  if (!existsSync(join(root, 'index.html'))) {
    throw Object.assign(new Error(`serve: the playground is not built (no index.html in ${root}); run npm run build`), {
      code: 'ENOTBUILT',
    });
  }
  let allowedHosts: Set<string> | undefined;
  const server = createServer();
  server.on('request', (req, res) => {
    void handler(root, allowedHosts)(req, res);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const { port } = server.address() as AddressInfo;
  if (isLoopback(host)) {
    allowedHosts = new Set(['127.0.0.1', 'localhost', '[::1]', host.toLowerCase()].flatMap((h) => [`${h}:${port}`]));
  }
  return {
    server,
    url: formatUrl(host, port),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function portNumber(value: string): number {
  const n = Number(value);
  // Number('') and Number(' ') are 0: an empty value is no port
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free one)');
  return n;
}

/** An address to listen on; an empty one would have Node listen on every interface. */
function hostAddress(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected an address such as 127.0.0.1, or 0.0.0.0 for every interface');
  return value;
}

/** Adds `convlens serve` to the command line. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the playground (filter, detect, condense live in the browser, and a digit you draw) on this machine')
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', portNumber, 8080)
    .option('--host <address>', 'address to listen on; the default only accepts connections from this machine', hostAddress, '127.0.0.1')
    .addHelpText(
      'after',
      '\nImages you open in the page stay in your browser: this server only sends the page.\n\nExamples:\n  convlens serve\n  convlens serve --port 0',
    )
    .action(async (options: { port: number; host: string }) => {
      let running: RunningServer;
      try {
        running = await startServer(options);
      } catch (error) {
        const code = (error as { code?: string }).code;
        const message =
          code === 'EADDRINUSE'
            ? `port ${options.port} is already in use (try --port 0 for any free port)`
            : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
              ? `cannot listen on ${options.host} (not an address of this machine)`
              : (error as Error).message;
        process.stderr.write(`convlens: ${message}\n`);
        process.exit(1);
      }
      process.stdout.write(`convlens playground: ${running.url}\n`);
      if (!isLoopback(options.host)) {
        process.stdout.write(`(listening on ${options.host}: other machines on the network can open the page)\n`);
      }
      process.stdout.write('Press Ctrl+C to stop.\n');
      const stop = () => {
        void running.close().then(() => process.exit(0));
        setTimeout(() => process.exit(0), 500).unref();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

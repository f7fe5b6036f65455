/** The most characters of a worker's error message the calling thread gets back. */
const ERROR_CHARS = 200;

/**
 * Indices into the Int32 control block shared by the main thread and the workers.
 *
 * A job: the main thread writes kernel/params/threads, bumps `generation` and runs its own share.
 * Kernels claim work in chunks, so the main thread's share ends when no work is left; it then
 * stores the generation in `closed` and waits while `active` > 0. A worker that wakes up adds
 * itself to `active` and only then reads `closed`: with sequentially consistent atomics either
 * the main thread sees it in `active` (and waits for it) or it sees the job closed (and leaves it
 * alone). So a worker the OS has not scheduled never delays a call.
 */
export const CTL = {
  /** Incremented by the main thread to post a job. */
  generation: 0,
  /** Workers inside the current job. */
  active: 1,
  /** Workers that have instantiated the module. */
  ready: 2,
  /** Set when a kernel threw in a worker. */
  error: 3,
  /** Kernel id of the current job. */
  kernel: 4,
  /** Address of the current job's parameter record. */
  params: 5,
  /** Threads the current job may use (main thread included). */
  threads: 6,
  /** The last generation whose work is all claimed: late workers must not join it. */
  closed: 7,
  /** Jobs workers have taken part in (diagnostics). */
  joined: 8,
  /** The memory's size in pages, as the calling thread last grew it. */
  pages: 9,
  /** slots + tid holds the serial number of the worker that owns thread index tid; any other exits. */
  slots: 16,
  /** The first worker error of a call: its length, then its UTF-16 code units (cut at ERROR_CHARS). */
  message: 16 + 256,
  size: 16 + 256 + 1 + ERROR_CHARS,
} as const;

/** Most threads a pool may have (the control block has a slot per thread). */
export const MAX_THREADS = 256;

/** Busy-wait iterations of the calling thread, waiting for workers, before it sleeps in Atomics.wait. */
export const SPIN = 20000;

/**
 * Milliseconds an idle worker keeps polling for the next job before it sleeps in Atomics.wait.
 * Waking a sleeping worker costs the posting thread about half a millisecond on a busy virtual
 * machine (the futex wake and the reschedule it triggers), which a training step of a dozen
 * kernels would pay again and again; a few milliseconds of polling after the last job avoids it.
 */
export const IDLE_SPIN_MS = 10;

/**
 * The worker's code, as source text so it needs no file of its own (bundlers, vitest and plain
 * Node all run it). It defines `start(data)`; the platform adds the line that calls it.
 */
export const workerSource = `
function start(d) {
  const instance = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const ctl = new Int32Array(d.control);
  const fns = d.kernels.map((name) => instance.exports[name]);
  let seen = d.generation;
  // the memory's size this thread's instance is known to have, in pages (see below)
  let pages = 0;
  Atomics.add(ctl, ${CTL.ready}, 1);
  Atomics.notify(ctl, ${CTL.ready});
  for (;;) {
    let g;
    let spins = 0;
    let since = 0;
    while ((g = Atomics.load(ctl, ${CTL.generation})) === seen) {
      if ((++spins & 255) === 0) {
        const now = performance.now();
        if (since === 0) since = now;
        else if (now - since > ${IDLE_SPIN_MS}) {
          Atomics.wait(ctl, ${CTL.generation}, seen);
          since = 0;
        }
      }
    }
    seen = g;
    // a retired worker (its slot reassigned or cleared) leaves without touching the job
    if (Atomics.load(ctl, ${CTL.slots} + d.tid) !== d.serial) return;
    Atomics.add(ctl, ${CTL.active}, 1);
    if (((Atomics.load(ctl, ${CTL.closed}) - g) | 0) < 0) {
      const nth = ctl[${CTL.threads}];
      // A grow by the calling thread reaches this thread's instance at its next interrupt check,
      // which can come after the job that needs the new pages: until then memory.fill there traps
      // (V8 checks bulk memory ops against the instance's own copy of the size). The memory
      // object's buffer is updated with the instance, so a thread whose buffer is short sits the
      // job out: the others claim its share.
      const need = ctl[${CTL.pages}];
      if (pages < need) pages = d.memory.buffer.byteLength / 65536;
      if (d.tid < nth && pages >= need) {
        Atomics.add(ctl, ${CTL.joined}, 1);
        try {
          fns[ctl[${CTL.kernel}]](ctl[${CTL.params}], d.tid, nth);
        } catch (e) {
          // the first error of the call is kept, with its message: the calling thread reports it
          if (Atomics.compareExchange(ctl, ${CTL.error}, 0, 1) === 0) {
            const text = String(e).slice(0, ${ERROR_CHARS});
            for (let i = 0; i < text.length; i++) ctl[${CTL.message} + 1 + i] = text.charCodeAt(i);
            ctl[${CTL.message}] = text.length;
          }
        }
      }
    }
    if (Atomics.sub(ctl, ${CTL.active}, 1) === 1) Atomics.notify(ctl, ${CTL.active});
  }
}
`;

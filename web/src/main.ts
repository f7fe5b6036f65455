import { DigitSection } from './digits.js';
import { byId, el } from './dom.js';
import { ExtractSection, type RedrawTiming } from './extract.js';
import { type BackendName, getBackend, getThreads, setBackend } from './lib.js';
import { WorkedExample } from './worked.js';
import { ModelSection } from './your_model.js';

interface PlaygroundTimings {
  /** Every redraw of the four panels (the last 500), newest last. */
  redraws: RedrawTiming[];
  /** Median `ms` of the redraws caused by typing in a kernel cell. */
  medianKernelEdit(): number | undefined;
}

declare global {
  interface Window {
    __convlensTimings?: PlaygroundTimings;
    __convlensReady?: boolean;
    __convlensPredictions?: DigitSection['predictions'];
    __convlensEvidence?: DigitSection['evidenceMaps'];
    __convlensPatterns?: () => DigitSection['patterns'];
    __convlensModelRuns?: ModelSection['runs'];
  }
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function describeBackend(): string {
  const name = getBackend();
  if (name !== 'wasm') return 'Backend: js (plain TypeScript).';
  const threads = getThreads();
  const why = globalThis.crossOriginIsolated ? '' : ' (one thread: the page is not cross-origin isolated)';
  return `Backend: wasm, SIMD, ${threads} ${threads === 1 ? 'thread' : 'threads'}${why}.`;
}

function start(): void {
  const status = byId('status');
  const timing = byId('timing');
  const backendInfo = byId('backend-info');

  const extract = new ExtractSection((t) => {
    timing.textContent = `Last redraw of the four panels (${t.height}×${t.width}): ${t.ms.toFixed(1)} ms (conv2d + relu + maxPool2d ${t.computeMs.toFixed(1)} ms, colouring and drawing ${t.drawMs.toFixed(1)} ms) on ${t.backend}.`;
  });
  window.__convlensTimings = {
    redraws: extract.timings,
    medianKernelEdit: () => median(extract.timings.filter((t) => t.cause === 'kernel-edit').map((t) => t.ms)),
  };
  new WorkedExample();
  const digits = new DigitSection('./model/model.json', (kernel, event) => extract.useKernel(kernel, event));
  window.__convlensPredictions = digits.predictions;
  window.__convlensEvidence = digits.evidenceMaps;
  window.__convlensPatterns = () => digits.patterns;
  const yourModel = new ModelSection();
  extract.onImage((loaded) => yourModel.setImage(loaded));
  window.__convlensModelRuns = yourModel.runs;

  // Backend choice: wasm where this browser can run it (registered by the library when it loads), js always.
  const backendSelect = byId<HTMLSelectElement>('backend');
  const available: BackendName[] = ['wasm', 'js'];
  for (const name of available) {
    try {
      const previous = getBackend();
      setBackend(name);
      setBackend(previous);
      backendSelect.append(el('option', { value: name }, name === 'wasm' ? 'wasm (SIMD)' : 'js (reference)'));
    } catch {
      // not available in this browser
    }
  }
  backendSelect.value = getBackend();
  backendSelect.addEventListener('change', (event) => {
    setBackend(backendSelect.value as BackendName);
    backendInfo.textContent = describeBackend();
    status.textContent = `Ready. ${describeBackend()}`;
    extract.render('backend', event);
  });
  backendInfo.textContent = describeBackend();
  status.textContent = `Ready. ${describeBackend()}`;

  void extract.loadSample('camera.png').then(() => {
    window.__convlensReady = true;
  });
}

try {
  start();
} catch (error) {
  const status = document.getElementById('status');
  if (status) {
    status.setAttribute('role', 'alert');
    status.textContent = `The playground could not start: ${(error as Error).message}`;
  }
  throw error;
}

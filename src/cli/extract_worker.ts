import { parentPort } from 'node:worker_threads';
import { type ExtractConfig, processImage, type Task } from './extract_job.js';

/**
 * A worker of `convlens extract`: its first message is the run's settings, then it takes one task
 * at a time from the main thread and answers with its result.
 */
const port = parentPort!;
let config: ExtractConfig | undefined;
port.on('message', (message: ExtractConfig | Task) => {
  if (config) port.postMessage(processImage(config, message as Task));
  else config = message as ExtractConfig;
});

import { parentPort, workerData } from 'node:worker_threads';
import { type ExtractConfig, processImage, type Task } from './extract_job.js';

/** A worker of `convlens extract`: takes one task at a time from the main thread, answers with its result. */
const config = workerData as ExtractConfig;
const port = parentPort!;
port.on('message', (task: Task) => port.postMessage(processImage(config, task)));

import { beforeEach } from 'vitest';
import { setSeed } from '../src/tensor/random.js';
import { caseRng } from './helpers/random.js';

// Layers draw their initial weights from the global generator, seeded from the clock unless set:
// seed it from each test's name so a run repeats (CONVLENS_SEED gives another base seed)
beforeEach((context) => {
  setSeed(caseRng(context.task.name, 0).seed);
});

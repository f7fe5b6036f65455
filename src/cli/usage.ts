import { ConvlensError } from '../errors.js';

/** A problem with the command line itself: exit code 2. */
export class UsageError extends ConvlensError {}

export { Keyward, type KeywardOptions } from './client.js';
export { KeywardError, KeywardUnavailableError } from './errors.js';
export { VerificationCache } from './cache.js';
export { decide, refusal, type Decision, type GuardOptions, type Verifier } from './middleware/guard.js';
export type * from './types.js';

/**
 * When the engines measure: defaults shared by the TensorFlow.js engine (engine.ts) and the PyTorch engine
 * (pytorch/, whose runner python/skipnet_data.py mirrors spreadIndices). No TensorFlow.js here.
 */

/** Steps between two statistics updates. */
export const DEFAULT_STATS_INTERVAL = 25;
/** Held-out points per epoch: checks between epoch ends plus the one at the end. */
export const DEFAULT_EVALS_PER_EPOCH = 4;
/** Held-out images in a check between epoch ends. */
export const DEFAULT_QUICK_EVAL_SAMPLES = 256;

/**
 * `wanted` indices spread evenly over 0..count-1 (all of them when wanted ≥ count): splits may be ordered by class.
 * The held-out images of the checks between epoch ends and of the epoch ends (python/skipnet_data.py mirrors it).
 */
export function spreadIndices(count: number, wanted: number): Int32Array {
  const n = Math.max(0, Math.min(count, Math.floor(wanted)));
  return new Int32Array(n).map((_, i) => Math.floor((i * count) / n));
}

/**
 * Memory of a TensorFlow.js training step, and the plan for training two models at once ("Train both" in
 * the Compare view) within one budget. DOM-free and tfjs-free, so the Compare page can plan before it
 * loads the training workers.
 *
 * The core's `trainingMemory` counts what PyTorch's autograd keeps (src/core/memory.ts). A TensorFlow.js
 * step keeps much more per image: its tape holds every intermediate of every op (batch norm's composite
 * ops, the concatenations of a dense block and their slices in the backward), and the backward's
 * temporaries live until the step frees them. Measured with tf.profile's peakBytes on the cpu backend
 * (`npm run bench:train-memory`), the per-image bytes of a step are 7.5× (Plain-20), 7.7× (DenseNet-40),
 * 8.5× (ResNet-20) and 9.1× (mnist_resnet) the core's per-sample estimate; `TFJS_SAVED_FACTOR` rounds that
 * up, with room for the wasm heap's fragmentation.
 */
import { formatBytes, type ModelGraph, type TrainingConfig } from '../core';
import { tfjsStepBytes } from '../core/memory';

/** The four TensorFlow.js backends of the webview, fastest first (the order `auto` tries them in). */
export type MemoryBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
const BACKEND_ORDER: readonly MemoryBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Largest training memory accepted per backend, bytes, for everything one page trains at once (GPU memory
 * in a webview is shared with the editor; a wasm heap is 32-bit, and tfjs 4.22's wasm kernels fail past
 * 2 GiB of it).
 */
export const MEMORY_BUDGET: Record<MemoryBackend, number> = {
  webgpu: 1024 ** 3,
  webgl: 1024 ** 3,
  wasm: 1.5 * 1024 ** 3,
  cpu: 1.5 * 1024 ** 3,
};

// The step estimate lives in the core so `skipnet explain` can give it beside PyTorch's.
export { TFJS_SAVED_FACTOR, tfjsStepBytes } from '../core/memory';

/** The budget that holds whichever backend of the chain a run lands on: the smallest of the chain's. */
export function budgetFor(choice: MemoryBackend | 'auto'): number {
  const chain = choice === 'auto' ? BACKEND_ORDER : BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(choice));
  return Math.min(...chain.map((b) => MEMORY_BUDGET[b]));
}

/**
 * How two runs fit a budget:
 * - `together`: both at once at the asked batch;
 * - `one-after-the-other`: each fits alone at the asked batch, both together do not: A trains, then B, in
 *   one worker (a wasm heap never shrinks, so a second worker would hold A's heap while B grows its own);
 * - `smaller-batch`: not even one alone fits at the asked batch: both at once at `batch`, the largest
 *   power of two below the asked one at which both together fit;
 * - `refused`: even batch 1 of one model is over the budget.
 * `bytes` are the two steps' estimates at the batch the plan trains with; `message` says what was done and why.
 */
export type PairPlan =
  | { mode: 'together' | 'one-after-the-other' | 'smaller-batch'; batch: number; bytes: [bigint, bigint]; message: string }
  | { mode: 'refused'; batch: number; bytes: [bigint, bigint]; message: string };

/**
 * Plans "Train both" for `graphs` (A, B) with the shared train section's batch and optimizer within
 * `budget` bytes (see `budgetFor`). Pure; the numbers are `tfjsStepBytes`.
 */
export function planPair(graphs: readonly [ModelGraph, ModelGraph], config: Pick<TrainingConfig, 'batch' | 'optimizer'>, budget: number): PairPlan {
  const limit = BigInt(Math.floor(budget));
  const at = (batch: number): [bigint, bigint] => [tfjsStepBytes(graphs[0], batch, config.optimizer), tfjsStepBytes(graphs[1], batch, config.optimizer)];
  const asked = at(config.batch);
  const names = `${formatBytes(asked[0])} (A, ${graphs[0].name}) + ${formatBytes(asked[1])} (B, ${graphs[1].name})`;
  const over = `At batch ${config.batch} a TensorFlow.js step needs about ${names} = ${formatBytes(asked[0] + asked[1])}, more than the ${formatBytes(budget)} budget`;
  if (asked[0] + asked[1] <= limit) {
    return { mode: 'together', batch: config.batch, bytes: asked, message: `Both train at once at batch ${config.batch}: about ${names} = ${formatBytes(asked[0] + asked[1])} of the ${formatBytes(budget)} budget.` };
  }
  if (asked[0] <= limit && asked[1] <= limit) {
    return { mode: 'one-after-the-other', batch: config.batch, bytes: asked, message: `${over}: A trains first, then B, each alone at batch ${config.batch} (or train both at a smaller batch to run them side by side).` };
  }
  let batch = 1;
  while (batch * 2 < config.batch) {
    const next = at(batch * 2);
    if (next[0] + next[1] > limit) break;
    batch *= 2;
  }
  const fits = at(batch);
  if (fits[0] + fits[1] > limit) {
    const alone = ([0, 1] as const).find((i) => fits[i] > limit);
    const what = alone !== undefined ? `${graphs[alone].name} alone needs about ${formatBytes(fits[alone])} at batch 1` : `both together need about ${formatBytes(fits[0] + fits[1])} at batch 1`;
    return { mode: 'refused', batch, bytes: fits, message: `${over}, and ${what}: use a smaller model${alone === undefined ? ', or train each in its own graph view' : ''}.` };
  }
  return {
    mode: 'smaller-batch',
    batch,
    bytes: fits,
    message: `${over}: both train at once at batch ${batch} instead (about ${formatBytes(fits[0] + fits[1])}), the same batch for both so they still see the same images in the same order.`,
  };
}

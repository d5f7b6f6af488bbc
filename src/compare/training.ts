/**
 * What "Train both" trains, decided from the two texts before anything is sent: both models must exist
 * and analyse without errors (with the ablation where a side has it on), and both get side A's train
 * section (data set, epochs, batch, optimizer, learning rate, seed), so the seeded engine gives them the
 * same batches in the same order. Pure (no `vscode`, no `os`).
 *
 * On the PyTorch engine, before any Python starts: what each side's runner trains (`torchSides`: a side with the
 * no-skip ablation on trains the ablation's export) and how the two runner processes share the machine
 * (`planTorchPair`); the Compare panel passes the core count and the free memory in, so the rules are tested on
 * their own. Every data set the graph view's Train here reads on PyTorch, an image folder included, serves a pair. Both sides train at once, one runner
 * process each, so their curves grow side by side. On the CPU each gets half the cores as PyTorch threads
 * (torch.set_num_threads; at least one), so the two do not oversubscribe the cores and each side's images/s is
 * measured on an equal share. On CUDA or MPS both run at once on the GPU with the runner's own thread count. On the
 * CPU the two steps' training memory (core `trainingMemory`, what autograd keeps: weights, gradients, optimizer
 * state and saved activations; src/core/memory.ts) plus each process's own footprint must fit the memory free now,
 * else the pair is refused with the estimate, as the browser engine's memory plan (src/train/memoryPlan.ts) refuses
 * a pair over its budget.
 */
import { type Analysis, analyze, formatBytes, type ModelGraph, type TrainingConfig, trainingMemory, withoutSkipConnections } from '../core';
import { torchDevice } from '../train/pytorch/discover';
import type { PythonWithTorch } from '../train/pytorch/python';
import type { SharedTrainingConfig } from '../protocol/compare-messages';
import type { SideSpec } from './model';

export type TrainBothPlan = { ok: true; training: TrainingConfig; shared: SharedTrainingConfig } | { ok: false; message: string };

const SIDE = ['A', 'B'] as const;

export function planTrainBoth(specs: readonly [SideSpec, SideSpec], texts: readonly [string, string]): TrainBothPlan {
  let training: TrainingConfig | undefined;
  for (const index of [0, 1] as const) {
    const spec = specs[index];
    const analysis: Analysis = spec.withoutSkips ? withoutSkipConnections(texts[index]) : analyze(texts[index]);
    const model = analysis.models.find((m) => m.name === spec.model);
    if (!model) return { ok: false, message: `Side ${SIDE[index]}: ${spec.file} has no model '${spec.model}' to train.` };
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0 || !model.complete) {
      const first = errors[0] ? ` (first: line ${analysis.lines.positionAt(errors[0].range.start).line + 1}: ${errors[0].message})` : '';
      return { ok: false, message: `Side ${SIDE[index]}: ${spec.model}${spec.withoutSkips ? ' without skips' : ''} has errors${first}; fix them before training.` };
    }
    training ??= model.training;
  }
  const { dataset: _dataset, ...shared } = training!;
  return { ok: true, training: training!, shared };
}

/**
 * Resident memory of one runner process besides its training memory, bytes: Python with torch imported, the bundled
 * MNIST read and one small convolution's forward and backward run (peak RSS 243 MiB with Debian's torch 1.13 on the
 * CPU), rounded up for the runner's own modules and the allocator's caches.
 */
export const TORCH_PROCESS_BYTES = 400n * 1024n ** 2n;

/**
 * One side as its runner trains it: the analysis of its file (the export is written from it) and its model; with the
 * no-skip ablation on (`withoutSkips`), both are withoutSkipConnections(text)'s and the runner trains the export of
 * the ablation (exportPyTorch's withoutSkips), which has the core's ablation parameter count and names.
 */
export interface TorchSide {
  analysis: Analysis;
  graph: ModelGraph;
  withoutSkips: boolean;
}

/**
 * The two sides a Train both pair trains on PyTorch, each as the Compare view shows it (the ablation where a side
 * has it on). Call after planTrainBoth accepted the same specs and texts: it found both models there. Pure.
 */
export function torchSides(specs: readonly [SideSpec, SideSpec], texts: readonly [string, string]): [TorchSide, TorchSide] {
  const side = (index: 0 | 1): TorchSide => {
    const { withoutSkips } = specs[index];
    const analysis = withoutSkips ? withoutSkipConnections(texts[index]) : analyze(texts[index]);
    const graph = analysis.models.find((m) => m.name === specs[index].model);
    if (!graph) throw new Error(`Side ${SIDE[index]}: no model '${specs[index].model}' (planTrainBoth accepts a pair first).`);
    return { analysis, graph, withoutSkips };
  };
  return [side(0), side(1)];
}

/** What the Compare panel knows of the machine: cores this process may use (os.availableParallelism) and free memory now (os.freemem), bytes. */
export interface TorchMachine {
  cores: number;
  freeBytes: number;
}

/**
 * How the two runners share the machine. `threads`: PyTorch CPU threads per runner (undefined on a GPU: the runner's
 * default). `bytes`: each side's estimate (core training memory at the shared batch plus TORCH_PROCESS_BYTES).
 * `message`: the Compare panel's plan line, or why the pair is refused.
 */
export type TorchPairPlan =
  | { ok: true; device: 'cpu' | 'cuda' | 'mps'; threads: number | undefined; bytes: [bigint, bigint]; message: string }
  | { ok: false; device: 'cpu'; bytes: [bigint, bigint]; message: string };

/** "PyTorch 1.13": the first two numbers of torch's version. */
function torchName(python: PythonWithTorch): string {
  return `PyTorch ${/^(\d+\.\d+)/.exec(python.torch)?.[1] ?? python.torch}`;
}

/**
 * Plans Train both on `python`'s PyTorch for `graphs` (A, B, as each side trains them) with the shared train
 * section's batch and optimizer on `machine` (see the file's comment). Pure.
 */
export function planTorchPair(python: PythonWithTorch, graphs: readonly [ModelGraph, ModelGraph], config: Pick<TrainingConfig, 'batch' | 'optimizer'>, machine: TorchMachine): TorchPairPlan {
  const device = torchDevice(python);
  const bytes = graphs.map((g) => trainingMemory(g, config.batch, config.optimizer).total + TORCH_PROCESS_BYTES) as [bigint, bigint];
  const head = `${torchName(python)} · ${device} · both at once`;
  if (device !== 'cpu') return { ok: true, device, threads: undefined, bytes, message: `${head} on the GPU, one process each.` };
  const threads = Math.max(1, Math.floor(machine.cores / 2));
  const free = BigInt(Math.max(0, Math.floor(machine.freeBytes)));
  const names = `${formatBytes(bytes[0])} (A, ${graphs[0].name}) + ${formatBytes(bytes[1])} (B, ${graphs[1].name}) = ${formatBytes(bytes[0] + bytes[1])}`;
  const split = `${threads} thread${threads === 1 ? '' : 's'} each`;
  if (bytes[0] + bytes[1] <= free) return { ok: true, device, threads, bytes, message: `${head}, ${split} of ${machine.cores} core${machine.cores === 1 ? '' : 's'}: about ${names} of the ${formatBytes(free)} free.` };
  const alone = bytes[0] <= free && bytes[1] <= free;
  const suggestion = alone ? 'lower the batch in A’s train section (both train with it), close other programs, or train each model in its own graph view' : 'lower the batch in A’s train section (both train with it), or use smaller models';
  return { ok: false, device, bytes, message: `Train both on ${torchName(python)} (cpu): at batch ${config.batch} the two runs need about ${names}, more than the ${formatBytes(free)} of memory free now: ${suggestion}.` };
}

import { array, boolean, type Checker, isRecord, literal, nullable, number, object, string } from '../../protocol/schema';
import type { TrainEvent } from '../engine';
import type { LandscapeRequest, LandscapeResult } from '../experiments/landscapePlan';
import type { LesionResult } from '../experiments/lesionPlan';
import type { PathLengthGradient } from '../experiments/pathPlan';

/**
 * The PyTorch runner's wire format (python/skipnet_train.py): events as JSON lines on its stdout, commands as
 * JSON lines on its stdin. The events are the TensorFlow.js engine's own (engine.ts TrainEvent), plus `error`;
 * every line is checked field by field before anything reads it, so a malformed line is a message, not a crash.
 */

/** The runner could not train (no torch, a bad data file, an exception): it exits after this event. */
export interface RunnerErrorEvent {
  type: 'error';
  message: string;
}

/** A landscape slice as the runner writes it: a loss that is not finite is null (JSON has no Infinity or NaN). */
export type WireLandscapeResult = LandscapeResult extends infer R ? (R extends LandscapeResult ? Omit<R, 'loss'> & { loss: (number | null)[] } : never) : never;

/**
 * What the runner's experiments (python/skipnet_experiments.py) report, in the browser engine's own shapes
 * (webview/training/runtime-api.ts RuntimeEvent): the lesion study of Veit et al. 2016 (§4, Figs. 3–5) and the
 * loss landscape of Li et al. 2018 (§4), on the weights of a paused run or of one that ended.
 */
export type RunnerExperimentEvent =
  /** `done` of `total` passes over the held-out images finished. */
  | { type: 'lesion-progress'; done: number; total: number }
  /** The study ended: complete, or cancelled (complete: false, holding what was measured). */
  | { type: 'lesion'; result: LesionResult }
  | { type: 'lesion-failed'; message: string }
  /** One evaluation of `samples` held-out images took `secondsPerEvaluation` seconds: the cost shown before starting. */
  | { type: 'landscape-cost'; evaluations: number; samples: number; secondsPerEvaluation: number }
  | { type: 'landscape-progress'; kind: LandscapeRequest['kind']; done: number; total: number; secondsPerEvaluation: number }
  | { type: 'landscape'; result: WireLandscapeResult }
  /** The landscape work ended; the weights are back bit for bit. `message` says why it failed. */
  | { type: 'landscape-ended'; reason: 'estimated' | 'done' | 'cancelled' | 'failed'; message?: string }
  /** A command line the runner cannot obey (not JSON, an unknown command): the run goes on. */
  | { type: 'rejected'; message: string };

/**
 * Gradient magnitude at the input by path length (Veit, Wilber & Belongie 2016, §4.2), after the first step and every
 * PATH_GRADIENT_INTERVAL steps when the run was started with `pathGradients` (python/skipnet_paths.py): the browser
 * engine's RuntimeEvent of the same name, field for field. `residualAdds` is n; `lengths` holds k = 0..n.
 */
export interface RunnerPathGradientsEvent {
  type: 'pathGradients';
  step: number;
  residualAdds: number;
  lengths: PathLengthGradient[];
}

export type RunnerEvent = TrainEvent | RunnerErrorEvent | RunnerExperimentEvent | RunnerPathGradientsEvent;

const EXPERIMENT_EVENTS: ReadonlySet<string> = new Set<RunnerExperimentEvent['type']>(['lesion-progress', 'lesion', 'lesion-failed', 'landscape-cost', 'landscape-progress', 'landscape', 'landscape-ended', 'rejected']);

/** Whether an event is an experiment's (or a rejected command's) rather than training's. */
export function isExperimentEvent(event: RunnerEvent): event is RunnerExperimentEvent {
  return EXPERIMENT_EVENTS.has(event.type);
}

/**
 * An experiment the runner runs on the weights of a paused run or, when started with `keepWeights`, of a run that
 * ended; a cancel ends the one running between two evaluations (resume, stop and quit do too).
 * lesion: held-out images per evaluation, random draws per k, the draws' seed (see lesion.ts LesionOptions).
 * landscape: estimate the cost from one timed evaluation, or compute the slices (see landscape.ts LandscapeRequest).
 */
export type RunnerExperimentCommand =
  | { command: 'lesion'; samples: number; draws: number; seed: number }
  | { command: 'lesion-cancel' }
  | { command: 'landscape'; action: 'estimate' | 'compute'; requests: LandscapeRequest[] }
  | { command: 'landscape-cancel' };

/** pause / resume / stop act on training; quit ends a runner that stays alive with its final weights. */
export type RunnerCommand = 'pause' | 'resume' | 'stop' | 'quit' | RunnerExperimentCommand;

/** The stdin line for a command. */
export function commandLine(command: RunnerCommand): string {
  return `${JSON.stringify(typeof command === 'string' ? { command } : command)}\n`;
}

const MAX_LINE_POINTS = 401; // landscape.ts's limits, kept here so the webview's bundle need not import TensorFlow.js
const MAX_GRID = 101;
const finite = number();
const count = number({ integer: true, min: 0 });
const nonNegative = number({ min: 0 });
const fraction = number({ min: 0, max: 1 });
const text = string(100_000);
const id = string(4096);

const evaluation = object({ type: literal('evaluation'), epoch: count, step: count, loss: finite, accuracy: fraction, samples: count, full: boolean });

const layer = object(
  { node: id, kind: string(64), activationMean: finite, activationStd: nonNegative },
  { weightNorm: nonNegative, gradNorm: nonNegative, updateRatio: nonNegative, zeroFraction: fraction },
);

const addFlow = object({
  node: id,
  kind: literal('add'),
  fork: nullable(id),
  branches: array(object({ input: id, start: id, role: literal('shortcut', 'residual'), layers: count, gradNorm: nonNegative })),
});
const concatFlow = object({ node: id, kind: literal('concat'), slices: array(object({ source: string(4096), offset: count, channels: count, gradNorm: nonNegative })) });
const mergeFlow: Checker = (v, p) => (isRecord(v) && v.kind === 'concat' ? concatFlow(v, p) : addFlow(v, p));
// contributions[s]: ‖H_ℓ^s * X_s‖ (Huang et al. 2017, §3), a per-sample L2 norm; null where the row reads nothing from s.
const reuse = object({ block: id, groups: array(id), sources: array(id), rows: array(object({ conv: id, values: array(nullable(finite)) }, { contributions: array(nullable(nonNegative)) })) });
// One identity-shortcut stage (He et al. 2016, "Identity Mappings", eq. 4): norms of x_0 and each F_i, shares of each row's stream.
const residualMap = object({ block: id, adds: array(id), sources: array(id), norms: array(nonNegative), shares: array(array(nullable(fraction))), approximate: boolean });
const pathLength = object({ length: count, paths: nonNegative, sampled: count, meanNorm: nonNegative, total: nonNegative });

const result = object(
  { reason: literal('done', 'stopped', 'non-finite'), steps: count, loss: nullable(finite) },
  { evaluation, message: text },
);

const seed = number({ integer: true });
const size = (max: number, min = 1): Checker => number({ integer: true, min, max });
const landscapeRequest: Checker = (v, p) =>
  isRecord(v) && v.kind === 'surface'
    ? object({ kind: literal('surface'), grid: size(MAX_GRID, 2), seed, samples: size(1e9) })(v, p)
    : object({ kind: literal('line'), points: size(MAX_LINE_POINTS, 2), seed, samples: size(1e9) })(v, p);

const experimentCommands: Record<RunnerExperimentCommand['command'], Checker> = {
  lesion: object({ command: literal('lesion'), samples: size(1e9), draws: size(1000), seed }),
  'lesion-cancel': object({ command: literal('lesion-cancel') }),
  landscape: object({ command: literal('landscape'), action: literal('estimate', 'compute'), requests: array(landscapeRequest, 2) }),
  'landscape-cancel': object({ command: literal('landscape-cancel') }),
};

/** Checks an experiment command field by field (null: valid), e.g. `.samples: expected a whole number ≥ 1`. */
export const checkExperimentCommand: Checker = (v, p) => {
  if (!isRecord(v) || typeof v.command !== 'string' || !Object.prototype.hasOwnProperty.call(experimentCommands, v.command)) return `${p || 'command'}: expected an experiment (lesion, lesion-cancel, landscape, landscape-cancel)`;
  return experimentCommands[v.command as RunnerExperimentCommand['command']](v, p);
};

const accuracies = array(fraction);
const lesionResult = object({
  model: string(4096),
  baseline: fraction,
  chance: fraction,
  chanceBasis: literal('classes', 'majority'),
  samples: count,
  draws: count,
  seed: finite,
  singles: array(object({ node: id, label: id, kind: literal('residual', 'dense', 'skip-concat', 'plain'), accuracy: fraction })),
  removed: array(object({ k: count, accuracies, mean: fraction, sd: nonNegative, removed: array(array(id)) })),
  evaluations: count,
  complete: boolean,
});
const landscapeCommon = { alphas: array(finite), loss: array(nullable(finite)), accuracy: accuracies, samples: count, seed: finite };
const landscapeResult: Checker = (v, p) =>
  isRecord(v) && v.kind === 'surface' ? object({ kind: literal('surface'), betas: array(finite), ...landscapeCommon })(v, p) : object({ kind: literal('line'), ...landscapeCommon })(v, p);

const schemas: Record<RunnerEvent['type'], Checker> = {
  'lesion-progress': object({ type: literal('lesion-progress'), done: count, total: count }),
  lesion: object({ type: literal('lesion'), result: lesionResult }),
  'lesion-failed': object({ type: literal('lesion-failed'), message: text }),
  'landscape-cost': object({ type: literal('landscape-cost'), evaluations: count, samples: count, secondsPerEvaluation: nonNegative }),
  'landscape-progress': object({ type: literal('landscape-progress'), kind: literal('line', 'surface'), done: count, total: count, secondsPerEvaluation: nonNegative }),
  landscape: object({ type: literal('landscape'), result: landscapeResult }),
  'landscape-ended': object({ type: literal('landscape-ended'), reason: literal('estimated', 'done', 'cancelled', 'failed') }, { message: text }),
  rejected: object({ type: literal('rejected'), message: text }),
  started: object({ type: literal('started'), backend: string(256), params: count, totalSteps: count, batch: count, notes: array(text, 100), replicas: count }, { perPixel: boolean }),
  progress: object({
    type: literal('progress'),
    epoch: count,
    epochs: count,
    step: count,
    totalSteps: count,
    loss: finite,
    accuracy: fraction,
    imagesPerSecond: nonNegative,
    etaSeconds: nonNegative,
  }),
  statistics: object({ type: literal('statistics'), statistics: object({ step: count, layers: array(layer), merges: array(mergeFlow), reuse: array(reuse) }, { residual: array(residualMap) }) }),
  pathGradients: object({ type: literal('pathGradients'), step: count, residualAdds: count, lengths: array(pathLength) }),
  evaluation,
  paused: object({ type: literal('paused'), step: count }),
  resumed: object({ type: literal('resumed'), step: count }),
  finished: object({ type: literal('finished'), result }),
  error: object({ type: literal('error'), message: text }),
};

export type LineParse = { ok: true; event: RunnerEvent } | { ok: false; error: string };

/**
 * One line of the runner's stdout as a typed event, or why it is not one: not JSON, not an object, an unknown
 * `type`, or a field missing, of the wrong type, non-finite or out of range (named by its path, e.g.
 * `progress loss: expected a finite number`). Unknown fields are refused too: the runner and this side ship together.
 */
export function parseRunnerLine(line: string): LineParse {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `not JSON (${(error as Error).message}): ${line.slice(0, 200)}` };
  }
  if (!isRecord(value)) return { ok: false, error: `not a JSON object: ${line.slice(0, 200)}` };
  const type = value.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(schemas, type)) return { ok: false, error: `unknown event type ${JSON.stringify(type)?.slice(0, 80) ?? 'undefined'}` };
  const problem = schemas[type as RunnerEvent['type']](value, '');
  return problem ? { ok: false, error: `${type} ${problem}` } : { ok: true, event: value as unknown as RunnerEvent };
}

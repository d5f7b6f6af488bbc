import { array, boolean, type Checker, isRecord, literal, nullable, number, object, string } from '../../protocol/schema';
import type { TrainEvent } from '../engine';

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

export type RunnerEvent = TrainEvent | RunnerErrorEvent;

export type RunnerCommand = 'pause' | 'resume' | 'stop';

/** The stdin line for a command. */
export function commandLine(command: RunnerCommand): string {
  return `${JSON.stringify({ command })}\n`;
}

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
const reuse = object({ block: id, groups: array(id), sources: array(id), rows: array(object({ conv: id, values: array(nullable(finite)) })) });

const result = object(
  { reason: literal('done', 'stopped', 'non-finite'), steps: count, loss: nullable(finite) },
  { evaluation, message: text },
);

const schemas: Record<RunnerEvent['type'], Checker> = {
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
  statistics: object({ type: literal('statistics'), statistics: object({ step: count, layers: array(layer), merges: array(mergeFlow), reuse: array(reuse) }) }),
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

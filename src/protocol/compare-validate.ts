/**
 * Runtime checks of the Compare view's messages, both directions: the host validates everything the
 * webview posts before reading a field, the webview drops malformed host messages.
 */
import type { CompareToHost, HostToCompare } from './compare-messages';
import { array, boolean, type Checker, decimal, isRecord, literal, nullable, number, object, string } from './schema';
import { MAX_FOLDER_DATA_BYTES } from './messages';
import { findingChecker, graphPayloadChecker, trainingRunChecker, type Validation } from './validate';
import { checkExperimentCommand } from '../train/pytorch/protocol';

const revision = number({ integer: true, min: 0 });
const side = literal(0, 1);
const knobId = string(512);
const count = number({ min: 0 });
const positive = number({ integer: true, min: 1, max: 1 << 30 });
const offset = number({ integer: true, min: 0, max: 1 << 30 });
const level = literal('info', 'warn', 'error');
const runId = number({ integer: true, min: 1 });
/** The run ids of a pair, A then B. */
const runPair: Checker = (v, p) => array(runId, 2)(v, p) ?? ((v as unknown[]).length === 2 ? null : `${p || 'message'}: expected the two runs' ids`);

const webviewSchemas: Record<CompareToHost['type'], Checker> = {
  ready: object({ type: literal('ready'), protocol: number({ integer: true }) }),
  setAblation: object({ type: literal('setAblation'), revision, side, withoutSkips: boolean }),
  requestSuggestion: object({ type: literal('requestSuggestion'), revision, side, knob: knobId }),
  applySuggestion: object({ type: literal('applySuggestion'), revision, side, knob: knobId, values: array(positive, 10_000) }),
  reveal: object({ type: literal('reveal'), revision, side, id: string(1024), range: object({ start: offset, end: offset }) }),
  trainBoth: object({ type: literal('trainBoth'), revision }, { engine: literal('browser', 'pytorch', 'auto') }),
  trainBothControl: (v, p) =>
    isRecord(v) && v.action === 'experiment'
      ? object({ type: literal('trainBothControl'), side, run: runId, action: literal('experiment'), experiment: checkExperimentCommand })(v, p)
      : object({ type: literal('trainBothControl'), side, run: runId, action: literal('pause', 'resume', 'stop') })(v, p),
  trainBothData: object({ type: literal('trainBothData'), runs: runPair, data: string(Math.ceil(MAX_FOLDER_DATA_BYTES / 3) * 4) }),
  trainBothEnded: object({ type: literal('trainBothEnded'), state: literal('finished', 'stopped', 'error'), message: string(10_000) }),
  log: object({ type: literal('log'), level, message: string(10_000) }),
};

function validateWith<T extends { type: string }>(schemas: Record<string, Checker>, value: unknown): Validation<T> {
  if (!isRecord(value)) return { ok: false, error: 'message: expected an object' };
  const type = value.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(schemas, type)) return { ok: false, error: `type: unknown message type ${JSON.stringify(type)?.slice(0, 80)}` };
  const error = schemas[type](value, '');
  return error ? { ok: false, error: `${type} ${error}` } : { ok: true, message: value as unknown as T };
}

/** Checks a message from the Compare view: the typed message, or an error naming the first bad field (never throws). */
export function validateCompareWebviewMessage(value: unknown): Validation<CompareToHost> {
  const result = validateWith<CompareToHost>(webviewSchemas, value);
  if (result.ok && result.message.type === 'reveal' && result.message.range.end < result.message.range.start) return { ok: false, error: 'reveal range: end before start' };
  return result;
}

const problem = object({ line: count, column: count, code: string(128), message: string(10_000) });
const knob = object({ id: knobId, block: string(256), param: string(256), values: array(positive, 10_000) });
const sidePayload = object({
  label: string(1024),
  file: string(1024),
  uri: string(4096),
  model: string(1024),
  withoutSkips: boolean,
  params: decimal,
  graph: nullable(graphPayloadChecker),
  problems: array(problem, 10_000),
  knobs: array(knob, 1_000),
});
const row = object({ metric: string(256), a: string(256), b: string(256), ratio: string(64), values: (v, p) => (Array.isArray(v) && v.length !== 2 ? `${p}: expected two values` : array(decimal, 2)(v, p)) });
const suggestion = object({
  knob: knobId,
  current: array(positive, 10_000),
  values: array(positive, 10_000),
  params: decimal,
  target: decimal,
  difference: number(),
  withinTolerance: boolean,
});
const point = object({ step: count, epoch: count, loss: number(), accuracy: number({ min: 0, max: 1 }) });
const depthPoint = object({ depth: count, layer: string(1024), norm: number({ min: 0 }) });

const compareRun = object({ run: trainingRunChecker, withoutSkips: boolean });
const sharedConfig = object({
  epochs: number({ integer: true, min: 1, max: 1_000_000 }),
  batch: positive,
  optimizer: literal('sgd', 'momentum', 'adam'),
  lr: number({ min: 0 }),
  momentum: number({ min: 0 }),
  weightDecay: number({ min: 0 }),
  seed: number({ integer: true }),
});

const hostSchemas: Record<HostToCompare['type'], Checker> = {
  compare: object({
    type: literal('compare'),
    revision,
    protocol: number({ integer: true }),
    direction: literal('down', 'right'),
    batch: positive,
    sides: (value, path) => (Array.isArray(value) && value.length !== 2 ? `${path}: expected two sides` : array(sidePayload, 2)(value, path)),
    rows: array(row, 100),
  }, { findings: array(findingChecker, 1000) }),
  suggestion: object({ type: literal('suggestion'), revision, side, knob: knobId, suggestion: nullable(suggestion), error: string(10_000) }),
  applied: object({ type: literal('applied'), revision, side, ok: boolean, message: string(10_000) }),
  trainingState: object({ type: literal('trainingState'), revision, state: literal('unavailable', 'running', 'finished', 'stopped', 'error'), message: string(10_000) }, { offerBrowser: boolean }),
  startTrainBoth: object({
    type: literal('startTrainBoth'),
    revision,
    runs: (value, path) => (Array.isArray(value) && value.length !== 2 ? `${path}: expected two runs` : array(compareRun, 2)(value, path)),
    config: sharedConfig,
  }, { plan: string(10_000) }),
  initialAlgebra: object({
    type: literal('initialAlgebra'),
    revision,
    runs: (value, path) => (Array.isArray(value) && value.length !== 2 ? `${path}: expected two runs` : array(compareRun, 2)(value, path)),
    config: sharedConfig,
  }),
  trainBothEvent: object({ type: literal('trainBothEvent'), side, run: runId, line: string(16 << 20) }),
  trainingPoint: object({ type: literal('trainingPoint'), revision, side, point }),
  depthGradients: object({ type: literal('depthGradients'), revision, side, step: count, points: array(depthPoint, 100_000) }),
};

/** Checks a message from the host in the Compare view: the typed message, or an error naming the first bad field (never throws). */
export function validateCompareHostMessage(value: unknown): Validation<HostToCompare> {
  return validateWith<HostToCompare>(hostSchemas, value);
}

/**
 * Runtime checks of every message that crosses the webview boundary. The host runs
 * `validateWebviewMessage` on everything the webview posts before reading a field; the webview runs
 * `validateHostMessage` (the envelope and the payload's shape) so a malformed or foreign message is
 * dropped instead of breaking the view.
 */
import type { FindingTopic } from '../core/findings';
import { GRAPH_VIEW_ACTIONS, type HostToWebview, MAX_FOLDER_DATA_BYTES, type WebviewToHost } from './messages';
import { checkExperimentCommand } from '../train/pytorch/protocol';
import { array, boolean, type Checker, decimal, isRecord, literal, nullable, number, object, recordOf, string } from './schema';

/** A validator's answer: the message, typed, or an error such as "trainingProgress progress.loss: expected a finite number". */
export type Validation<T> = { ok: true; message: T } | { ok: false; error: string };

const uri = string(4096);
const version = number({ integer: true, min: 0 });
const offset = number({ integer: true, min: 0, max: 1 << 30 });
const range = object({ start: offset, end: offset });
const id = string(1024);
const finite = number();
const count = number({ min: 0 });

const progress = object({
  epoch: count,
  epochs: count,
  step: count,
  stepsPerEpoch: count,
  loss: number(),
  accuracy: number(),
  imagesPerSecond: count,
  etaSeconds: count,
  backend: string(64),
});

const backendChoice = literal('auto', 'webgpu', 'webgl', 'wasm', 'cpu');
const engineChoice = literal('browser', 'pytorch', 'auto');

/** Webview → host: one schema per message type. Fields are exact; unknown fields are rejected. */
const webviewSchemas: Record<WebviewToHost['type'], Checker> = {
  ready: object({ type: literal('ready'), uri, version, protocol: number({ integer: true }) }),
  reveal: object({ type: literal('reveal'), uri, version, id, range }),
  selectModel: object({ type: literal('selectModel'), uri, version, model: string(256) }),
  viewState: object({ type: literal('viewState'), uri, version, direction: literal('down', 'right') }),
  exportResult: object({ type: literal('exportResult'), uri, version, requestId: number({ integer: true, min: 0 }), format: literal('svg', 'png'), data: string(256 << 20) }),
  log: object({ type: literal('log'), uri, version, level: literal('info', 'warn', 'error'), message: string(10_000) }),
  trainingRequest: object({ type: literal('trainingRequest'), uri, version, backend: nullable(backendChoice) }, { engine: nullable(engineChoice) }),
  trainingControl: (v, p) =>
    isRecord(v) && v.action === 'experiment'
      ? object({ type: literal('trainingControl'), uri, version, run: number({ integer: true, min: 1 }), action: literal('experiment'), experiment: checkExperimentCommand })(v, p)
      : object({ type: literal('trainingControl'), uri, version, run: number({ integer: true, min: 1 }), action: literal('pause', 'resume', 'stop') })(v, p),
  trainingData: object({ type: literal('trainingData'), uri, version, run: number({ integer: true, min: 1 }), data: string(Math.ceil(MAX_FOLDER_DATA_BYTES / 3) * 4) }),
  trainingProgress: object({ type: literal('trainingProgress'), uri, version, progress }),
  trainingEnded: object({ type: literal('trainingEnded'), uri, version, reason: literal('finished', 'stopped', 'error'), message: string(10_000) }),
};

/** Checks a message from the graph view: the typed message, or an error naming the first bad field (never throws). */
export function validateWebviewMessage(value: unknown): Validation<WebviewToHost> {
  if (!isRecord(value)) return { ok: false, error: 'message: expected an object' };
  const type = value.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(webviewSchemas, type)) return { ok: false, error: `type: unknown message type ${JSON.stringify(type)?.slice(0, 80)}` };
  const error = webviewSchemas[type as WebviewToHost['type']](value, '');
  if (error) return { ok: false, error: `${type} ${error}` };
  const message = value as unknown as WebviewToHost;
  if (message.type === 'reveal' && message.range.end < message.range.start) return { ok: false, error: 'reveal range: end before start' };
  return { ok: true, message };
}

// ── Host → webview ──

const shape = nullable(array(number({ integer: true, min: 0 }), 8));
const segment = object({ source: id, label: string(2048), channels: count });
const node = object({
  id,
  kind: string(64),
  label: string(1024),
  shape,
  featureMaps: nullable(count),
  provenanceText: string(1 << 16),
  provenance: array(segment),
  params: decimal,
  macs: decimal,
  memoryBytes: decimal,
  range,
  line: count,
  group: nullable(id),
  merge: nullable(literal('add', 'concat')),
  sharedWith: nullable(id),
});
const dense = object({ layers: array(id), sources: array(string(1024)), channels: array(array(count)) });
const group = object({
  id,
  label: string(1024),
  block: string(1024),
  parent: nullable(id),
  collapsed: boolean,
  params: decimal,
  macs: decimal,
  range,
  line: count,
  output: nullable(id),
  outputShape: shape,
  size: count,
  depth: count,
  dense: nullable(dense),
  sharedWith: nullable(id),
});
const TOPICS: readonly FindingTopic[] = ['width', 'parameters', 'macs', 'activations', 'training-memory', 'efficient-memory', 'depth', 'paths', 'skips', 'accuracy', 'gradients'];
/** A finding (payload `FindingPayload`): nodes[i] are model i's ids, at most two models. */
export const findingChecker: Checker = object({
  topic: literal(...TOPICS),
  text: string(10_000),
  values: recordOf(string(1024), 1000),
  nodes: array(array(id, 100_000), 2),
});
const answersChecker: Checker = object({
  findings: array(findingChecker, 1000),
  paths: array(object({ length: number({ integer: true, min: 0 }), count: decimal }), 100_000),
});
const edge = object({ id: string(4096), source: id, target: id, channels: nullable(count), kind: literal('data', 'dense', 'chain') });
const graph = object({
  model: string(1024),
  models: array(string(1024)),
  inputShape: array(count, 8),
  totals: object({ params: decimal, macs: decimal, activationBytes: decimal, layers: count }),
  nodes: array(node),
  groups: array(group),
  edges: array(edge),
  complete: boolean,
}, { answers: answersChecker });
/** The graph payload's schema, for other views that carry graphs (the Compare view). */
export const graphPayloadChecker: Checker = graph;
const diagnostics = object({ errors: count, warnings: count, firstError: string(10_000), firstErrorLine: count });
const settings = object({ direction: literal('down', 'right'), collapseThreshold: number({ integer: true, min: 1 }) });
const statistics = object({}, { weightNorm: finite, gradientNorm: finite, updateRatio: finite, activationMean: finite, activationStd: finite, zeroFraction: finite });

const builtinDataset = object({ kind: literal('builtin'), name: literal('mnist', 'fashion-mnist'), url: string(8192) });
const folderDataset = object({
  kind: literal('folder'),
  path: string(4096),
  classes: array(string(1024), 1000),
  images: array(object({ label: number({ integer: true, min: 0, max: 999 }), name: string(4096), data: string(64 << 20) }), 200_000),
});
const cifarDataset = object({ kind: literal('cifar'), name: literal('cifar10', 'cifar100'), url: string(8192) });
/** The data source is a union on `kind`: check against the matching variant so the error names the real problem. */
const datasetSource: Checker = (v, p) => (isRecord(v) && v.kind === 'folder' ? folderDataset(v, p) : isRecord(v) && v.kind === 'cifar' ? cifarDataset(v, p) : builtinDataset(v, p));
/** Checks a TrainingRun (model text up to 16 MiB, statistics interval 1…1,000,000 steps, one data source). */
export const trainingRunChecker: Checker = object(
  { model: string(1024), text: string(16 << 20), backend: backendChoice, statsInterval: number({ integer: true, min: 1, max: 1_000_000 }), dataset: datasetSource },
  { engine: literal('browser', 'pytorch'), runId: number({ integer: true, min: 1 }) },
);

const hostSchemas: Record<HostToWebview['type'], Checker> = {
  init: object({ type: literal('init'), uri, version, protocol: number({ integer: true }), settings, graph: nullable(graph), diagnostics }),
  graph: object({ type: literal('graph'), uri, version, graph, diagnostics }),
  status: object({ type: literal('status'), uri, version, diagnostics }),
  settings: object({ type: literal('settings'), uri, version, settings }),
  highlight: object({ type: literal('highlight'), uri, version, ids: array(id) }),
  exportRequest: object({ type: literal('exportRequest'), uri, version, requestId: number({ integer: true, min: 1 }), format: literal('svg', 'png'), theme: literal('current', 'print') }, { wrap: boolean }),
  viewAction: object({ type: literal('viewAction'), uri, version, action: literal(...GRAPH_VIEW_ACTIONS) }),
  train: object({ type: literal('train'), uri, version, action: literal('start', 'pause', 'resume', 'stop') }),
  startTraining: object({ type: literal('startTraining'), uri, version, run: trainingRunChecker }),
  trainingRefused: object({ type: literal('trainingRefused'), uri, version, message: string(10_000) }, { offerBrowser: boolean }),
  trainingEngine: object({ type: literal('trainingEngine'), uri, version, info: object({ engine: literal('browser', 'pytorch', 'none'), reason: string(10_000), speed: nullable(string(1000)) }) }),
  trainingEvent: object({ type: literal('trainingEvent'), uri, version, run: number({ integer: true, min: 1 }), line: string(16 << 20) }),
  trainingStatistics: object({
    type: literal('trainingStatistics'),
    uri,
    version,
    step: count,
    layers: recordOf(statistics),
    merges: array(object({ node: id, inputNorms: array(finite) })),
    reuse: array(object({ group: id, values: array(array(finite)) })),
  }),
};

/** Checks a message from the host in the graph view: the typed message, or an error naming the first bad field (never throws). */
export function validateHostMessage(value: unknown): Validation<HostToWebview> {
  if (!isRecord(value)) return { ok: false, error: 'message: expected an object' };
  const type = value.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(hostSchemas, type)) return { ok: false, error: `type: unknown message type ${JSON.stringify(type)?.slice(0, 80)}` };
  const error = hostSchemas[type as HostToWebview['type']](value, '');
  return error ? { ok: false, error: `${type} ${error}` } : { ok: true, message: value as unknown as HostToWebview };
}

/**
 * Drops messages about another document or an older version than the newest seen. Versions only grow
 * for one document; a different uri resets the tracker (the panel was pointed at another file).
 */
export class StalenessFilter {
  private uri = '';
  private version = -1;

  /** True when the message is current (and records its version); false when it should be dropped. */
  accept(message: { uri: string; version: number }, expectedUri?: string): boolean {
    if (expectedUri !== undefined && message.uri !== expectedUri) return false;
    if (message.uri !== this.uri) {
      this.uri = message.uri;
      this.version = message.version;
      return true;
    }
    if (message.version < this.version) return false;
    this.version = message.version;
    return true;
  }

  get current(): { uri: string; version: number } {
    return { uri: this.uri, version: this.version };
  }
}

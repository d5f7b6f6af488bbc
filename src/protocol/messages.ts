/**
 * The graph webview's message protocol: one union per direction. Every message names the document
 * (`uri`, as `Uri.toString()`) and the document `version` it was computed from, so either side can drop
 * messages about another document or an older version. Nothing here imports `vscode` or the DOM: the
 * extension host, the webview bundle and the tests share these types.
 *
 * Handshake: the webview posts `ready` once its script runs (uri '' before it knows one); the host answers
 * with `init` (settings + the first graph or the reason there is none); afterwards `graph`/`status` follow
 * every throttled edit.
 */
import type { GraphPayload } from './payload';
import type { RunnerExperimentCommand } from '../train/pytorch/protocol';

/** The graph view protocol's version: `ready` and `init` carry it, and a mismatch is reported instead of misread. */
export const PROTOCOL_VERSION = 1;

/** Where the graph flows: 'down' (top to bottom, ELK's DOWN) or 'right' (left to right). */
export type LayoutDirection = 'down' | 'right';
/** An exported picture's file format. */
export type ExportFormat = 'svg' | 'png';
/** 'current': the colours on screen; 'print': dark ink on white, whatever the editor theme. */
export type ExportTheme = 'current' | 'print';
/**
 * What the graph's title-bar and overflow-menu actions ask of the view (the in-page Fit and Fit width
 * buttons run the same actions): fit the whole graph; fit its width (its height left to right) from its
 * start; lay it out in the other direction; open or close every block instance.
 */
export type GraphViewAction = 'fit' | 'fitAcross' | 'toggleDirection' | 'expandAll' | 'collapseAll';
/** Every GraphViewAction, for the validator. */
export const GRAPH_VIEW_ACTIONS: readonly GraphViewAction[] = ['fit', 'fitAcross', 'toggleDirection', 'expandAll', 'collapseAll'];

/** Offsets (UTF-16) into the document the message names. */
export interface OffsetRange {
  start: number;
  end: number;
}

interface Tagged {
  uri: string;
  version: number;
}

// ── Training: the engine runs in the webview; these carry its progress and statistics ──

/** One layer's statistics at one training step; every field optional so engines can send what they compute. */
export interface LayerStatistics {
  weightNorm?: number;
  gradientNorm?: number;
  /** ‖ΔW‖ / ‖W‖ of the last update. */
  updateRatio?: number;
  activationMean?: number;
  activationStd?: number;
  /** Fraction of outputs exactly zero (after a ReLU). */
  zeroFraction?: number;
}

export type StatisticName = keyof LayerStatistics;
export const STATISTIC_NAMES: readonly StatisticName[] = ['weightNorm', 'gradientNorm', 'updateRatio', 'activationMean', 'activationStd', 'zeroFraction'];

/** Gradient norm flowing into a merge from each of its input edges (add: identity vs residual; concat: each slice). */
export interface MergeGradientFlow {
  node: string;
  /** Same order as the merge node's inputs. */
  inputNorms: number[];
}

/** DenseNet Fig. 5: mean |weight| of each layer's first conv over the channels that came from each source. */
export interface FeatureReuseMatrix {
  group: string;
  /** rows = layers of the dense block, columns = sources (block input, then each layer); NaN-free, 0 where none. */
  values: number[][];
}

/**
 * The one loss format of a run, four significant digits (0.004321, 2.303) or a word when there is none: the
 * status bar and the training panel print the same event's loss with it, so they read alike.
 */
export function formatLoss(loss: number | undefined): string {
  if (loss === undefined) return '…';
  if (Number.isNaN(loss)) return 'NaN (diverged)';
  if (!Number.isFinite(loss)) return loss > 0 ? '∞' : '-∞';
  return loss === 0 ? '0' : String(Number(loss.toPrecision(4)));
}

/** One progress report of a run as the status bar gets it: `step` counts within the epoch, loss is the batch's. */
export interface TrainingProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  etaSeconds: number;
  backend: string;
}

/** The TensorFlow.js backend a run asks for; 'auto' tries WebGPU, then WebGL, then WASM, then CPU. */
export type TrainingBackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const TRAINING_BACKEND_CHOICES: readonly TrainingBackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Which engine trains (skipnet.train.engine): 'browser' is TensorFlow.js in the webview, 'pytorch' the user's
 * PyTorch in a child process of the extension host, 'auto' PyTorch when a Python with torch ≥ 1.13 is found.
 */
export type TrainingEngineChoice = 'browser' | 'pytorch' | 'auto';
export const TRAINING_ENGINE_CHOICES: readonly TrainingEngineChoice[] = ['browser', 'pytorch', 'auto'];

/** The engine the next run uses and why, for the training bar; 'none' where PyTorch was asked for and cannot run. */
export interface TrainingEngineInfo {
  engine: 'browser' | 'pytorch' | 'none';
  /** "PyTorch 1.13 at /usr/bin/python3, cpu", "browser: torch not found — tried: …". */
  reason: string;
  /** How much faster PyTorch would be on this model, from past runs of both engines; null when unknown or not useful. */
  speed: string | null;
}

/** One image of a workspace data folder (`dataset: "path"`), read by the extension host and decoded by the webview. */
export interface FolderImage {
  /** Index into the folder's `classes` (its sub-folder). */
  label: number;
  /** Path relative to the data folder, for error messages. */
  name: string;
  /** The file's bytes (PNG, JPEG, GIF, BMP or WebP), base64. */
  data: string;
}

/**
 * The largest decoded image folder (SKND bytes, src/train/dataset.ts encodeDataset) the page sends the host in a
 * `trainingData` message, 256 MiB: the message carries it whole, as base64 (4 characters per 3 bytes).
 */
export const MAX_FOLDER_DATA_BYTES = 256 * 1024 * 1024;

/** Where a run's images come from: a bundled data set served from the extension, or a workspace folder. */
export type TrainingDatasetSource =
  | { kind: 'builtin'; name: 'mnist' | 'fashion-mnist'; url: string }
  | { kind: 'folder'; path: string; classes: string[]; images: FolderImage[] }
  /** CIFAR read by the host from the user's folder and served as an SKND file (src/graph/cifarSource.ts). */
  | { kind: 'cifar'; name: 'cifar10' | 'cifar100'; url: string };

/** Everything the webview needs to train one model: the file's text (it analyses it itself), settings and data. */
export interface TrainingRun {
  model: string;
  /** The document text at the message's `version`. */
  text: string;
  backend: TrainingBackendChoice;
  /**
   * 'pytorch': the host runs the engine and streams its events (`trainingEvent`); the webview only displays them
   * and sends `trainingControl`. Absent or 'browser': the webview trains with TensorFlow.js.
   */
  engine?: 'browser' | 'pytorch';
  /** With engine 'pytorch': the id the host's `trainingEvent` messages of this run carry. */
  runId?: number;
  /** Steps between statistics updates (skipnet.training.statsInterval). */
  statsInterval: number;
  dataset: TrainingDatasetSource;
}

// ── Host → webview ──

/** The view settings the host sends with `init` (skipnet.graph.direction, skipnet.graph.collapseThreshold: nodes shown before blocks collapse). */
export interface GraphSettings {
  direction: LayoutDirection;
  collapseThreshold: number;
}

/** The file's diagnostics as the view's banner shows them: counts, and the first error with its 1-based line. */
export interface DiagnosticsSummary {
  errors: number;
  warnings: number;
  /** First error's text and line (1-based), for the banner; empty when none. */
  firstError: string;
  firstErrorLine: number;
}

/**
 * Every message the extension host sends the graph view, one typed union (checked by validateHostMessage): each is
 * tagged with the document's URI and version (`Tagged`), so a view drops what belongs to an older text.
 */
export type HostToWebview =
  | (Tagged & { type: 'init'; protocol: number; settings: GraphSettings; graph: GraphPayload | null; diagnostics: DiagnosticsSummary })
  /** A new good graph (the file has no errors). */
  | (Tagged & { type: 'graph'; graph: GraphPayload; diagnostics: DiagnosticsSummary })
  /** The file has errors: keep the last good graph and show the count. */
  | (Tagged & { type: 'status'; diagnostics: DiagnosticsSummary })
  | (Tagged & { type: 'settings'; settings: GraphSettings })
  /** Nodes and groups the editor cursor's line produced; empty clears. */
  | (Tagged & { type: 'highlight'; ids: string[] })
  /** `wrap`: a long top-down drawing cut into side-by-side columns of about 3:2 (src/drawing/wrap.ts); absent: false. */
  | (Tagged & { type: 'exportRequest'; requestId: number; format: ExportFormat; theme: ExportTheme; wrap?: boolean })
  /** A view action of the panel's title bar or overflow menu; the view answers a direction change with `viewState`. */
  | (Tagged & { type: 'viewAction'; action: GraphViewAction })
  /** 'start' asks the webview to request a run (as its Start button does); the others act on the current run. */
  | (Tagged & { type: 'train'; action: 'start' | 'pause' | 'resume' | 'stop' })
  /** Starts training `run` (the answer to `trainingRequest`, or the skipnet.train command). */
  | (Tagged & { type: 'startTraining'; run: TrainingRun })
  /** The host cannot start a run (untrusted workspace, unreadable data folder, …): show why. */
  | (Tagged & { type: 'trainingRefused'; message: string; offerBrowser?: boolean })
  /** The engine the next run uses and why (sent when the view opens, when settings change, and with each start). */
  | (Tagged & { type: 'trainingEngine'; info: TrainingEngineInfo })
  /**
   * One event of a run the host trains (engine 'pytorch'): a JSON line of the PyTorch runner's protocol
   * (src/train/pytorch/protocol.ts; the engine's TrainEvent or `error`), checked again by the webview.
   */
  | (Tagged & { type: 'trainingEvent'; run: number; line: string })
  | (Tagged & { type: 'trainingStatistics'; step: number; layers: Record<string, LayerStatistics>; merges: MergeGradientFlow[]; reuse: FeatureReuseMatrix[] });

// ── Webview → host ──

/**
 * Every message the graph view sends the host, one typed union; the host checks each with validateWebviewMessage
 * and logs and drops a malformed one instead of acting on it.
 */
export type WebviewToHost =
  | (Tagged & { type: 'ready'; protocol: number })
  /** Reveal and select this range of the document (a node's or a block call's source). */
  | (Tagged & { type: 'reveal'; id: string; range: OffsetRange })
  | (Tagged & { type: 'selectModel'; model: string })
  /** The direction the drawing is laid out in: sent with the first drawing and after each change of direction, once drawn. */
  | (Tagged & { type: 'viewState'; direction: LayoutDirection })
  /** Export data: an SVG text or a PNG as base64. `requestId` 0 when started from the view's button. */
  | (Tagged & { type: 'exportResult'; requestId: number; format: ExportFormat; data: string })
  | (Tagged & { type: 'log'; level: 'info' | 'warn' | 'error'; message: string })
  /** The view's Start/Restart button: the host answers with `startTraining` (or `trainingRefused`). null: the setting's backend (engine: the setting's engine). */
  | (Tagged & { type: 'trainingRequest'; backend: TrainingBackendChoice | null; engine?: TrainingEngineChoice | null })
  /** Pause, resume or stop run `run` the host trains (engine 'pytorch'); the host answers with the runner's events. */
  | (Tagged & { type: 'trainingControl'; run: number; action: 'pause' | 'resume' | 'stop' })
  /**
   * An experiment on run `run`'s paused or final weights (lesion study, Veit et al. 2016 §4; loss landscape, Li et al.
   * 2018 §4), or its cancel: the host writes it to the runner, which answers with lesion-* / landscape-* events.
   */
  | (Tagged & { type: 'trainingControl'; run: number; action: 'experiment'; experiment: RunnerExperimentCommand })
  /**
   * A data folder run `run` trains on the PyTorch engine, decoded by the page as for the browser engine: the SKND
   * bytes (encodeDataset; H·W·C u8 pixels per image, NHWC) as base64, at most MAX_FOLDER_DATA_BYTES decoded. The host
   * starts the runner with it as the data file.
   */
  | (Tagged & { type: 'trainingData'; run: number; data: string })
  | (Tagged & { type: 'trainingProgress'; progress: TrainingProgress })
  | (Tagged & { type: 'trainingEnded'; reason: 'finished' | 'stopped' | 'error'; message: string });

/** The `type` tags of each direction, for dispatch tables. */
export type HostMessageType = HostToWebview['type'];
export type WebviewMessageType = WebviewToHost['type'];

/** What the webview keeps with `setState` so a reload restores the same view. */
export interface WebviewState {
  uri: string;
  model: string;
  view: { x: number; y: number; scale: number } | null;
  /** Collapse choices the user made (group id → collapsed), applied over the defaults. */
  collapsed: Record<string, boolean>;
  selected: string | null;
  /** The training panel folded to its control row, and its height in CSS pixels (null: natural). */
  training?: { collapsed: boolean; height: number | null };
}

/**
 * The Compare view's message protocol (command `skipnet.compareModels`): two models side by side, their
 * numbers, the no-skip ablation of either side and parameter-matched size suggestions. One union per
 * direction; nothing here imports `vscode` or the DOM.
 *
 * The two sides may come from two documents, so messages carry a host `revision` instead of a document
 * version: the host raises it with every `compare` message it sends, the webview echoes the revision
 * its request was made against, and the host ignores requests older than what is on screen.
 *
 * Handshake: the webview posts `ready`; the host answers with `compare`, and sends a new `compare` after
 * every (throttled) edit of either document or ablation switch.
 */
import type { TrainingConfig } from '../core/graph';
import type { OffsetRange, TrainingEngineChoice, TrainingRun } from './messages';
import type { RunnerExperimentCommand } from '../train/pytorch/protocol';
import type { FindingPayload, GraphPayload } from './payload';

/** The Compare view protocol's version, carried by `ready` and `compare`. */
export const COMPARE_PROTOCOL_VERSION = 1;

/** 0: the left model ("A"), 1: the right model ("B"). */
export type SideIndex = 0 | 1;

/** An error of a side's analysis (with the ablation, the shapes that no longer fit), located in its file. */
export interface CompareProblem {
  line: number;
  column: number;
  code: string;
  message: string;
}

/** A size knob of the model (see core `sizeKnobs`): a block parameter written as numbers. */
export interface CompareKnob {
  /** "dense_block.k" */
  id: string;
  block: string;
  param: string;
  /** The numbers written for it, in source order. */
  values: number[];
}

/** One side of the pair as Compare draws it: its graph (NHWC shapes, exact decimal counts), its totals and its problems. */
export interface CompareSidePayload {
  /** "resnet20", or "resnet20 without skips" with the ablation on. */
  label: string;
  /** The file's name, for display; `uri` identifies it. */
  file: string;
  uri: string;
  model: string;
  withoutSkips: boolean;
  /** Trainable parameters of what is drawn ('0' when there is no graph), decimal digits: exact past 2^53. */
  params: string;
  /** Null when the model cannot be drawn (no such model, or the file does not parse). */
  graph: GraphPayload | null;
  problems: CompareProblem[];
  /** Empty with the ablation on: suggestions edit the model as written. */
  knobs: CompareKnob[];
}

/** One line of the comparison table (the rows of `skipnet compare`). */
export interface CompareRow {
  metric: string;
  a: string;
  b: string;
  /** b / a, two decimals, or "∞". */
  ratio: string;
  /** The exact quantities of a and b as decimal digits (bytes for the memory rows, which `a` and `b` round). */
  values: [string, string];
}

/** A width or growth-rate setting that brings one side's parameter count next to the other's (within the stated ratio). */
export interface ParameterSuggestion {
  knob: string;
  /** The numbers as written now and as suggested, one per literal of the knob. */
  current: number[];
  values: number[];
  /** Parameters with the suggested values, and the other side's count it aims at, as decimal digits. */
  params: string;
  target: string;
  /** params / target − 1. */
  difference: number;
  /** |difference| ≤ 5%. */
  withinTolerance: boolean;
}

/** One step of a "Train both" run (the same training engine as Train here), for the overlaid curves. */
export interface CompareTrainingPoint {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
}

/** Gradient norm of each weighted layer by depth (distance from the input), for the vanishing-gradient plot. */
export interface DepthGradient {
  depth: number;
  layer: string;
  norm: number;
}

/** Where Train both stands: 'unavailable' (a side has errors), 'running', or how the pair ended. */
export type CompareTrainingState = 'unavailable' | 'running' | 'finished' | 'stopped' | 'error';

/** Side A's train section without its data set: both runs use it, so both see the same batches in the same order. */
export type SharedTrainingConfig = Omit<TrainingConfig, 'dataset'>;

/**
 * One side of a Train both run: the graph view's run (text, model, backend, data) plus the side's ablation switch.
 * With `run.engine` 'pytorch' the host trains the side in a runner process and streams its events as
 * `trainBothEvent` lines tagged with the side and `run.runId`; the page only draws them.
 */
export interface CompareTrainingRun {
  run: TrainingRun;
  withoutSkips: boolean;
}

// ── Host → webview ──

/** Every message the host sends the Compare view, one typed union checked by validateCompareHostMessage. */
export type HostToCompare =
  /** `findings`: sentences about the pair (core `findings(a, b)`), absent when either side does not analyse. */
  | { type: 'compare'; revision: number; protocol: number; direction: 'down' | 'right'; batch: number; sides: [CompareSidePayload, CompareSidePayload]; rows: CompareRow[]; findings?: FindingPayload[] }
  /** The answer to `requestSuggestion`; `error` is '' when `suggestion` is set. */
  | { type: 'suggestion'; revision: number; side: SideIndex; knob: string; suggestion: ParameterSuggestion | null; error: string }
  /** The outcome of `applySuggestion` (the edit itself arrives as the next `compare`). */
  | { type: 'applied'; revision: number; side: SideIndex; ok: boolean; message: string }
  /**
   * Train both: the state of the pair (refusals come from the host), a point of one side's curve and its
   * gradient norms by depth. The page's own runs (after `startTrainBoth`) draw the same points directly.
   */
  | { type: 'trainingState'; revision: number; state: CompareTrainingState; message: string; offerBrowser?: boolean }
  /**
   * The answer to `trainBoth`: the webview runs both models itself (train.js, like the graph view), on the
   * same data set (side A's) with `config` (side A's train section), and draws their points as they come.
   * With the PyTorch engine (both runs' `engine` 'pytorch') the host trains them and `plan` says how the two
   * share the machine ("PyTorch 1.13 · cpu · both at once, 1 thread each: about …").
   */
  | { type: 'startTrainBoth'; revision: number; runs: [CompareTrainingRun, CompareTrainingRun]; config: SharedTrainingConfig; plan?: string }
  /**
   * After a `compare` whose pair could train in the browser: what the page needs to measure both sides' merge algebra
   * at initialisation before any run (one forward pass of the seeded initial weights over the first batch, by the
   * training worker Train both uses, at learning rate 0), as `skipnet algebra` measures it. The same runs and config
   * Train both would get; the page measures again only when they differ from the last ones it measured.
   */
  | { type: 'initialAlgebra'; revision: number; runs: [CompareTrainingRun, CompareTrainingRun]; config: SharedTrainingConfig }
  /**
   * One event of a side the host trains (engine 'pytorch'): a JSON line of the PyTorch runner's protocol
   * (src/train/pytorch/protocol.ts), for run `run` of side `side`. No revision: an edit ends the pair, and the
   * events of its end must still reach the page.
   */
  | { type: 'trainBothEvent'; side: SideIndex; run: number; line: string }
  | { type: 'trainingPoint'; revision: number; side: SideIndex; point: CompareTrainingPoint }
  | { type: 'depthGradients'; revision: number; side: SideIndex; step: number; points: DepthGradient[] };

// ── Webview → host ──

/** Every message the Compare view sends the host, one typed union checked by validateCompareWebviewMessage; a malformed one is logged and dropped. */
export type CompareToHost =
  | { type: 'ready'; protocol: number }
  | { type: 'setAblation'; revision: number; side: SideIndex; withoutSkips: boolean }
  | { type: 'requestSuggestion'; revision: number; side: SideIndex; knob: string }
  /** Write the suggestion back; `values` are the ones shown, so the host can refuse if the file moved on. */
  | { type: 'applySuggestion'; revision: number; side: SideIndex; knob: string; values: number[] }
  | { type: 'reveal'; revision: number; side: SideIndex; id: string; range: OffsetRange }
  /** `engine`: the engine asked for (the "Train both in the browser" button after a refusal); absent: skipnet.train.engine. */
  | { type: 'trainBoth'; revision: number; engine?: TrainingEngineChoice }
  /** Pause, resume or stop run `run` of side `side` that the host trains (engine 'pytorch'); the runner obeys at its next step boundary. */
  | { type: 'trainBothControl'; side: SideIndex; run: number; action: 'pause' | 'resume' | 'stop' }
  /**
   * An experiment on the paused or final weights of a side the host trains (lesion study, Veit et al. 2016 §4; loss
   * landscape, Li et al. 2018 §4), or its cancel; the runner answers with lesion-* / landscape-* events.
   */
  | { type: 'trainBothControl'; side: SideIndex; run: number; action: 'experiment'; experiment: RunnerExperimentCommand }
  /**
   * The image folder of a Train both pair on the PyTorch engine (runs `runs`, A then B), decoded once by this page at
   * side A's input size as the browser engine decodes it (webview/training/folder-dataset.ts): SKND bytes
   * (encodeDataset; H·W·C u8 pixels per image, NHWC) as base64, at most MAX_FOLDER_DATA_BYTES decoded. The host
   * writes them to one data file that both runners read.
   */
  | { type: 'trainBothData'; runs: [number, number]; data: string }
  /** A Train both run ended (or could not start); the host logs it. */
  | { type: 'trainBothEnded'; state: Exclude<CompareTrainingState, 'unavailable' | 'running'>; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** What the compare webview keeps with `setState` so a reload restores the same pair. */
export interface CompareWebviewState {
  sides: { uri: string; model: string; withoutSkips: boolean }[];
}

/** Largest |difference| a suggestion may have to count as parameter-matched. */
export const MATCH_TOLERANCE = 0.05;

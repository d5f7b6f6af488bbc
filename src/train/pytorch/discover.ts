import { type PythonWithTorch, tryPython } from './python';
import { TrainError } from '../errors';

/**
 * Which Python the extension trains with, and which engine "Train here" uses. Python: the interpreter the VS Code
 * Python extension has active for the file, then the `skipnet.python` setting, then `python3` and `python` on
 * PATH; the first that imports PyTorch ≥ 1.13 wins. Node only, no vscode: the extension passes the Python
 * extension's answer in as a function, the setting, the workspace's trust and the measured speeds, so the rules
 * are tested on their own.
 */

/** Where a candidate interpreter came from, as the engine bar names it. */
export type PythonOrigin = 'Python extension' | 'skipnet.python' | 'PATH';

export interface PythonSources {
  /** The Python extension's active interpreter for the file (undefined: the extension is absent or has none). */
  activeInterpreter?: () => Promise<string | undefined>;
  /** The `skipnet.python` setting: an interpreter path or a command on PATH; empty or absent: not set. */
  setting?: string;
  /** Environment of the probes, PATH included (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds one interpreter may take to import torch (default 60 s). */
  timeoutMs?: number;
}

export interface PythonDiscovery {
  /** The interpreter found and where it came from; null when none imports a new enough PyTorch. */
  found: (PythonWithTorch & { origin: PythonOrigin }) | null;
  /** Every interpreter tried before the answer, with why it was passed over (`python3 (PATH): no PyTorch (…)`). */
  tried: string[];
}

/** Candidates in the order tried, each command once (the setting may name the interpreter the extension has active). */
export async function pythonCandidates(sources: PythonSources): Promise<{ command: string; origin: PythonOrigin }[]> {
  const candidates: { command: string; origin: PythonOrigin }[] = [];
  let active: string | undefined;
  try {
    active = await sources.activeInterpreter?.();
  } catch {
    // An extension that fails to answer is an extension that is not there: the other sources follow.
    active = undefined;
  }
  if (active) candidates.push({ command: active, origin: 'Python extension' });
  const setting = sources.setting?.trim();
  if (setting) candidates.push({ command: setting, origin: 'skipnet.python' });
  candidates.push({ command: 'python3', origin: 'PATH' }, { command: 'python', origin: 'PATH' });
  return candidates.filter((c, i) => candidates.findIndex((d) => d.command === c.command) === i);
}

/** Tries the candidates in order (see the file's comment); never throws for a missing or broken interpreter. */
export async function discoverPython(sources: PythonSources = {}): Promise<PythonDiscovery> {
  const tried: string[] = [];
  for (const { command, origin } of await pythonCandidates(sources)) {
    const answer = await tryPython(command, { env: sources.env, timeoutMs: sources.timeoutMs });
    if ('python' in answer) return { found: { ...answer.python, origin }, tried };
    tried.push(`${answer.reason} (from ${origin})`);
  }
  return { found: null, tried };
}

/**
 * skipnet.train.engine: 'browser' (TensorFlow.js in the webview), 'pytorch' (the user's PyTorch in a child
 * process of the extension host), 'auto' (PyTorch when found, else the browser). PyTorch runs only in a
 * trusted workspace: it executes an interpreter the workspace may name.
 */

export type EngineSetting = 'browser' | 'pytorch' | 'auto';
export const ENGINE_SETTINGS: readonly EngineSetting[] = ['browser', 'pytorch', 'auto'];

export type EngineDecision =
  /** Train with this engine; `reason` is the bar's sentence ("PyTorch 1.13 at /usr/bin/python3, cpu"). */
  | { engine: 'browser'; reason: string; python: PythonWithTorch | null }
  | { engine: 'pytorch'; reason: string; python: PythonWithTorch }
  /** PyTorch was asked for and cannot run: `message` says what was tried; the bar offers the browser engine. */
  | { engine: 'none'; message: string };

/** Where PyTorch would compute with device 'auto' (the runner's own order: CUDA, then MPS, else the CPU). */
export function torchDevice(python: PythonWithTorch): 'cuda' | 'mps' | 'cpu' {
  return python.cuda ? 'cuda' : python.mps ? 'mps' : 'cpu';
}

/** "PyTorch 1.13 at /usr/bin/python3, cpu": the version's first two numbers, the interpreter that answered. */
export function describeTorch(python: PythonWithTorch): string {
  const version = /^(\d+\.\d+)/.exec(python.torch)?.[1] ?? python.torch;
  return `PyTorch ${version} at ${python.executable || python.command}, ${torchDevice(python)}`;
}

/** The engine for a run (see the file's comment). `discovery` is null where it was not run (untrusted workspace). */
export function chooseEngine(setting: EngineSetting, trusted: boolean, discovery: PythonDiscovery | null): EngineDecision {
  const found = trusted ? (discovery?.found ?? null) : null;
  if (setting === 'browser') return { engine: 'browser', reason: 'browser (skipnet.train.engine is browser)', python: found };
  if (!trusted) {
    const why = 'PyTorch runs only in a trusted workspace (it starts a Python interpreter)';
    return setting === 'auto' ? { engine: 'browser', reason: `browser: ${why}`, python: null } : { engine: 'none', message: `${why}. Trust this workspace, or train in the browser.` };
  }
  if (found) return { engine: 'pytorch', reason: describeTorch(found), python: found };
  const tried = discovery && discovery.tried.length > 0 ? discovery.tried.join('; ') : 'nothing';
  if (setting === 'auto') return { engine: 'browser', reason: `browser: torch not found — tried: ${tried}`, python: null };
  return { engine: 'none', message: `PyTorch engine: torch 1.13 or newer not found — tried: ${tried}. Install PyTorch, set skipnet.python to a Python that has it, or train in the browser.` };
}

/** Images per second measured on one model, by engine (the latest run's last report). */
export interface MeasuredSpeeds {
  browser?: number;
  pytorch?: number;
}

/**
 * What the bar says about speed when PyTorch is found but the browser trains: the ratio of the two engines'
 * last measured speeds on this model, or null when either has not run it yet.
 */
export function speedNote(decision: EngineDecision, speeds: MeasuredSpeeds | undefined): string | null {
  if (decision.engine !== 'browser' || !decision.python || !speeds?.browser || !speeds.pytorch) return null;
  const ratio = speeds.pytorch / speeds.browser;
  const figures = `${Math.round(speeds.pytorch)} vs ${Math.round(speeds.browser)} img/s in past runs of this model`;
  if (ratio >= 1.05) return `PyTorch would be about ${ratio.toFixed(1)}× faster here (${figures})`;
  if (ratio <= 0.95) return `PyTorch would be about ${(1 / ratio).toFixed(1)}× slower here (${figures})`;
  return `PyTorch would train about as fast here (${figures})`;
}

/** The most processes skipnet.train.processes allows (package.json's maximum). */
export const MAX_TRAIN_PROCESSES = 64;

/**
 * skipnet.train.processes as the runner's `nproc`: processes sharing each batch (undefined, the setting unset: 1).
 * A value that is not a whole number from 1 to MAX_TRAIN_PROCESSES is refused, not clamped, so the run never uses
 * another count than the one asked for. Throws a TrainError naming the setting and the value.
 */
export function trainProcesses(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TRAIN_PROCESSES) return value;
  throw new TrainError(`The setting skipnet.train.processes is ${JSON.stringify(value)}; it must be a whole number from 1 to ${MAX_TRAIN_PROCESSES} (the PyTorch processes that share each batch).`, 'unsupported');
}

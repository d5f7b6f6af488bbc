import { type PythonWithTorch, tryPython } from './python';

/**
 * Which Python the extension trains with: the interpreter the VS Code Python extension has active for the file,
 * then the `skipnet.python` setting, then `python3` and `python` on PATH; the first that imports PyTorch ≥ 1.13
 * wins. Node only, no vscode: the extension passes the Python extension's answer in as a function, so tests can
 * pass a fake one.
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

import { execFile } from 'node:child_process';
import { TrainError } from '../errors';

/**
 * Finding a Python with PyTorch for the PyTorch engine. Node only (child_process), no vscode: the CLI and
 * the extension host share it (the extension passes the interpreter the Python extension selected).
 */

/** The oldest PyTorch the runner supports (python/skipnet_train.py checks it again). */
export const MIN_TORCH: readonly [number, number] = [1, 13];

export interface PythonWithTorch {
  /** What was asked for: a path, or `python3` / `python` looked up on PATH. */
  command: string;
  /** sys.executable: the interpreter that answered. */
  executable: string;
  /** Python's version, e.g. `3.11.7`. */
  python: string;
  /** torch.__version__, e.g. `2.3.1+cu121` or `1.13.0a0`. */
  torch: string;
  cuda: boolean;
  mps: boolean;
}

export interface FindPythonOptions {
  /** An interpreter chosen by the user: only this one is tried (a wrong choice is reported, never replaced). */
  python?: string;
  /** Milliseconds one interpreter may take to import torch and answer (default 60 s: a CUDA build is slow to import). */
  timeoutMs?: number;
  /** Environment of the probes, PATH included (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

// Prints one marked line, so whatever a sitecustomize or a warning prints around it does not matter.
const PROBE = [
  'import json, sys',
  'out = {"executable": sys.executable, "python": sys.version.split()[0]}',
  'try:',
  '    import torch',
  '    out["torch"] = torch.__version__',
  '    out["cuda"] = bool(torch.cuda.is_available())',
  '    mps = getattr(torch.backends, "mps", None)',
  '    out["mps"] = bool(mps is not None and mps.is_available())',
  'except Exception as error:',
  '    out["error"] = type(error).__name__ + ": " + str(error)',
  'print("SKIPNET_PROBE " + json.dumps(out))',
].join('\n');

interface Probe {
  executable: string;
  python: string;
  torch?: string;
  cuda?: boolean;
  mps?: boolean;
  error?: string;
}

/** [major, minor] of a version such as `2.3.1+cu121` or `1.13.0a0`; undefined when it does not start with two numbers. */
export function torchVersion(version: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function probe(command: string, timeoutMs: number, env: NodeJS.ProcessEnv | undefined): Promise<{ probe: Probe } | { failure: string }> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE], { timeout: timeoutMs, encoding: 'utf8', windowsHide: true, env }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('SKIPNET_PROBE '));
      if (line) {
        try {
          return resolve({ probe: JSON.parse(line.slice('SKIPNET_PROBE '.length)) as Probe });
        } catch {
          // falls through to the failure below
        }
      }
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') return resolve({ failure: 'not found' });
      if (code === 'EACCES') return resolve({ failure: 'not executable' });
      if (error && (error as { killed?: boolean }).killed) return resolve({ failure: `no answer within ${Math.round(timeoutMs / 1000)} s` });
      const said = (stderr || stdout).trim().split('\n').at(-1) ?? '';
      resolve({ failure: `does not run as Python${said ? ` (${said.slice(0, 200)})` : error ? ` (${error.message.slice(0, 200)})` : ''}` });
    });
  });
}

/**
 * One interpreter: PythonWithTorch when it runs and imports PyTorch ≥ MIN_TORCH, else why it was passed over
 * (not found, not executable, no answer, no torch and the import error, torch too old), in words for a list.
 */
export async function tryPython(command: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ python: PythonWithTorch } | { reason: string }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const answer = await probe(command, timeoutMs, options.env);
  if ('failure' in answer) return { reason: `${command}: ${answer.failure}` };
  const { executable, python, torch, error } = answer.probe;
  const where = executable && executable !== command ? `${command} (${executable}, Python ${python})` : `${command} (Python ${python})`;
  if (torch === undefined) return { reason: `${where}: no PyTorch (${error ?? 'import torch failed'})` };
  const version = torchVersion(torch);
  if (!version || version[0] < MIN_TORCH[0] || (version[0] === MIN_TORCH[0] && version[1] < MIN_TORCH[1])) return { reason: `${where}: PyTorch ${torch} is older than ${MIN_TORCH.join('.')}` };
  return { python: { command, executable, python, torch, cuda: answer.probe.cuda === true, mps: answer.probe.mps === true } };
}

/** The TrainError for no usable interpreter: each one tried and why, and how to fix it. */
export function noTorchError(tried: readonly string[]): TrainError {
  return new TrainError(
    `Training with PyTorch needs a Python with PyTorch ${MIN_TORCH.join('.')} or newer. Tried:\n${tried.map((t) => `  ${t}`).join('\n')}\n` +
      `Install PyTorch into one of them (https://pytorch.org/get-started/locally/), or name a Python that has it.`,
    'backend',
  );
}

/**
 * The first interpreter with PyTorch ≥ MIN_TORCH: `options.python` alone when given, else `python3`, then
 * `python` on PATH. Throws a TrainError (code 'backend') listing every interpreter tried and why it was
 * passed over (not found, no torch and the import error, torch too old), with how to fix it.
 */
export async function findPython(options: FindPythonOptions = {}): Promise<PythonWithTorch> {
  const candidates = options.python !== undefined ? [options.python] : ['python3', 'python'];
  const tried: string[] = [];
  for (const command of candidates) {
    const answer = await tryPython(command, options);
    if ('python' in answer) return answer.python;
    tried.push(answer.reason);
  }
  throw noTorchError(tried);
}

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerEvent } from '../../src/train/pytorch/protocol';
import type { PythonWithTorch } from '../../src/train/pytorch/python';

/** Helpers of the PyTorch engine's tests (not a test file itself). */

/** Debian's python3 with python3-torch (PyTorch 1.13), installed by .ci/run: the trusted reference. */
export const PYTHON = '/usr/bin/python3';

/** The reference interpreter as findPython would answer for it, so a test skips the probe (one torch import less). */
export const DEBIAN_TORCH: PythonWithTorch = { command: PYTHON, executable: PYTHON, python: '3', torch: '1.13', cuda: false, mps: false };

/** A data set in the SKND format of scripts/data/convert.mjs (what parseDataset reads). */
export { encodeDataset } from '../../src/train/dataset';

/** An executable shell script standing in for an interpreter. */
export function fakeInterpreter(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * Whether a process exists and has not exited: a zombie (exited, waiting for its parent or init to reap it)
 * counts as gone, since reaping is not ours to wait for.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Collects a run's events and lets a test await the first one that matches (no polling, no timers). */
export class EventLog {
  readonly events: RunnerEvent[] = [];
  private waiters: { match: (e: RunnerEvent) => boolean; resolve: (e: RunnerEvent) => void }[] = [];

  readonly push = (event: RunnerEvent): void => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (!waiter.match(event)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  };

  /** The first event (already seen or still to come) that matches. */
  next(match: (e: RunnerEvent) => boolean): Promise<RunnerEvent> {
    const seen = this.events.find(match);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** `type` or `type:step` per event, e.g. `progress:3`, `evaluation:4:quick`: the shape of a run. */
  get trace(): string[] {
    return this.events.map((e) => {
      switch (e.type) {
        case 'progress':
        case 'paused':
        case 'resumed':
          return `${e.type}:${e.step}`;
        case 'statistics':
          return `statistics:${e.statistics.step}`;
        case 'evaluation':
          return `evaluation:${e.step}:${e.full ? 'full' : 'quick'}:${e.samples}`;
        case 'finished':
          return `finished:${e.result.reason}:${e.result.steps}`;
        default:
          return e.type;
      }
    });
  }
}

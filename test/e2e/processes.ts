// Waits of the end-to-end tests on SkipNet's log and on the process table (test/support/processes.ts): the PyTorch
// engine's runners are process-group leaders, and a test checks that no member of a runner's group outlives what ends it.
import { groupMembers } from '../support/processes';
import { skipnetLog, type VsCodeSession } from './session';

const TIMEOUT = 120_000;

/**
 * Waits (re-reading every 100 ms, up to 120 s) for the `index`-th match of `pattern` (global) in SkipNet's logs and
 * returns its first group as a number. Throws with the log when it never comes.
 */
export async function logged(session: VsCodeSession, pattern: RegExp, index: number): Promise<number> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const matches = [...skipnetLog(session.profile).matchAll(pattern)];
    if (matches.length > index) return Number(matches[index][1]);
    if (Date.now() > deadline) throw new Error(`SkipNet's log never matched ${pattern}:\n${skipnetLog(session.profile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits (re-checking every 100 ms, up to 120 s) until no process of the group is left; throws naming the survivors. */
export async function groupGone(group: number): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  while (groupMembers(group).length > 0) {
    if (Date.now() > deadline) throw new Error(`processes of runner group ${group} are still alive: ${groupMembers(group).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The process table as the tests read it (Linux /proc). The PyTorch engine's runners lead their own process group,
// and the tests check that no member of a runner's group outlives what ends it (Stop, an edit, a closed panel).
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether a process exists and has not exited: a zombie (exited, waiting for its parent or init to reap it)
 * counts as gone, since reaping is not ours to wait for. Rethrows a kill(0) failure other than ESRCH.
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

/** Process ids of the live members of process group `group` (its leader included), from /proc/PID/stat. */
export function groupMembers(group: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0]: state (a zombie has exited), fields[2]: process group.
      if (fields[0] !== 'Z' && Number(fields[2]) === group) members.push(Number(entry));
    } catch {
      // The process ended while the table was read.
    }
  }
  return members;
}

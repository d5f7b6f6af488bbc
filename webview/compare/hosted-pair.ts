/**
 * Train both on the PyTorch engine, as the Compare page sees it: the host trains both sides, each a HostRun whose
 * controls go back tagged with its side. With an image folder the page decodes the folder once, at side A's input
 * size as the browser engine decodes it, and posts it for both runners (`trainBothData`); a folder that fails to
 * decode ends both sides here with its located message.
 */
import type { CompareToHost, HostToCompare, SideIndex } from '../../src/protocol/compare-messages';
import { folderDataForHost } from '../training/folder-dataset';
import { HostRun } from '../training/host-run';

/**
 * The two hosted sides of a Train both request, or null when the pair trains in this page (the browser engine).
 * Starts decoding an image folder at once; its result reaches the host through `post`, or each side as an error line.
 */
export function hostedPair(message: Extract<HostToCompare, { type: 'startTrainBoth' }>, post: (message: CompareToHost) => void): [HostRun, HostRun] | null {
  if (message.runs[0].run.engine !== 'pytorch') return null;
  const hostRun = (side: SideIndex): HostRun => {
    const id = message.runs[side].run.runId ?? 0;
    return new HostRun(id, (control) => post({ type: 'trainBothControl', side, run: id, ...control }));
  };
  const pair: [HostRun, HostRun] = [hostRun(0), hostRun(1)];
  if (message.runs[0].run.dataset.kind === 'folder') {
    void folderDataForHost(message.runs[0].run).then(
      (data) => post({ type: 'trainBothData', runs: [pair[0].id, pair[1].id], data }),
      (error: unknown) => {
        const line = JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        for (const side of [0, 1] as const) {
          pair[side].receive(line);
          post({ type: 'trainBothControl', side, run: pair[side].id, action: 'stop' });
        }
      },
    );
  }
  return pair;
}

/**
 * A Train both pair as the Compare page follows it, besides its curves:
 * - on the PyTorch engine the host trains both sides, each a HostRun whose controls go back tagged with its side.
 *   With an image folder the page decodes the folder once, at side A's input size as the browser engine decodes it,
 *   and posts it for both runners (`trainBothData`); a folder that fails to decode ends both sides here with its
 *   located message;
 * - what each side's run has told so far (held-out accuracy, gradient norm by depth) becomes the run findings
 *   (src/core/findings.ts runFindings: accuracy per parameter, first against last layer's gradient).
 */
import { runFindings } from '../../src/core/findings';
import type { CompareSidePayload, CompareToHost, DepthGradient, HostToCompare, SideIndex } from '../../src/protocol/compare-messages';
import type { AnswersPanel } from '../shared/answers-panel';
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

/** The run findings of a pair: each side's latest held-out accuracy and gradient norms by depth, shown in `answers`. */
export class PairRunFindings {
  private readonly runs = [0, 1].map(() => ({ accuracy: null as number | null, gradients: [] as DepthGradient[] }));

  /** `sides()`: the pair shown now (labels and parameter counts), null before the first. */
  constructor(
    private readonly answers: AnswersPanel,
    private readonly sides: () => readonly [CompareSidePayload, CompareSidePayload] | null,
  ) {}

  /** A new pair starts: nothing measured yet. */
  reset(): void {
    for (const run of this.runs) [run.accuracy, run.gradients] = [null, []];
    this.show();
  }

  /** Side `side`'s held-out accuracy (0–1). */
  heldOut(side: SideIndex, accuracy: number): void {
    this.runs[side].accuracy = accuracy;
    this.show();
  }

  /** Side `side`'s gradient norm by depth (one point per weighted layer). */
  gradients(side: SideIndex, points: DepthGradient[]): void {
    this.runs[side].gradients = points;
    this.show();
  }

  private show(): void {
    const sides = this.sides();
    if (!sides) return;
    this.answers.setRunFindings(runFindings(this.runs.map((run, i) => ({ label: sides[i].label, params: BigInt(sides[i].params), heldOutAccuracy: run.accuracy, gradients: run.gradients }))));
  }
}

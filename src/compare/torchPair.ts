/**
 * Host side of the Compare view's "Train both" on the PyTorch engine: two runner processes, one per side, each
 * held by a TorchRunHost (the graph view's "Train here" host, src/graph/torchRun.ts), so each side gets the same
 * lifecycle as a graph view's run: its own process group, pause / resume / stop obeyed at once, a crash reported
 * with the runner's last stderr lines, and the final weights kept for the lesion study and the loss landscape
 * until the next pair. Every event line goes to the page tagged with its side; the page's TrainBoth drives one
 * HostRun per side from them (webview/training/train-both.ts).
 *
 * The two processes end together: a new pair, an edit of either file, the panel's end and the extension's
 * deactivation (which disposes every Compare panel) end both process groups; after an edit or a dispose each
 * side still gets its `finished` event, so the page's pair ends.
 *
 * An image folder is decoded once, by the page, as for the browser engine (the graph view's Train here does the same,
 * src/graph/torchRun.ts): both sides wait for its `trainBothData`, which is written to one data file that both
 * runners read, so both train on the same pixels, class order and held-out split. The file goes with the pair.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TrainingConfig } from '../core';
import type { SideIndex, SharedTrainingConfig } from '../protocol/compare-messages';
import type { RunnerExperimentCommand } from '../train/pytorch/protocol';
import type { EngineDecision } from '../train/pytorch/discover';
import { cifarFilesFor } from '../graph/cifarSource';
import type { CifarFiles } from '../train/cifar';
import { TorchRunHost } from '../graph/torchRun';
import type { SideSpec } from './model';
import type { TorchSide } from './training';

export type { TorchSide };

export interface TorchPairStart {
  /** The ids `nextIds` gave (the page's startTrainBoth carries them; every event names its run). */
  ids: [number, number];
  sides: [TorchSide, TorchSide];
  decision: Extract<EngineDecision, { engine: 'pytorch' }>;
  /** Side A's data set as the runners read it (`dataFor`). */
  data: TorchPairData;
  /** Side A's train section without its data set: both sides train with it (same seed, same batches). */
  config: SharedTrainingConfig;
  /** PyTorch CPU threads per runner (planTorchPair); undefined: the runner's default. */
  threads: number | undefined;
  statsInterval: number;
}

/** How a runner reads the data set: an SKND file, CIFAR's files, or an image folder the page decodes (named so in messages). */
export type TorchPairData = { datasetFile: string } | { cifar: CifarFiles } | { folder: string };

const LABELS = ['A', 'B'] as const;

/** The two runner processes of one Compare panel (at most one pair at a time). */
export class TorchPair implements vscode.Disposable {
  private readonly hosts: [TorchRunHost, TorchRunHost];
  private readonly documents: [vscode.Uri, vscode.Uri];
  /** The ids of a pair waiting for its decoded folder (start with a folder), until trainBothData or the next pair. */
  private awaiting: [number, number] | null = null;
  /** The folder holding the pair's decoded folder file, deleted with the pair. */
  private dataDir: string | null = null;

  /** `post` sends one runner event line of run `run` of side `side` to the page. */
  constructor(
    specs: readonly [SideSpec, SideSpec],
    private readonly extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    post: (side: SideIndex, run: number, line: string) => void,
  ) {
    this.documents = [vscode.Uri.parse(specs[0].uri, true), vscode.Uri.parse(specs[1].uri, true)];
    const host = (side: SideIndex): TorchRunHost =>
      new TorchRunHost({ documentUri: this.documents[side], log, logName: `compare side ${LABELS[side]}`, postEvent: (run, line) => post(side, run, line) });
    this.hosts = [host(0), host(1)];
  }

  /** The runners' process ids (their process groups' ids) while they are alive. */
  get pids(): [number | undefined, number | undefined] {
    return [this.hosts[0].pid, this.hosts[1].pid];
  }

  /** Ids for the next pair's two runs. */
  nextIds(): [number, number] {
    return [this.hosts[0].nextRunId(), this.hosts[1].nextRunId()];
  }

  /**
   * Where the runners read side A's data set (both train on it): the bundled file, the CIFAR files found for side
   * A's file, or the image folder the page decodes. Throws a TrainingRefusal (CIFAR not found) before anything is
   * sent to the page.
   */
  dataFor(dataset: TrainingConfig['dataset']): TorchPairData {
    if (dataset.kind === 'cifar') return { cifar: cifarFilesFor(dataset, this.documents[0]) };
    if (dataset.kind === 'builtin') return { datasetFile: vscode.Uri.joinPath(this.extensionUri, 'media', 'data', `${dataset.name}.bin`).fsPath };
    return { folder: `folder '${dataset.path}'` };
  }

  /**
   * Starts both runners (ending a pair in progress first) on side A's data set and train section. Resolves once
   * both have started or failed to; a side that cannot start gets its `error` event, the other trains on.
   */
  async start(start: TorchPairStart): Promise<void> {
    this.removeData();
    const options = (side: SideIndex) => ({
      id: start.ids[side],
      analysis: start.sides[side].analysis,
      graph: start.sides[side].graph,
      withoutSkips: start.sides[side].withoutSkips,
      decision: start.decision,
      // One process per side: the cores are split between the two (threads), not between ranks.
      nproc: 1,
      threads: start.threads,
      config: start.config,
      statsInterval: start.statsInterval,
    });
    const data = start.data;
    if ('folder' in data) {
      for (const side of [0, 1] as const) this.hosts[side].expectData(options(side), data.folder);
      this.awaiting = start.ids;
      return;
    }
    await Promise.all(([0, 1] as const).map((side) => this.hosts[side].start({ ...options(side), ...data })));
  }

  /**
   * The decoded folder (SKND bytes, base64) of the pair `runs` (A, B): written once, then both runners start on that
   * file. Data of a pair no longer waiting (stopped, replaced, edited) is dropped.
   */
  async receiveData(runs: readonly [number, number], base64: string): Promise<void> {
    if (!this.awaiting || this.awaiting[0] !== runs[0] || this.awaiting[1] !== runs[1]) return;
    this.awaiting = null;
    this.removeData();
    let file: string;
    try {
      const dir = (this.dataDir = mkdtempSync(join(tmpdir(), 'skipnet-pair-')));
      file = join(dir, 'folder.bin');
      writeFileSync(file, Buffer.from(base64, 'base64'));
    } catch {
      // No shared file (a full or read-only temporary folder): each runner is handed the bytes to write in its own
      // run folder, and a side that cannot start reports why with its error event.
      this.removeData();
      await Promise.all(([0, 1] as const).map((side) => this.hosts[side].receiveData(runs[side], base64)));
      return;
    }
    await Promise.all(([0, 1] as const).map((side) => this.hosts[side].receiveDataFile(runs[side], file)));
  }

  private removeData(): void {
    if (this.dataDir !== null) rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = null;
  }

  /** Pause, resume or stop run `run` of one side (the page sends one per side: Stop stops both at once). */
  control(side: SideIndex, run: number, action: 'pause' | 'resume' | 'stop'): void {
    this.hosts[side].control(run, action);
  }

  /** An experiment (or its cancel) on one side's paused or final weights. */
  experiment(side: SideIndex, run: number, command: RunnerExperimentCommand): void {
    this.hosts[side].experiment(run, command);
  }

  /** Either file changed (`file`: its name): both runs train old text, so both process groups end now, and each side's `finished` event says why. */
  documentEdited(file: string): void {
    for (const host of this.hosts) host.documentEdited(`${file} changed, so both PyTorch runs ended: Train both again to train the edited text.`);
  }

  dispose(): void {
    for (const host of this.hosts) host.dispose();
    this.removeData();
  }
}

/**
 * The Compare view's host side: one webview panel showing two models (of one file or two). It re-reads
 * both documents on edits (throttled), builds the `compare` message with src/compare/model.ts, switches
 * a side to its no-skip ablation, answers suggestion requests and writes an accepted one back to the
 * file as a WorkspaceEdit. Every message from the webview is validated before a field is read.
 */
import { availableParallelism, freemem } from 'node:os';
import * as vscode from 'vscode';
import { setUpSkipNetWebview } from '../graph/webviewSetup';
import { readGraphSettings } from '../graph/panel';
import { datasetSource, readTrainingSettings, TrainingRefusal } from '../graph/training';
import { decideEngine } from '../graph/torchRun';
import { type CompareToHost, type HostToCompare, type SideIndex } from '../protocol/compare-messages';
import type { TrainingEngineChoice } from '../protocol/messages';
import { validateCompareWebviewMessage } from '../protocol/compare-validate';
import { formatCount } from '../core/format';
import { buildCompareMessage, type SideSpec, suggestMatch } from './model';
import { planTorchPair, planTrainBoth, torchSides } from './training';
import { TorchPair } from './torchPair';


export const COMPARE_VIEW_TYPE = 'skipnet.compare';
const EDIT_THROTTLE_MS = 150;

/** Text of a document, open or not. */
async function readText(uri: string): Promise<string> {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(uri, true)));
  return document.getText();
}

export class ComparePanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  /** Set on dispose: answers still being prepared (Train both reads data) are then dropped. */
  private disposed = false;
  private revision = 0;
  private updateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Parameter counts on screen (what a suggestion aims at). */
  private shownParams: [bigint, bigint] = [0n, 0n];
  private readonly onDisposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDisposeEmitter.event;
  /** Train both's runner processes when it trains on PyTorch. */
  private readonly torch: TorchPair;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly specs: [SideSpec, SideSpec],
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.title = `Compare: ${specs[0].model} ↔ ${specs[1].model}`;
    setUpSkipNetWebview(panel.webview, extensionUri, { script: 'compare.js', documentUri: '', model: '', title: 'SkipNet: Compare Models' });
    this.torch = new TorchPair(specs, extensionUri, log, (side, run, line) => this.post({ type: 'trainBothEvent', side, run, line }));
    this.disposables.push(
      this.onDisposeEmitter,
      this.torch,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        const uri = event.document.uri.toString();
        const edited = this.specs.find((s) => s.uri === uri);
        if (event.contentChanges.length === 0 || !edited) return;
        // A PyTorch pair trains the old text: both process groups end at the first edit of either file.
        this.torch.documentEdited(edited.file);
        this.scheduleUpdate();
      }),
    );
  }

  get sides(): readonly SideSpec[] {
    return this.specs;
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Train both's runner process ids while they are alive (tests check they are gone after). */
  get torchPids(): [number | undefined, number | undefined] {
    return this.torch.pids;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.updateTimer);
    this.onDisposeEmitter.fire();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }

  private post(message: HostToCompare): void {
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(message);
  }

  private scheduleUpdate(): void {
    if (this.updateTimer) return;
    this.updateTimer = setTimeout(() => {
      this.updateTimer = undefined;
      void this.update();
    }, EDIT_THROTTLE_MS);
  }

  private async update(): Promise<void> {
    if (!this.ready) return;
    try {
      const texts: [string, string] = [await readText(this.specs[0].uri), await readText(this.specs[1].uri)];
      const settings = readGraphSettings();
      const message = buildCompareMessage(this.specs, texts, ++this.revision, { collapseThreshold: settings.collapseThreshold, direction: settings.direction });
      this.shownParams = [BigInt(message.sides[0].params), BigInt(message.sides[1].params)];
      this.post(message);
      await this.sendInitialAlgebra(texts);
    } catch (error) {
      this.log.error(`compare: cannot read the models: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * What the page needs to measure both sides' merge algebra at initialisation before any run: Train both's runs in
   * the browser on side A's train section. Only for the bundled data sets, whose URL costs nothing to give; a pair on
   * CIFAR or an image folder (read from the user's files) or with errors shows its algebra once Train both runs.
   */
  private async sendInitialAlgebra(texts: [string, string]): Promise<void> {
    const plan = planTrainBoth(this.specs, texts);
    if (!plan.ok || plan.training.dataset.kind !== 'builtin') return;
    const documentUri = vscode.Uri.parse(this.specs[0].uri, true);
    const settings = readTrainingSettings(documentUri);
    const dataset = await datasetSource(plan.training.dataset, documentUri, this.panel.webview, this.extensionUri);
    const run = (index: 0 | 1) => ({ run: { model: this.specs[index].model, text: texts[index], backend: settings.backend, statsInterval: 1, dataset }, withoutSkips: this.specs[index].withoutSkips });
    this.post({ type: 'initialAlgebra', revision: this.revision, runs: [run(0), run(1)], config: plan.shared });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const result = validateCompareWebviewMessage(raw);
    if (!result.ok) {
      this.log.warn(`compare: ignored a malformed message from the webview: ${result.error}`);
      return;
    }
    const message: CompareToHost = result.message;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        await this.update();
        return;
      case 'setAblation':
        this.specs[message.side].withoutSkips = message.withoutSkips;
        await this.update();
        return;
      case 'requestSuggestion': {
        const target = this.shownParams[message.side === 0 ? 1 : 0];
        const answer = suggestMatch(await readText(this.specs[message.side].uri), this.specs[message.side], message.knob, target);
        this.post({ type: 'suggestion', revision: this.revision, side: message.side, knob: message.knob, suggestion: 'suggestion' in answer ? answer.suggestion : null, error: 'error' in answer ? answer.error : '' });
        return;
      }
      case 'applySuggestion':
        await this.applySuggestion(message.side, message.knob, message.values);
        return;
      case 'reveal':
        await this.revealRange(message.side, message.range);
        return;
      case 'trainBoth':
        await this.trainBoth(message.engine ?? null);
        return;
      case 'trainBothControl':
        if (message.action === 'experiment') this.torch.experiment(message.side, message.run, message.experiment);
        else this.torch.control(message.side, message.run, message.action);
        return;
      case 'trainBothData':
        await this.torch.receiveData(message.runs, message.data);
        return;
      case 'trainBothEnded':
        this.log[message.state === 'error' ? 'warn' : 'info'](`compare: train both ${message.state}: ${message.message}`);
        return;
      case 'log':
        this.log[message.level](`compare webview: ${message.message}`);
        return;
    }
  }

  /**
   * Starts Train both. Both use side A's data set and train section; the engine is the graph view's decision for
   * side A's file (`choice`, else skipnet.train.engine): in the browser the webview trains both (backend and
   * statistics interval from the settings); on PyTorch two runner processes train them here (src/compare/torchPair.ts)
   * and the webview draws their events. Refusals (no PyTorch, not enough memory, …) end in the panel's status line.
   */
  private async trainBoth(choice: TrainingEngineChoice | null): Promise<void> {
    try {
      const texts: [string, string] = [await readText(this.specs[0].uri), await readText(this.specs[1].uri)];
      const plan = planTrainBoth(this.specs, texts);
      if (!plan.ok) throw new TrainingRefusal(plan.message);
      const documentUri = vscode.Uri.parse(this.specs[0].uri, true);
      const settings = readTrainingSettings(documentUri);
      const decision = await decideEngine(documentUri, choice, false);
      if (decision.engine === 'none') {
        this.log.warn(`compare: ${decision.message}`);
        this.post({ type: 'trainingState', revision: this.revision, state: 'error', message: decision.message, offerBrowser: true });
        return;
      }
      const dataset = await datasetSource(plan.training.dataset, documentUri, this.panel.webview, this.extensionUri);
      const run = (index: 0 | 1) => ({ model: this.specs[index].model, text: texts[index], backend: settings.backend, statsInterval: settings.statsInterval, dataset });
      if (decision.engine === 'browser') {
        this.post({ type: 'startTrainBoth', revision: this.revision, runs: [{ run: run(0), withoutSkips: this.specs[0].withoutSkips }, { run: run(1), withoutSkips: this.specs[1].withoutSkips }], config: plan.shared });
        this.log.info(`compare: train both ${this.specs[0].model} and ${this.specs[1].model} in the browser (batch ${plan.shared.batch}, seed ${plan.shared.seed}, backend ${settings.backend}; ${decision.reason})`);
        return;
      }
      // Each side trains as the view shows it: a side with the ablation on trains the ablation's export.
      const sides = torchSides(this.specs, texts);
      const pair = planTorchPair(decision.python, [sides[0].graph, sides[1].graph], plan.shared, { cores: availableParallelism(), freeBytes: freemem() });
      if (!pair.ok) throw new TrainingRefusal(pair.message);
      const data = this.torch.dataFor(plan.training.dataset);
      const ids = this.torch.nextIds();
      const torchRun = (index: 0 | 1) => ({ run: { ...run(index), engine: 'pytorch' as const, runId: ids[index] }, withoutSkips: this.specs[index].withoutSkips });
      this.post({ type: 'startTrainBoth', revision: this.revision, runs: [torchRun(0), torchRun(1)], config: plan.shared, plan: pair.message });
      this.log.info(`compare: train both ${this.specs[0].model} and ${this.specs[1].model} on PyTorch (batch ${plan.shared.batch}, seed ${plan.shared.seed}): ${pair.message}`);
      await this.torch.start({ ids, sides, decision, data, config: plan.shared, threads: pair.threads, statsInterval: settings.statsInterval });
    } catch (error) {
      const message = error instanceof TrainingRefusal ? error.message : `Train both could not start: ${error instanceof Error ? error.message : String(error)}`;
      this.log.warn(`compare: ${message}`);
      this.post({ type: 'trainingState', revision: this.revision, state: 'error', message });
    }
  }

  /** Recomputes the match on the current text; writes it only if it is still what the user saw. */
  private async applySuggestion(side: SideIndex, knob: string, values: number[]): Promise<void> {
    const spec = this.specs[side];
    const uri = vscode.Uri.parse(spec.uri, true);
    const document = await vscode.workspace.openTextDocument(uri);
    const answer = suggestMatch(document.getText(), spec, knob, this.shownParams[side === 0 ? 1 : 0]);
    if ('error' in answer) {
      this.post({ type: 'applied', revision: this.revision, side, ok: false, message: answer.error });
      return;
    }
    if (answer.suggestion.values.join(',') !== values.join(',')) {
      this.post({ type: 'applied', revision: this.revision, side, ok: false, message: 'The models changed since this suggestion; ask for a new one.' });
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    for (const change of answer.edits) edit.replace(uri, new vscode.Range(document.positionAt(change.range.start), document.positionAt(change.range.end)), change.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    const [, param] = knob.split('.');
    this.post({ type: 'applied', revision: this.revision, side, ok, message: ok ? `Wrote ${param} = ${values.join(', ')} to ${spec.file} (${formatCount(BigInt(answer.suggestion.params))} params).` : `Could not edit ${spec.file}.` });
    this.log.info(`compare: ${ok ? 'wrote' : 'failed to write'} ${knob} = ${values.join(', ')} in ${spec.uri}`);
  }

  private async revealRange(side: SideIndex, range: { start: number; end: number }): Promise<void> {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(this.specs[side].uri, true));
    if (range.end > document.getText().length) return;
    const selection = new vscode.Selection(document.positionAt(range.start), document.positionAt(range.end));
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection });
    editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}

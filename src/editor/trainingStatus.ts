// Type-only import: this file runs in plain Node tests too, with a stand-in for the status-bar item.
import type * as vscode from 'vscode';
import { formatLoss } from '../protocol/messages';

/**
 * The status-bar item shown while a model trains ("$(sync~spin) resnet20 · epoch 1/3 · loss 0.4321 ·
 * webgl"), clickable to reveal the model's graph. The training code calls update() after each
 * statistics interval and clear() when training ends, fails or is stopped.
 */

/** What the training code reports; everything but model, epoch, step and backend may be unknown yet. */
export interface TrainingProgress {
  /** The document the model is written in; clicking the item shows this model's graph. */
  uri?: vscode.Uri;
  model: string;
  /** 1-based epoch and the number of epochs, when known. */
  epoch: number;
  epochs?: number;
  /** Steps done in this epoch, and how many it has. */
  step: number;
  stepsPerEpoch?: number;
  /** Mean training loss over the last interval; NaN when training diverged. */
  loss?: number;
  accuracy?: number;
  /** The TensorFlow.js backend in use: webgpu, webgl, wasm or cpu. */
  backend: string;
}

/** The part of vscode.StatusBarItem this class uses (a vscode.StatusBarItem fits it). */
export interface StatusItem {
  text: string;
  tooltip: string | vscode.MarkdownString | undefined;
  command: string | vscode.Command | undefined;
  show(): void;
  hide(): void;
  dispose(): void;
}

export const SHOW_GRAPH_COMMAND = 'skipnet.showGraph';

// The training panel prints the loss with the same function.
export { formatLoss };

/** The item's text and tooltip for one progress report. */
export function formatTrainingStatus(progress: TrainingProgress): { text: string; tooltip: string } {
  const epoch = progress.epochs ? `${progress.epoch}/${progress.epochs}` : String(progress.epoch);
  const text = `$(sync~spin) ${progress.model} · epoch ${epoch} · loss ${formatLoss(progress.loss)} · ${progress.backend}`;
  const parts = [
    `epoch ${progress.epoch}${progress.epochs ? ` of ${progress.epochs}` : ''}`,
    `step ${progress.step}${progress.stepsPerEpoch ? ` of ${progress.stepsPerEpoch}` : ''}`,
    `loss ${formatLoss(progress.loss)}`,
  ];
  if (progress.accuracy !== undefined) parts.push(`accuracy ${(progress.accuracy * 100).toFixed(1)}%`);
  const tooltip = `Training ${progress.model} on ${progress.backend}: ${parts.join(', ')}. Click to show the graph.`;
  return { text, tooltip };
}

export class TrainingStatusBar {
  private current: TrainingProgress | undefined;

  constructor(private readonly item: StatusItem) {
    item.hide();
  }

  /** The last progress shown, or undefined while no model trains. */
  get progress(): TrainingProgress | undefined {
    return this.current;
  }

  get text(): string | undefined {
    return this.current ? this.item.text : undefined;
  }

  update(progress: TrainingProgress): void {
    this.current = progress;
    const { text, tooltip } = formatTrainingStatus(progress);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = { title: 'Show graph', command: SHOW_GRAPH_COMMAND, arguments: progress.uri ? [progress.uri, progress.model] : [] };
    this.item.show();
  }

  /** Hides the item: call when training ends, fails or is stopped. */
  clear(): void {
    this.current = undefined;
    this.item.hide();
  }

  dispose(): void {
    this.current = undefined;
    this.item.dispose();
  }
}

import type { ModelGraph } from '../../core';
import { useNodeBackend, type PortableBackend } from '../nodeBackend';
import { TrainingEngine, type TrainResult } from '../engine';
import { TrainError } from '../errors';
import { datasetFor } from '../nodeData';
import { printer } from '../printer';
import { computeLandscape, DEFAULT_GRID, DEFAULT_LANDSCAPE_SAMPLES, DEFAULT_LINE_POINTS, evaluationCount, timeOneEvaluation, type LandscapeData, type LandscapeRequest, type LandscapeResult } from './landscape';
import { pluralize } from '../../core/format';

/**
 * `skipnet experiment landscape`: trains the model for the asked steps in Node (TensorFlow.js), pauses the run at
 * its last step, prints the landscape's cost, computes the 1-D and/or 2-D slices (landscape.ts), prints them and
 * lets the run finish (its final held-out evaluation is on the same subset, so it equals the slices' centre).
 */

/** The command's lines in `skipnet help`. */
export const LANDSCAPE_USAGE = `  experiment landscape FILE [--model NAME] [--steps N] [--batch N] [--points N] [--grid N]
             [--samples N] [--seed N] [--backend cpu|wasm] [--json]
                                    train, then the loss landscape around the weights (Li et al.
                                    2018): a 1-D slice of --points α values (default ${DEFAULT_LINE_POINTS}) and a
                                    --grid × --grid 2-D slice (default ${DEFAULT_GRID}) along filter-normalised
                                    random directions, on --samples held-out images (default ${DEFAULT_LANDSCAPE_SAMPLES});
                                    give --points or --grid alone for one slice`;

export interface LandscapeCommandOptions {
  backend: PortableBackend;
  /** Training steps before the landscape (default: the train section's whole schedule). */
  steps?: number;
  batch?: number;
  /** α values of the 1-D slice; absent: no 1-D slice. */
  points?: number;
  /** Side of the 2-D grid; absent: no 2-D slice. */
  grid?: number;
  /** Held-out images each point is evaluated on. */
  samples: number;
  seed: number;
  json: boolean;
  dataDir?: string;
  /** Aborting stops the landscape between two evaluations (exit code 1). */
  signal?: AbortSignal;
  out(line: string): void;
  err(line: string): void;
}

/** `90s`, `6m05s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

/** The cost line printed before a landscape starts: evaluations, images evaluated, and the time one took. */
export function costLine(requests: LandscapeRequest[], samples: number, secondsPerEvaluation: number): string {
  const counts = requests.map(evaluationCount);
  const evaluations = counts.reduce((a, b) => a + b, 0);
  const images = evaluations * samples;
  const sum = counts.length > 1 ? `${counts.join(' + ')} = ${evaluations}` : String(evaluations);
  return `landscape cost: ${sum} ${pluralize(evaluations, 'evaluation')} × ${samples} held-out ${pluralize(samples, 'image')} = ${images.toLocaleString('en-US')} image passes; one evaluation took ${formatDuration(secondsPerEvaluation)}, so about ${formatDuration(evaluations * secondsPerEvaluation)}`;
}

/**
 * The slice as text: α, loss, accuracy per line (1-D), or a grid of losses with β rows from −1 (top) to 1 under a
 * header of the α values. Columns are as wide as their widest cell, so losses of any size stay apart (the corners of
 * a slice can be orders of magnitude above its minimum).
 */
export function landscapeText(result: LandscapeResult): string[] {
  const columns = (cells: string[][]): string[] => {
    const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
    return cells.map((row) => row.map((cell, c) => cell.padStart(widths[c])).join('  '));
  };
  if (result.kind === 'line') {
    return [
      `1-D loss landscape (${result.alphas.length} points, ${result.samples} held-out images, seed ${result.seed}):`,
      ...columns([['α', 'loss', 'accuracy'], ...result.alphas.map((a, i) => [a.toFixed(3), result.loss[i].toFixed(4), `${(result.accuracy[i] * 100).toFixed(1)}%`])]),
    ];
  }
  const n = result.alphas.length;
  const cells = result.loss.map((v) => v.toFixed(3));
  const alphas = result.alphas.map((a) => a.toFixed(2));
  const width = Math.max(...cells.map((c) => c.length), ...alphas.map((a) => a.length));
  const label = 'β \\ α';
  const row = (head: string, values: string[]): string => `${head.padStart(label.length)} | ${values.map((v) => v.padStart(width)).join(' ')}`;
  return [
    `2-D loss landscape (${n}×${n}, ${result.samples} held-out images, seed ${result.seed}); rows β, columns α, each from −1 to 1:`,
    row(label, alphas),
    ...result.betas.map((b, j) => row(b.toFixed(2), cells.slice(j * n, (j + 1) * n))),
  ];
}

/** Exit code: 0 done, 1 the model or data cannot train or the landscape was cancelled, 2 backend failure. */
export async function landscapeCommand(graph: ModelGraph, options: LandscapeCommandOptions): Promise<number> {
  try {
    await useNodeBackend(options.backend);
  } catch (error) {
    options.err(`skipnet: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const requests: LandscapeRequest[] = [];
  if (options.points !== undefined) requests.push({ kind: 'line', points: options.points, seed: options.seed, samples: options.samples });
  if (options.grid !== undefined) requests.push({ kind: 'surface', grid: options.grid, seed: options.seed, samples: options.samples });
  const print = printer(options);
  let engine: TrainingEngine;
  let totalSteps = 0;
  let onPaused!: () => void;
  const paused = new Promise<'paused'>((resolve) => (onPaused = () => resolve('paused')));
  let data: LandscapeData;
  try {
    const dataset = datasetFor(graph.training, options.dataDir);
    engine = new TrainingEngine({
      graph,
      dataset,
      config: options.batch !== undefined ? { batch: options.batch } : {},
      maxSteps: options.steps,
      evalSamples: options.samples,
      evalsPerEpoch: 1,
      statsInterval: 0,
      nextFrame: () => Promise.resolve(),
      onEvent: (event) => {
        if (event.type === 'paused') return onPaused();
        if (event.type === 'resumed') return;
        print(event);
        if (event.type === 'started') totalSteps = event.totalSteps;
        // The last step: hold the run there, before its final evaluation, while the landscape is computed.
        if (event.type === 'progress' && event.step === totalSteps) engine.pause();
      },
    });
    data = { dataset, adapter: engine.adapter };
  } catch (error) {
    if (error instanceof TrainError) {
      options.err(`skipnet: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const running = engine.run();
  let cancelled = false;
  try {
    const first = await Promise.race([paused, running]);
    if (first !== 'paused') return reportEnd(first, options);
    const model = engine.currentModel!;
    const probe = await timeOneEvaluation(model, data, options.samples);
    options.out(options.json ? JSON.stringify({ type: 'landscape-cost', evaluations: requests.reduce((a, r) => a + evaluationCount(r), 0), samples: options.samples, secondsPerEvaluation: probe.seconds }) : costLine(requests, options.samples, probe.seconds));
    for (const request of requests) {
      let every = 1;
      const result = await computeLandscape(model, data, request, {
        signal: options.signal,
        onProgress: (p) => {
          every = Math.max(1, Math.round(p.total / 10));
          if (p.done % every !== 0 && p.done !== p.total) return;
          if (options.json) options.out(JSON.stringify({ type: 'landscape-progress', kind: request.kind, ...p }));
          else options.out(`landscape ${request.kind === 'line' ? '1-D' : '2-D'}: ${p.done}/${p.total} ${pluralize(p.total, 'evaluation')}, ETA ${formatDuration((p.total - p.done) * p.secondsPerEvaluation)}`);
        },
      });
      if (!result) {
        cancelled = true;
        break;
      }
      if (options.json) options.out(JSON.stringify({ type: 'landscape', ...result }));
      else landscapeText(result).forEach((line) => options.out(line));
    }
  } catch (error) {
    engine.stop();
    await running.catch(() => undefined);
    if (error instanceof TrainError) {
      options.err(`skipnet: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (cancelled) {
    engine.stop();
    await running;
    options.err('skipnet: the loss landscape was cancelled');
    return 1;
  }
  engine.resume();
  return reportEnd(await running, options);
}

function reportEnd(result: TrainResult, options: LandscapeCommandOptions): number {
  if (result.reason === 'non-finite') {
    options.err(`skipnet: ${result.message}`);
    return 1;
  }
  if (result.reason === 'stopped' && result.steps === 0) {
    options.err('skipnet: the run stopped before a step: no landscape');
    return 1;
  }
  return 0;
}

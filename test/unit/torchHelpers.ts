import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Analysis, ModelGraph } from '../../src/core';
import type { LayerStatistics } from '../../src/train';
import type { ImageDataset } from '../../src/train/data';
import { TrainingEngine, type EngineOptions, type TrainResult } from '../../src/train/engine';
import { useNodeBackend } from '../../src/train/nodeBackend';
import type { RunnerEvent } from '../../src/train/pytorch/protocol';
import type { PythonWithTorch } from '../../src/train/pytorch/python';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { immediate } from './trainHelpers';

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

export { alive } from '../support/processes';

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

/** |a − b| relative to |b| (at least 1e-8): how the cross-engine tests compare losses and norms. */
export const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-8);

/** What both engines are given alike: the train section's overrides, the steps, statistics, held-out settings and starting weights. */
export type SharedSettings = Pick<EngineOptions, 'config' | 'maxSteps' | 'statsInterval' | 'evalSamples' | 'evalsPerEpoch' | 'initialWeights'>;

/** One run of each engine (see runBothEngines): its events, its result, and the run or engine itself. */
export interface BothEngines {
  torch: { log: EventLog; result: TrainResult; run: PyTorchTraining };
  tfjs: { log: EventLog; result: TrainResult; engine: TrainingEngine };
}

/**
 * The same model trained by both engines from the same weights on the same data with the same settings: the PyTorch
 * runner (Debian's PyTorch 1.13) reads `datasetFile`, then the TensorFlow.js engine (cpu backend) `dataset`, the
 * same images as the runner sees them. With `keep` the runner stays alive with its final weights (keepWeights) and
 * the engine keeps its model (keepModel), for experiments on both; the caller then quits the run (`run.quit()`,
 * `await run.exited`) and frees the model (`engine.releaseModel()`). Rejects as either engine's run does.
 */
export async function runBothEngines(options: { analysis: Analysis; graph: ModelGraph; datasetFile: string; dataset: ImageDataset; settings: SharedSettings; keep?: boolean }): Promise<BothEngines> {
  const { analysis, graph, settings } = options;
  const keep = options.keep === true;
  const torchLog = new EventLog();
  const run = await PyTorchTraining.start({ analysis, graph, datasetFile: options.datasetFile, python: DEBIAN_TORCH, onEvent: torchLog.push, keepWeights: keep, ...settings });
  const torchResult = await run.result;
  await useNodeBackend('cpu');
  const tfLog = new EventLog();
  const engine = new TrainingEngine({ graph, dataset: options.dataset, nextFrame: immediate, onEvent: tfLog.push, keepModel: keep, ...settings });
  const tfResult = await engine.run();
  return { torch: { log: torchLog, result: torchResult, run }, tfjs: { log: tfLog, result: tfResult, engine } };
}

/** The first progress event of a run's log (the step's training loss and accuracy). */
export function firstProgress(log: EventLog): Extract<RunnerEvent, { type: 'progress' }> {
  const event = log.events.find((e) => e.type === 'progress');
  if (event?.type !== 'progress') throw new Error(`no progress event in ${log.trace.join(' ')}`);
  return event;
}

/** Every layer's statistics in a run's first statistics event, by node id. */
export function layerStatistics(log: EventLog): Map<string, LayerStatistics> {
  const event = log.events.find((e) => e.type === 'statistics');
  if (event?.type !== 'statistics') throw new Error(`no statistics event in ${log.trace.join(' ')}`);
  return new Map(event.statistics.layers.map((l) => [l.node, l]));
}

/**
 * PyTorch's layer statistics against TensorFlow.js's, layer by layer: each of `keys` that either engine reports to
 * a relative 1e-4, and the activation mean to 1e-4 of the larger of its size and the spread (a mean near zero has
 * no relative precision). Returns the mismatches, as `node.key: PyTorch x, tfjs y`, and how many values were compared.
 */
export function compareLayerStatistics(torch: ReadonlyMap<string, LayerStatistics>, tfjs: ReadonlyMap<string, LayerStatistics>, keys: readonly ('weightNorm' | 'gradNorm' | 'updateRatio' | 'activationStd' | 'zeroFraction')[]): { mismatches: string[]; compared: number } {
  const mismatches: string[] = [];
  let compared = 0;
  for (const [id, ours] of torch) {
    const theirs = tfjs.get(id);
    if (!theirs) {
      mismatches.push(`${id}: only PyTorch reports it`);
      continue;
    }
    for (const key of keys) {
      if (theirs[key] === undefined && ours[key] === undefined) continue;
      compared++;
      if (!(relative(ours[key]!, theirs[key]!) < 1e-4)) mismatches.push(`${id}.${key}: PyTorch ${ours[key]}, tfjs ${theirs[key]}`);
    }
    if (!(Math.abs(ours.activationMean - theirs.activationMean) < 1e-4 * Math.max(Math.abs(theirs.activationMean), theirs.activationStd))) mismatches.push(`${id}.activationMean: PyTorch ${ours.activationMean}, tfjs ${theirs.activationMean}`);
  }
  return { mismatches, compared };
}

/**
 * Blocks whose residual branch ends in another merge, which the PyTorch lesion study removes by zeroing more than
 * one module (mergePlan.ts branchZeroing): `outer`, whose branch ends in the add of a nested residual block `inner`,
 * and `se_res`, whose branch ends in a squeeze-and-excitation `mul` (Hu et al. 2018, §3). 4 channels, no batch norm.
 */
export const NESTED_BLOCKS = `block inner() {
  r: conv(4, 3, pad=1) -> relu -> conv(4, 3, pad=1)
  add(r, in)
}
block outer() {
  r: conv(4, 3, pad=1) -> relu -> inner()
  add(r, in) -> relu
}
block se(c) {
  gap -> dense(2) -> relu -> dense(c) -> sigmoid
  mul(in, _)
}
block se_res() {
  r: conv(4, 3, pad=1) -> se(4)
  add(r, in) -> relu
}
`;

import * as tf from '@tensorflow/tfjs-core';
import { pluralize, type ModelGraph } from '../core';
import { renderTable } from './table';
import type { PortableBackend } from '../train/backend';
import { checkDataFits, type ImageDataset } from '../train/dataset';
import { TrainingEngine } from '../train/engine';
import { TrainError, TfModel } from '../train/model';
import { runOnBackend } from '../train/commandFrame';
import { datasetFor } from '../train/nodeData';
import { useNodeBackend } from '../train/nodeBackend';
import { printer } from '../train/printer';
import { chanceName, countLesionUnits, LESION_KIND_NAMES, lesionCost, lesionUnitNoun, lesionUnits, runLesionStudy, type LesionResult } from '../train/experiments/lesion';

/**
 * `skipnet experiment lesion`: trains a model in Node (TensorFlow.js), or loads its weights, then runs the lesion
 * study of Veit, Wilber & Belongie 2016 (Sec. 4) on it, and optionally on its no-skip ablation trained the same way;
 * prints tables (one unit removed → accuracy; k removed → mean ± sd; units named by kind: residual branches, dense
 * layers, skip concatenations) or one JSON object.
 */

export interface LesionCommandOptions {
  backend: PortableBackend;
  /** Training steps (default: the train section's epochs); ignored for a model given `weights`. */
  steps?: number;
  /** Weights by parameter name (TfModel.exportWeights' `{ name: { values } }` or plain `{ name: [...] }`). */
  weights?: Readonly<Record<string, ArrayLike<number>>>;
  /** The model's no-skip ablation (core/ablation.ts), trained with the same settings and studied too. */
  ablation?: ModelGraph;
  samples: number;
  draws: number;
  seed: number;
  json: boolean;
  dataDir?: string;
  out(line: string): void;
  err(line: string): void;
}

/** JSON weights as written by TfModel.exportWeights, or plain arrays by name; a TrainError says what is wrong. */
export function parseWeights(text: string, file: string): Record<string, number[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TrainError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`, 'data');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TrainError(`${file}: expected an object of weights by parameter name.`, 'data');
  const out: Record<string, number[]> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const values = Array.isArray(value) ? value : typeof value === 'object' && value !== null && Array.isArray((value as { values?: unknown }).values) ? (value as { values: unknown[] }).values : undefined;
    if (!values || !values.every((v) => typeof v === 'number')) throw new TrainError(`${file}: ${name} must be an array of numbers or { "values": [...] }.`, 'data');
    out[name] = values as number[];
  }
  return out;
}

/** The model with trained (or loaded) weights; the caller disposes it. */
async function prepare(graph: ModelGraph, dataset: ImageDataset, options: LesionCommandOptions, weights: LesionCommandOptions['weights']): Promise<TfModel> {
  if (weights) {
    checkDataFits(graph, dataset);
    const model = new TfModel(graph, graph.training.seed);
    try {
      model.loadWeights(weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }
  const engine = new TrainingEngine({
    graph,
    dataset,
    maxSteps: options.steps,
    statsInterval: 0,
    evalsPerEpoch: 1,
    evalSamples: options.samples,
    keepModel: true,
    nextFrame: () => Promise.resolve(),
    // Training lines go to stderr with --json, so stdout is the one JSON object.
    onEvent: printer({ json: false, out: options.json ? options.err : options.out }),
  });
  let result: Awaited<ReturnType<TrainingEngine['run']>>;
  try {
    result = await engine.run();
  } catch (error) {
    engine.releaseModel();
    throw error;
  }
  const model = engine.currentModel!;
  if (result.reason === 'non-finite') {
    engine.releaseModel();
    throw new TrainError(result.message ?? 'The loss went non-finite.', 'non-finite');
  }
  return model;
}

const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;

const capitalized = (text: string): string => `${text[0].toUpperCase()}${text.slice(1)}`;

/** The tables of one study; headings name the units by their kind ("Removed residual branch", "Dense layers removed"). */
export function lesionTables(result: LesionResult, ablation: boolean): string[] {
  const kinds = result.singles.map((s) => s.kind);
  const lines = [`${ablation ? 'no-skip ablation ' : ''}${result.model}: nothing removed ${percent(result.baseline)} (${result.samples} held-out images, ${chanceName(result.chanceBasis)} ${percent(result.chance)})`];
  lines.push(renderTable([`Removed ${lesionUnitNoun(kinds, 1)}`, 'Kind', 'Accuracy'], result.singles.map((s) => [s.label, LESION_KIND_NAMES[s.kind], percent(s.accuracy)]), [false, false, true]));
  lines.push(
    renderTable(
      [`${capitalized(lesionUnitNoun(kinds, 2))} removed`, 'Mean', 'SD', 'Draws'],
      result.removed.map((r) => [String(r.k), percent(r.mean), percent(r.sd), String(r.accuracies.length)]),
      [true, true, true, true],
    ),
  );
  if (ablation && result.singles.length > 0)
    lines.push(`Without skip connections each ${lesionUnitNoun(kinds, 1)} is the only path from input to output: removing any one leaves the output independent of the image, so accuracy falls to ${chanceName(result.chanceBasis)} (Veit et al. 2016, Sec. 4).`);
  return lines;
}

/** Exit code: 0 studied, 1 the model, weights or data cannot be used (message printed), 2 backend failure. */
export async function lesionCommand(graph: ModelGraph, options: LesionCommandOptions): Promise<number> {
  return runOnBackend(() => useNodeBackend(options.backend), options.err, async () => {
    const results: { model?: LesionResult; ablation?: LesionResult } = {};
    const dataset = datasetFor(graph.training, options.dataDir);
    const studies: [keyof typeof results, ModelGraph, LesionCommandOptions['weights']][] = [['model', graph, options.weights]];
    if (options.ablation) studies.push(['ablation', options.ablation, undefined]);
    for (const [key, studied, weights] of studies) {
      const samples = Math.min(options.samples, dataset.test.count);
      const kinds = lesionUnits(studied).map((u) => u.kind);
      const cost = lesionCost(kinds.length, options.draws, samples);
      options.err(`lesion study of ${key === 'ablation' ? 'the no-skip ablation of ' : ''}${studied.name}: ${countLesionUnits(kinds)}, ${cost.evaluations} ${pluralize(cost.evaluations, 'evaluation')} × ${samples} held-out ${pluralize(samples, 'image')} = ${cost.images.toLocaleString('en-US')} forward passes`);
      const model = await prepare(studied, dataset, options, weights);
      try {
        results[key] = await runLesionStudy(model, dataset, checkDataFits(studied, dataset), { samples, draws: options.draws, seed: options.seed, nextFrame: () => Promise.resolve() });
      } finally {
        model.dispose();
      }
    }
    if (options.json) options.out(JSON.stringify({ backend: tf.getBackend(), ...results }, null, 2));
    else {
      options.out(lesionTables(results.model!, false).join('\n'));
      if (results.ablation) options.out(['', ...lesionTables(results.ablation, true)].join('\n'));
    }
    return 0;
  });
}

import type { ModelDecl } from './ast';
import type { DiagnosticSink } from './diagnostics';
import type { ModelGraph, TrainingConfig } from './graph';

/**
 * Pairs of images derived from a bundled set (`dataset: mnist_pairs`, `fashion_mnist_pairs`), the data set the Siamese
 * example trains on (Bromley et al. 1993, "Signature verification using a Siamese time delay neural network", §2;
 * Koch, Zemel & Salakhutdinov 2015, "Siamese Neural Networks for One-shot Image Recognition", §3: a pair is labelled
 * same or different). Each example is two images and a label, 1 when both show the same class, 0 otherwise; a
 * model trains on it with exactly two image inputs, bound in declaration order (first image to the first input).
 * The pairs themselves are drawn by src/train/pairs.ts and python/skipnet_data.py with one rule (docs/engines.md).
 */

/** The two classes of a pair: index 0 "different", index 1 "same" (so the model ends in dense(2)). */
export const PAIR_CLASSES: readonly string[] = ['different', 'same'];

/** The images a pair set has per example. */
export const PAIR_INPUTS = 2;

/** The name a train section writes for a data set (`mnist_pairs`, `mnist_segmentation`, `fashion_mnist`, `the folder '…'`). */
export function trainingDatasetName(dataset: TrainingConfig['dataset']): string {
  if (dataset.kind === 'folder') return `the folder '${dataset.path}'`;
  if (dataset.kind === 'cifar') return dataset.name;
  if (dataset.segmentation) return 'mnist_segmentation';
  const written = dataset.name === 'mnist' ? 'mnist' : 'fashion_mnist';
  return dataset.pairs ? `${written}_pairs` : written;
}

/**
 * Why a model's inputs and its data set do not go together, or undefined when they do: a pair set feeds exactly two
 * inputs, every other set exactly one. The message names the inputs and the data set and says what to change.
 */
export function inputsMismatch(graph: Pick<ModelGraph, 'name' | 'inputs'>, dataset: { name: string; pairs: boolean }): string | undefined {
  const { name, pairs } = dataset;
  const count = graph.inputs.length;
  const named = `${count} input${count === 1 ? '' : 's'} (${graph.inputs.join(', ')})`;
  if (pairs && count !== PAIR_INPUTS) {
    return `${name} gives two images per example (1 = same class, 0 = different), bound to two inputs in declaration order, but ${graph.name} has ${named}: declare two image inputs, e.g. model ${graph.name}(a: 28x28x1, b: 28x28x1).`;
  }
  if (!pairs && count > PAIR_INPUTS) {
    return `${graph.name} has ${named}; the data sets give one image or a pair of images per example, so a model with more than two inputs cannot be trained. Its counts, graph and PyTorch export are complete.`;
  }
  if (!pairs && count === PAIR_INPUTS) {
    const pairName = name.includes('fashion') ? 'fashion_mnist_pairs' : 'mnist_pairs';
    return `${graph.name} has ${named} but ${name} gives one image per example: train it on a pair set (dataset: ${pairName}), whose two images go to ${graph.inputs[0]} and ${graph.inputs[1]}.`;
  }
  return undefined;
}

/**
 * Reports, at the train section's `dataset` value, a model whose inputs do not match the set it names (see
 * inputsMismatch). Only where the section names a data set: a model without one trains nowhere by default.
 */
export function checkPairModel(graph: ModelGraph, model: ModelDecl, sink: DiagnosticSink): void {
  const setting = model.train?.settings.find((s) => s.key === 'dataset');
  if (!setting || !graph.complete) return;
  const { dataset } = graph.training;
  const message = inputsMismatch(graph, { name: trainingDatasetName(dataset), pairs: dataset.kind === 'builtin' && dataset.pairs === true });
  if (message) sink.add('invalid-training', message, setting.value.range);
}

import type { ModelDecl } from './ast';
import { pluralize } from './format';
import type { DiagnosticFix, DiagnosticSink } from './diagnostics';
import type { GraphNode, ModelGraph, TrainingConfig } from './graph';
import { segmentationFitProblem } from './segmentation';
import type { Range } from './text';

/*
 * What a model's output must be for the loss both engines train with: softmax cross-entropy over the classes of the
 * data set (per image, or per pixel for mnist_segmentation), i.e. unbounded scores, the logits. The same checks run
 * in the editor and `skipnet check` (located diagnostics) and before training (a TrainError with the same text).
 */

/** The data set a model is trained on, as far as its output is concerned. */
export interface TrainTarget {
  /** As messages name it: mnist, cifar10, a folder's name. */
  name: string;
  /** Classes per image, or per pixel with `segmentation`. */
  classes: number;
  segmentation: boolean;
}

/**
 * The target of a train section's data set, when the core knows its classes without reading it: MNIST and
 * Fashion-MNIST 10, CIFAR-10 10, CIFAR-100 100 (fine labels), mnist_segmentation 11 per pixel, a pair set 2. Undefined for a
 * folder, whose classes are its sub-folders (checked when it is read).
 */
export function knownTarget(dataset: TrainingConfig['dataset']): TrainTarget | undefined {
  if (dataset.kind === 'folder') return undefined;
  if (dataset.kind === 'cifar') return { name: dataset.name, classes: dataset.name === 'cifar100' ? 100 : 10, segmentation: false };
  if (dataset.segmentation) return { name: 'mnist_segmentation', classes: 11, segmentation: true };
  // A pair set scores two classes, different (0) and same (1), whatever its images' classes (src/core/pairs.ts).
  if (dataset.pairs) return { name: dataset.name === 'mnist' ? 'mnist_pairs' : 'fashion_mnist_pairs', classes: 2, segmentation: false };
  return { name: dataset.name === 'mnist' ? 'mnist' : 'fashion_mnist', classes: 10, segmentation: false };
}

/** Layers that do not change what the loss sees: views, and dropout (identity when the loss is evaluated). */
const TRANSPARENT: ReadonlySet<string> = new Set(['identity', 'flatten', 'dropout']);

/** The last layer that computes something: the output node, or what a trailing view or dropout passes through. */
function lastComputing(graph: ModelGraph): GraphNode | undefined {
  let node = graph.nodeById.get(graph.output);
  while (node && TRANSPARENT.has(node.kind) && node.inputs.length === 1) node = graph.nodeById.get(node.inputs[0]);
  return node;
}

/**
 * Why `graph`'s output does not fit `target`, with the fix, or undefined when it fits: per image a flat vector of
 * one score per class (a sequence needs token(0) or mean_tokens first, a feature map gap or flatten), per pixel the
 * input's H×W with one score per class. Used by `checkTrainTarget` and by the engines' checkDataFits, so the editor,
 * `skipnet check` and `skipnet train` say the same thing.
 */
export function outputFitProblem(graph: ModelGraph, target: TrainTarget): string | undefined {
  if (target.segmentation) return segmentationFitProblem(graph);
  const shape = graph.nodeById.get(graph.output)?.shape;
  const n = target.classes;
  const outputs = shape ? shape.reduce((product, d) => product * d, 1) : 0;
  const head = `Model ${graph.name} ends in ${shape ? shape.join('×') : '?'} ${pluralize(outputs, 'output')} but ${target.name} has ${n} ${pluralize(n, 'class', 'classes')}`;
  if (!shape) return `${head}: end the model with dense(${n}).`;
  if (shape.length === 2) {
    return `${head}: its output is a sequence of ${shape[0]} ${pluralize(shape[0], 'token')}, so end with token(0) or mean_tokens before the classifier (… -> token(0) -> dense(${n})), which scores the image instead of each token.`;
  }
  if (shape.length === 3) return `${head}: its output is a ${shape.join('×')} feature map, so end it with gap (or flatten), then dense(${n}).`;
  if (shape[0] === n) return undefined;
  const last = lastComputing(graph);
  const units = last?.kind === 'dense' && typeof last.args.units === 'number' ? `; the last dense has ${last.args.units} ${pluralize(last.args.units, 'unit')}` : '';
  return `${head}: end the model with dense(${n})${units}.`;
}

/** Squashing activations that make a bad last layer under softmax cross-entropy. */
const SQUASHING: ReadonlySet<string> = new Set(['softmax', 'sigmoid', 'hardsigmoid', 'tanh']);

/**
 * Checks a model against the loss it trains with:
 * - `output-mismatch` (error) when its output does not fit the data set its train section names (`outputFitProblem`),
 *   at the model's last layer when it is written in the model (else at the train section's `dataset` value); the
 *   segmentation set is checked by checkSegmentationModel, at its `dataset` value.
 * - `squashed-logits` (warning) when the last computing layer is a softmax over the class axis, or a sigmoid,
 *   hard sigmoid or tanh on more than one score: cross-entropy applies log-softmax itself (PyTorch's
 *   nn.CrossEntropyLoss, tf.losses.softmaxCrossEntropy), so a softmax before it gives log-softmax of probabilities,
 *   whose values differ by at most 1 between classes, and scores squashed into 0…1 (or −1…1) give gradients of at
 *   most that size: training crawls. The fix removes the layer; the argmax, hence the predicted class, is the same.
 * Only models whose shapes are all known; `text` is the source, for the fix that deletes `-> softmax`.
 */
export function checkTrainTarget(graph: ModelGraph, model: ModelDecl, text: string, sink: DiagnosticSink): void {
  if (!graph.complete) return;
  const output = graph.nodeById.get(graph.output);
  const inModel = (range: Range): boolean => range.start >= model.range.start && range.end <= model.range.end;
  // Without a `dataset` setting the data set comes from elsewhere (a CLI flag, Train both), checked when it trains.
  const setting = model.train?.settings.find((s) => s.key === 'dataset');
  // A dataset value already refused (`dataset: cifar`) leaves the default in the config: nothing to check against.
  const refused = setting !== undefined && sink.items.some((d) => d.code === 'invalid-training' && d.range.start >= setting.value.range.start && d.range.end <= setting.value.range.end);
  const target = setting && !refused ? knownTarget(graph.training.dataset) : undefined;
  if (setting && target && !target.segmentation) {
    const problem = outputFitProblem(graph, target);
    if (problem && output) {
      const atLayer = output.kind !== 'input' && output.group === null && inModel(output.range);
      const related = atLayer ? [{ range: setting.value.range, message: `the data set: ${target.name}, ${target.classes} classes` }] : undefined;
      sink.add('output-mismatch', problem, atLayer ? output.range : setting.value.range, related);
      return;
    }
  }
  const last = lastComputing(graph);
  if (!last || !last.shape || !SQUASHING.has(last.kind)) return;
  const scores = last.shape[last.shape.length - 1];
  const axis = typeof last.args.axis === 'number' ? last.args.axis : -1;
  if (last.kind === 'softmax' && axis !== -1 && axis !== last.shape.length - 1) return;
  if (last.kind !== 'softmax' && scores < 2) return;
  const why =
    last.kind === 'softmax'
      ? 'the loss, softmax cross-entropy, already applies log-softmax to the model\'s scores, so this softmax makes it the log-softmax of probabilities, which differ by at most 1 between classes: it squashes the gradients and training crawls'
      : `the loss, softmax cross-entropy over the ${scores} classes, needs unbounded scores (logits); ${last.kind} squashes each into ${last.kind === 'tanh' ? '−1…1' : '0…1'}, so the softmax over them stays nearly uniform and the gradients vanish`;
  sink.add('squashed-logits', `${last.kind} as the last layer before the loss: ${why}. Remove it; the predicted class (the largest score) stays the same.`, last.range, undefined, 'warning', removal(last, model, text));
}

/** The edit that deletes `-> layer` where the layer ends a chain of the model itself (not a block body). */
function removal(node: GraphNode, model: ModelDecl, text: string): DiagnosticFix | undefined {
  if (node.group !== null || node.range.start < model.range.start || node.range.end > model.range.end) return undefined;
  const before = text.slice(0, node.range.start);
  const arrow = before.search(/\s*->\s*$/);
  if (arrow < 0) return undefined;
  const after = text.slice(node.range.end);
  // Only a layer that ends its chain: something after it on the same chain would lose its input.
  if (/^[ \t]*->/.test(after)) return undefined;
  return { title: `Remove '${text.slice(node.range.start, node.range.end)}'`, range: { start: arrow, end: node.range.end }, text: '' };
}

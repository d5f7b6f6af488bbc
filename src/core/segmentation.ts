import type { ModelDecl } from './ast';
import type { DiagnosticSink } from './diagnostics';
import type { ModelGraph } from './graph';
import type { Shape } from './values';

/**
 * Per-pixel classes derived from MNIST (`dataset: mnist_segmentation`), the data set the U-Net example trains on
 * (Ronneberger, Fischer & Brox 2015, "U-Net: Convolutional Networks for Biomedical Image Segmentation", §3: a
 * softmax over the classes at every pixel, cross-entropy averaged over the pixels). A pixel whose grey value is
 * at least SEGMENTATION_THRESHOLD (of 255) belongs to the digit and is labelled digit + 1; every other pixel,
 * and the zero padding that brings the image to the model's input size, is background (0).
 */

/** Grey value (0–255) from which an MNIST pixel is part of the digit. */
export const SEGMENTATION_THRESHOLD = 128;

/** Class names per pixel: background, then the digits 0–9 (class d + 1 is digit d). */
export const SEGMENTATION_CLASSES: readonly string[] = ['background', ...Array.from({ length: 10 }, (_, d) => String(d))];

/**
 * The output shape a model needs to train on the segmentation set: its input's height and width (MNIST is padded
 * with zeros to it, centred) with one score per class, H×W×11 (NHWC). Undefined when the input is not an image.
 */
export function segmentationOutputShape(inputShape: Shape): Shape | undefined {
  return inputShape.length === 3 ? [inputShape[0], inputShape[1], SEGMENTATION_CLASSES.length] : undefined;
}

/** Whether the model's output (its logits, or their softmax) is the per-pixel class scores the set needs. */
export function fitsSegmentation(graph: ModelGraph): boolean {
  const expected = segmentationOutputShape(graph.inputShape);
  const shape = graph.nodeById.get(graph.output)?.shape;
  return expected !== undefined && shape != null && shape.length === 3 && shape.every((d, i) => d === expected[i]);
}

/**
 * Reports, at the train section's `dataset` value, a model trained on the segmentation set whose output is not
 * H×W×11 for its H×W×C input (C 1 or 3, at least 28×28), naming the shape expected. Only for models whose shapes
 * are all known (an earlier error is reported where it is).
 */
export function checkSegmentationModel(graph: ModelGraph, model: ModelDecl, sink: DiagnosticSink): void {
  if (graph.training.dataset.kind !== 'builtin' || !graph.training.dataset.segmentation || !graph.complete) return;
  const setting = model.train?.settings.find((s) => s.key === 'dataset');
  const range = setting?.value.range ?? model.nameRange;
  const input = graph.inputShape;
  const shown = (shape: Shape): string => shape.join('×');
  if (input.length !== 3 || input[0] < 28 || input[1] < 28 || (input[2] !== 1 && input[2] !== 3)) {
    sink.add('invalid-training', `mnist_segmentation needs an image input of at least 28×28 with 1 or 3 channels (MNIST is padded to it); ${graph.name} takes ${shown(input)}.`, range);
    return;
  }
  const problem = segmentationFitProblem(graph);
  if (problem) sink.add('invalid-training', problem, range);
}

/**
 * Why `graph` cannot train on the segmentation set (its output is not H×W×11 for its H×W×C image input), or
 * undefined when it can: the one message the editor, `skipnet check` and both training engines give.
 */
export function segmentationFitProblem(graph: ModelGraph): string | undefined {
  if (fitsSegmentation(graph)) return undefined;
  const shown = (shape: Shape): string => shape.join('×');
  const expected = segmentationOutputShape(graph.inputShape);
  const shape = graph.nodeById.get(graph.output)?.shape;
  const classes = SEGMENTATION_CLASSES.length;
  if (!expected) return `mnist_segmentation scores ${classes} classes per pixel, so ${graph.name} needs an image input (H×W×C), not ${shown(graph.inputShape)}.`;
  const [h, w] = graph.inputShape;
  return `mnist_segmentation scores ${classes} classes per pixel (background and the digits 0–9), so ${graph.name} must end in ${shown(expected)} (its input's ${h}×${w}, ${classes} classes), not ${shape ? shown(shape) : '?'}: end it with conv(${classes}, 1) at full size.`;
}

import { inputsMismatch, outputFitProblem, PAIR_INPUTS, SEGMENTATION_CLASSES, SEGMENTATION_THRESHOLD, singleValueMessage, singleValueNorms, type ModelGraph, type Shape, type TrainingConfig } from '../core';
import { severalInputsError, TrainError } from './errors';
import { pairDataset, type PairIndices } from './pairs';

/**
 * Image classification data in the compact format written by scripts/data/convert.mjs, and the
 * adaptation of its images to a model's input shape (centred zero padding, channel repetition,
 * flattening) where that is sound. No TensorFlow.js here (data.ts builds the tfjs batches), so the
 * PyTorch engine's Node side reads and checks data sets with the same code.
 */

export interface ImageSplit {
  /** Examples: images, or pairs of them where `pairs` is present. */
  count: number;
  /** u8 labels, one per example (a pair's: 1 same class, 0 different). */
  labels: Uint8Array;
  /** u8 pixels, H·W·C per image, NHWC. */
  pixels: Uint8Array;
  /** A pair set's examples (src/train/pairs.ts): the images of pair k are first[k] and second[k] of `pixels`. */
  pairs?: PairIndices;
}

export interface ImageDataset {
  name: string;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  train: ImageSplit;
  test: ImageSplit;
  /**
   * Present for per-pixel classes (mnist_segmentation): a pixel ≥ `threshold` (of 255) is class label + 1, every
   * other pixel (and the padding) class 0; `classes` then names the 11 per-pixel classes. Absent: one class per image.
   */
  segmentation?: { threshold: number };
  /** Present for a pair set (mnist_pairs): every example is two images, fed to a model's two inputs in order. */
  pairs?: true;
}

/**
 * MNIST as a segmentation set (src/core/segmentation.ts): the same images and digit labels, read per pixel with
 * SEGMENTATION_THRESHOLD, 11 classes. Shares the pixel arrays; throws a TrainError for a set that is not 1-channel.
 */
export function segmentationDataset(digits: ImageDataset): ImageDataset {
  if (digits.channels !== 1 || digits.classes.length !== 10) throw new TrainError(`Data set ${digits.name}: per-pixel classes are derived from 1-channel digits with 10 classes, not ${digits.channels} channels and ${digits.classes.length} classes.`, 'data');
  return { ...digits, name: 'mnist_segmentation', classes: [...SEGMENTATION_CLASSES], segmentation: { threshold: SEGMENTATION_THRESHOLD } };
}

/**
 * The set a train section trains on, from the file it names: the segmentation view of MNIST, or its pairs drawn with
 * the run's `seed` (src/train/pairs.ts), where it asks for them.
 */
export function datasetForTraining(read: ImageDataset, dataset: TrainingConfig['dataset'], seed: number): ImageDataset {
  if (dataset.kind !== 'builtin') return read;
  if (dataset.segmentation && !read.segmentation) return segmentationDataset(read);
  if (dataset.pairs && !read.pairs) return pairDataset(read, seed);
  return read;
}

const MAGIC = 'SKND';

/** Reads a dataset file; a clear error when the bytes are not one. */
export function parseDataset(name: string, bytes: Uint8Array): ImageDataset {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 32 || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) {
    throw new TrainError(`Data set ${name}: not a SkipNet data file (expected the ${MAGIC} header; run npm run build to regenerate it).`, 'data');
  }
  const [version, trainCount, testCount, height, width, channels, classCount] = [1, 2, 3, 4, 5, 6, 7].map((i) => view.getUint32(4 * i, true));
  if (version !== 1) throw new TrainError(`Data set ${name}: unsupported format version ${version}.`, 'data');
  let offset = 32;
  const classes: string[] = [];
  const decoder = new TextDecoder();
  for (let c = 0; c < classCount; c++) {
    const length = bytes[offset];
    classes.push(decoder.decode(bytes.subarray(offset + 1, offset + 1 + length)));
    offset += 1 + length;
  }
  const total = trainCount + testCount;
  const imageSize = height * width * channels;
  if (bytes.length !== offset + total * (1 + imageSize)) throw new TrainError(`Data set ${name}: the file is truncated or corrupt.`, 'data');
  const labels = bytes.subarray(offset, offset + total);
  const pixels = bytes.subarray(offset + total);
  return {
    name,
    height,
    width,
    channels,
    classes,
    train: { count: trainCount, labels: labels.subarray(0, trainCount), pixels: pixels.subarray(0, trainCount * imageSize) },
    test: { count: testCount, labels: labels.subarray(trainCount), pixels: pixels.subarray(trainCount * imageSize) },
  };
}

/** The SKND bytes of a data set (the format parseDataset reads, scripts/data/convert.mjs writes). */
export function encodeDataset(dataset: ImageDataset): Uint8Array {
  const encoder = new TextEncoder();
  const names = dataset.classes.map((c) => encoder.encode(c));
  const total = dataset.train.count + dataset.test.count;
  const image = dataset.height * dataset.width * dataset.channels;
  const header = 32 + names.reduce((sum, n) => sum + 1 + n.length, 0);
  const bytes = new Uint8Array(header + total * (1 + image));
  const view = new DataView(bytes.buffer);
  bytes.set(encoder.encode(MAGIC), 0);
  [1, dataset.train.count, dataset.test.count, dataset.height, dataset.width, dataset.channels, names.length].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  let offset = 32;
  for (const name of names) {
    if (name.length > 255) throw new TrainError(`Data set ${dataset.name}: class name ${new TextDecoder().decode(name)} is longer than 255 bytes.`, 'data');
    bytes[offset] = name.length;
    bytes.set(name, offset + 1);
    offset += 1 + name.length;
  }
  bytes.set(dataset.train.labels, offset);
  bytes.set(dataset.test.labels, offset + dataset.train.count);
  bytes.set(dataset.train.pixels, offset + total);
  bytes.set(dataset.test.pixels, offset + total + dataset.train.count * image);
  return bytes;
}

/** Of each class's images in name order, every HELD_OUT_EVERY-th is held out (the 5th, 10th, …). */
export const HELD_OUT_EVERY = 5;

/**
 * The split of an image folder (one sub-folder per class, torchvision's ImageFolder layout) that both engines train
 * on: images ordered by class, then by name (localeCompare), every HELD_OUT_EVERY-th of each class held out, and
 * when that leaves none, the last training image. Returns indices into `images`, in that order.
 */
export function folderSplit(images: readonly { label: number; name: string }[]): { train: number[]; test: number[] } {
  const order = images.map((image, index) => ({ image, index })).sort((a, b) => a.image.label - b.image.label || a.image.name.localeCompare(b.image.name));
  const train: number[] = [];
  const test: number[] = [];
  let previous = -1;
  let within = 0;
  for (const { image, index } of order) {
    within = image.label === previous ? within + 1 : 0;
    previous = image.label;
    (within % HELD_OUT_EVERY === HELD_OUT_EVERY - 1 ? test : train).push(index);
  }
  if (test.length === 0 && train.length > 1) test.push(train.pop()!);
  return { train, test };
}

/** How images become model inputs: padding and channel repetition, with a note for the user. */
export interface InputAdapter {
  modelShape: Shape;
  /** Zero rows/columns added before the image (the rest after). */
  padTop: number;
  padLeft: number;
  repeatChannels: number;
  flatten: boolean;
  /** e.g. "28×28×1 images padded to 32×32 and repeated to 3 channels"; empty when they fit as they are. */
  notes: string[];
  /** Per-dataset normalisation (mean and std of the training pixels in [0, 1]). */
  mean: number;
  std: number;
}

/** Plans how to feed a data set to a model, or explains why it cannot. */
export function adaptInputs(dataset: ImageDataset, modelShape: Shape, modelName = 'the model'): InputAdapter {
  const { height: h, width: w, channels: c } = dataset;
  const { mean, std } = pixelStatistics(dataset.train);
  const dataDesc = `${dataset.name} images are ${h}×${w}×${c}`;
  if (modelShape.length === 1) {
    if (modelShape[0] !== h * w * c) {
      throw new TrainError(`${dataDesc} (${h * w * c} values) but ${modelName} takes ${modelShape[0]} features.`, 'data');
    }
    return { modelShape, padTop: 0, padLeft: 0, repeatChannels: 1, flatten: true, notes: [`${h}×${w}×${c} images flattened to ${h * w * c} features`], mean, std };
  }
  if (modelShape.length !== 3) throw new TrainError(`${dataDesc}; ${modelName}'s input ${modelShape.join('×')} is not an image shape.`, 'data');
  const [mh, mw, mc] = modelShape;
  if (mh < h || mw < w) {
    throw new TrainError(`${dataDesc} but ${modelName} takes ${mh}×${mw}×${mc}: images would have to be cropped; give the model an input of at least ${h}×${w}.`, 'data');
  }
  if (mc !== c && !(c === 1 && mc === 3)) {
    throw new TrainError(`${dataDesc} but ${modelName} takes ${mc} channels: only 1 → 3 (grey repeated to RGB) is converted.`, 'data');
  }
  const notes: string[] = [];
  const parts: string[] = [];
  if (mh !== h || mw !== w) parts.push(`padded with zeros to ${mh}×${mw}`);
  if (mc !== c) parts.push(`repeated to ${mc} channels`);
  if (parts.length > 0) notes.push(`${dataset.name} ${h}×${w}×${c} images ${parts.join(' and ')}`);
  return { modelShape, padTop: Math.floor((mh - h) / 2), padLeft: Math.floor((mw - w) / 2), repeatChannels: mc / c, flatten: false, notes, mean, std };
}

function pixelStatistics(split: ImageSplit): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  const n = split.pixels.length;
  for (let i = 0; i < n; i++) {
    const v = split.pixels[i] / 255;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(1e-12, sumSq / n - mean * mean)) };
}

/**
 * What every engine checks of a model before training it at `config.batch`: a whole batch ≥ 1, every shape known,
 * and no bn normalising a single value per channel at this batch (the core reports that at the train section's
 * batch; a batch given elsewhere, a CLI flag or Train both, is checked here again). Throws a TrainError.
 */
export function checkTrainable(graph: ModelGraph, config: Pick<TrainingConfig, 'batch'>): void {
  if (!Number.isInteger(config.batch) || config.batch < 1) throw new TrainError(`Batch size must be a whole number ≥ 1, not ${config.batch}.`, 'unsupported');
  if (!graph.complete) throw new TrainError(`Model ${graph.name} has errors that leave some shapes unknown; fix them before training.`, 'incomplete-model');
  const severalInputs = severalInputsError(graph);
  if (severalInputs) throw severalInputs;
  const single = singleValueNorms(graph, config.batch)[0];
  if (single) throw new TrainError(singleValueMessage(single, config.batch, '', single.id), 'batch-norm');
}

/**
 * Whether `dataset` can train `graph`: images that fit its input (adaptInputs) and one output per class (per pixel,
 * H×W×classes, for a segmentation set). Returns
 * how the images are fed; throws a TrainError saying what to change.
 */
export function checkDataFits(graph: ModelGraph, dataset: ImageDataset): InputAdapter {
  const mismatch = inputsMismatch(graph, { name: dataset.name, pairs: dataset.pairs === true });
  if (mismatch) throw new TrainError(mismatch, 'data');
  const adapter = adaptInputs(dataset, graph.inputShape, `model ${graph.name}`);
  if (dataset.pairs) {
    const shapes = graph.inputs.slice(0, PAIR_INPUTS).map((id) => graph.nodeById.get(id)?.shape?.join('×') ?? '?');
    if (shapes[0] !== shapes[1]) throw new TrainError(`${dataset.name} feeds both images the same way, so ${graph.name}'s inputs ${graph.inputs.join(' and ')} must have one shape, not ${shapes.join(' and ')}.`, 'data');
  }
  // The core's check, so `skipnet check`, the editor and training give one message.
  const problem = outputFitProblem(graph, { name: dataset.name, classes: dataset.classes.length, segmentation: dataset.segmentation !== undefined });
  if (problem) throw new TrainError(problem, 'data');
  return adapter;
}

import type { Range } from './text';
import type { Shape, Value } from './values';

/** A run of consecutive channels of a tensor that one node produced: the unit of "where feature maps come from". */
export interface ChannelSegment {
  /** Id of the node that produced these channels; '' for channels of zeros added by a zeropad shortcut. */
  source: string;
  channels: number;
}

export interface GraphNode {
  /** Stable id from the block path, e.g. `stage2/basic3/conv2`. */
  id: string;
  /** The last part of the id: the label written in the source, or the layer kind numbered in its scope. */
  name: string;
  kind: string;
  /** Ids of the input nodes in argument order (one for ordinary layers, several for add/concat). */
  inputs: string[];
  args: Record<string, Value>;
  /** Where the layer is written. Inside a block this is the block body; the instance's call site is on its group. */
  range: Range;
  /** Innermost block instance holding the node, or null at model level. */
  group: string | null;
  /** Output shape without the batch axis, or null if an error upstream left it unknown. */
  shape: Shape | null;
  provenance: ChannelSegment[];
  /** Counts are bigint: exact past 2^53 (Number.MAX_SAFE_INTEGER). Trainable parameters, as PyTorch counts them. */
  params: bigint;
  /** Batch-norm running mean and variance (2·C), not trained. */
  buffers: bigint;
  /** Multiply-accumulates per sample. */
  macs: bigint;
  /** Elements of the output for one sample (memory is this × 4 bytes in float32). */
  outputElements: bigint;
  /** Views (identity, flatten) share their input's memory. */
  view: boolean;
  /**
   * Id of the node whose weights this one applies again (tied weights, `shared(label)`), or null. Its parameters
   * and buffers are those of that node, counted there once, as PyTorch's `parameters()` yields a shared Parameter
   * once; its MACs are its own (every application computes).
   */
  sharedWith: string | null;
}

/** One instance of a block (or one iteration of a labelled repeat): a compound node in the graph view. */
export interface BlockGroup {
  id: string;
  name: string;
  /** The block's name, or 'repeat' for a labelled repeat body. */
  block: string;
  parent: string | null;
  callRange: Range;
  nodes: string[];
  /** The node whose output is the group's output. */
  output: string | null;
  /** Exact sums over the nodes inside, at any depth. */
  params: bigint;
  macs: bigint;
  /**
   * True for the group of `label: repeat N stmt`, which only gathers the copies for the drawing: the copies'
   * ids keep the scope's path (`block1_2/conv1`), so no id and no PyTorch module is named after it.
   */
  copies: boolean;
  /** The block instance whose weights this one applies again (`shared(label)`), or null. */
  sharedWith: string | null;
}

/** The CIFAR sets a train section can name: 32×32×3 images, 10 classes or 100 fine classes. */
export type CifarName = 'cifar10' | 'cifar100';

export interface TrainingConfig {
  /**
   * What to train on: a bundled set, a folder of images (one sub-folder per class), or CIFAR-10/100 read from a
   * folder the user already has (torchvision's python pickles or the binary version; `folder` from the train
   * section's `data`, else the skipnet.data.cifarFolder setting). Krizhevsky 2009, "Learning Multiple Layers of
   * Features from Tiny Images", ch. 3 (the data sets).
   */
  dataset:
    /**
     * `segmentation`: MNIST as per-pixel classes (`dataset: mnist_segmentation`): 0 for background, digit + 1
     * on the pixels ≥ SEGMENTATION_THRESHOLD of 255, so 11 classes per pixel (docs/language.md).
     * `pairs`: pairs of images with 1 = same class, 0 = different (`dataset: mnist_pairs`, src/core/pairs.ts),
     * for a model with two image inputs.
     */
    | { kind: 'builtin'; name: 'mnist' | 'fashion-mnist'; segmentation?: true; pairs?: true }
    | { kind: 'folder'; path: string }
    | { kind: 'cifar'; name: CifarName; folder?: string };
  epochs: number;
  batch: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
}

export const DEFAULT_TRAINING: TrainingConfig = {
  dataset: { kind: 'builtin', name: 'mnist' },
  epochs: 1,
  batch: 32,
  optimizer: 'momentum',
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 0,
  seed: 1,
};

/** Exact sums over the model's nodes (bigint: exact past 2^53). */
export interface ModelTotals {
  params: bigint;
  buffers: bigint;
  macs: bigint;
  /** Sum over nodes of output elements for one sample, views excluded. */
  activationElements: bigint;
  layers: number;
}

export interface ModelGraph {
  name: string;
  range: Range;
  nameRange: Range;
  /** The first input's shape (the only one, in a model with one input). */
  inputShape: Shape;
  /** Ids of the input nodes in the order declared: `['input']`, or the names of `model m(a: …, b: …)`. */
  inputs: string[];
  nodes: GraphNode[];
  nodeById: Map<string, GraphNode>;
  groups: BlockGroup[];
  groupById: Map<string, BlockGroup>;
  /** Id of the node whose output is the model's output. */
  output: string;
  totals: ModelTotals;
  /** Settings from the model's train section, defaults filled in. */
  training: TrainingConfig;
  hasTrainSection: boolean;
  /** False when an error left some shape unknown: totals then cover only the known part. */
  complete: boolean;
}

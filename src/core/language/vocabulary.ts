import type { BlockDecl } from '../ast';
import { EXPRESSION_FUNCTIONS } from '../evaluate';
import { DEFAULT_TRAINING } from '../graph';
import { LAYERS, type ArgSpec, type LayerSpec } from '../layers';
import { formatValue } from '../values';

/**
 * The fixed words of the language as the editor offers them: train settings with their values,
 * snippets for layers and blocks, signatures with parameter offsets. Derived from the core's tables
 * (LAYERS, DEFAULT_TRAINING) so a new layer or setting shows up here without editing this file.
 */

export interface TrainSettingInfo {
  key: string;
  doc: string;
  /** Text inserted after `key: `. */
  example: string;
  /** Fixed choices, when the value is one of a few words. */
  values?: { value: string; doc: string }[];
}

export const TRAIN_SETTINGS: readonly TrainSettingInfo[] = [
  {
    key: 'dataset',
    doc: 'what to train on: mnist, fashion_mnist, cifar10, cifar100 (from a folder you have: `data`), or a folder of images in quotes (one sub-folder per class; needs a trusted workspace); mnist_segmentation for per-pixel classes; mnist_pairs or fashion_mnist_pairs for a model with two image inputs.',
    example: 'mnist',
    values: [
      { value: 'mnist', doc: '28×28×1 handwritten digits, 10 classes' },
      { value: 'fashion_mnist', doc: '28×28×1 clothing images, 10 classes' },
      { value: 'cifar10', doc: '32×32×3 photos, 10 classes, read from your CIFAR-10 folder (never downloaded)' },
      { value: 'cifar100', doc: '32×32×3 photos, 100 fine classes, read from your CIFAR-100 folder (never downloaded)' },
      { value: 'mnist_segmentation', doc: 'MNIST as 11 classes per pixel: background, and digit + 1 on the pixels ≥ 128 of 255; the model ends in H×W×11 for its H×W input' },
      { value: 'mnist_pairs', doc: 'pairs of MNIST digits for a model with two image inputs (a Siamese pair): 1 = same digit, 0 = different, half of each; the model ends in dense(2)' },
      { value: 'fashion_mnist_pairs', doc: 'pairs of Fashion-MNIST images for a model with two image inputs: 1 = same class, 0 = different, half of each; the model ends in dense(2)' },
    ],
  },
  {
    key: 'data',
    doc: 'the CIFAR folder for dataset: cifar10 or cifar100, in quotes: torchvision\'s cifar-10-batches-py / cifar-100-python, the binary cifar-10-batches-bin / cifar-100-binary, or a folder holding one (default: the skipnet.data.cifarFolder setting).',
    example: '"data/cifar-10-batches-py"',
  },
  { key: 'epochs', doc: 'passes over the training set.', example: String(DEFAULT_TRAINING.epochs) },
  { key: 'batch', doc: 'samples per step; the training-memory estimate scales with it.', example: String(DEFAULT_TRAINING.batch) },
  {
    key: 'optimizer',
    doc: 'sgd, momentum (SGD with momentum) or adam.',
    example: DEFAULT_TRAINING.optimizer,
    values: [
      { value: 'sgd', doc: 'plain stochastic gradient descent (no optimizer state)' },
      { value: 'momentum', doc: 'SGD with momentum (one velocity per parameter)' },
      { value: 'adam', doc: 'Adam (two moments per parameter)' },
    ],
  },
  { key: 'lr', doc: 'learning rate, a number > 0.', example: String(DEFAULT_TRAINING.lr) },
  { key: 'momentum', doc: 'momentum of the momentum optimizer, ≥ 0.', example: String(DEFAULT_TRAINING.momentum) },
  { key: 'weight_decay', doc: 'L2 weight decay, ≥ 0.', example: String(DEFAULT_TRAINING.weightDecay) },
  { key: 'seed', doc: 'random seed for weights and shuffling, a whole number ≥ 0.', example: String(DEFAULT_TRAINING.seed) },
];

export const FUNCTION_SIGNATURES: Readonly<Record<string, string[]>> = {
  floor: ['x'],
  ceil: ['x'],
  round: ['x'],
  abs: ['x'],
  min: ['a', 'b', '…'],
  max: ['a', 'b', '…'],
};

export const FUNCTIONS = EXPRESSION_FUNCTIONS;

/** Values a layer argument of this kind takes as bare words. */
export function argumentWords(arg: ArgSpec): string[] {
  if (arg.type === 'bool') return ['true', 'false'];
  if (arg.type === 'padding') return ['same', 'valid'];
  return arg.choices ?? [];
}

/** `conv(${1:filters}, ${2:kernel})`: the required arguments as tab stops; a bare name when none are required. */
export function layerSnippet(spec: LayerSpec): string {
  if (spec.merge) return `${spec.kind}(\${1:in}, \${2:_})`;
  const required = spec.args.filter((a) => a.default === undefined);
  if (required.length === 0) return spec.kind;
  return `${spec.kind}(${required.map((a, i) => `\${${i + 1}:${a.name}}`).join(', ')})`;
}

export function blockSnippet(block: BlockDecl): string {
  const required = block.params.filter((p) => !p.default);
  return `${block.name}(${required.map((p, i) => `\${${i + 1}:${p.name}}`).join(', ')})`;
}

/** A call signature with the offset of each parameter in its label, for signature help. */
export interface SignatureInfo {
  label: string;
  documentation: string;
  parameters: { label: string; offsets: [number, number]; documentation: string }[];
  /** Rest parameters (add/concat, min/max): the last one stays active past the end. */
  variadic: boolean;
}

function signature(name: string, documentation: string, parts: { text: string; documentation: string }[], variadic = false): SignatureInfo {
  let label = `${name}(`;
  const parameters: SignatureInfo['parameters'] = [];
  parts.forEach((part, i) => {
    if (i > 0) label += ', ';
    parameters.push({ label: part.text, offsets: [label.length, label.length + part.text.length], documentation: part.documentation });
    label += part.text;
  });
  return { label: `${label})`, documentation, parameters, variadic };
}

export function layerSignature(spec: LayerSpec): SignatureInfo {
  if (spec.merge) {
    return signature(
      spec.kind,
      spec.doc,
      [
        { text: 'a', documentation: 'a tensor: in, _ or a label' },
        { text: 'b', documentation: 'another tensor' },
        { text: '…', documentation: 'more tensors' },
      ],
      true,
    );
  }
  return signature(
    spec.kind,
    spec.doc,
    spec.args.map((a) => ({ text: a.default === undefined ? a.name : `${a.name}=${formatValue(a.default)}`, documentation: a.doc })),
  );
}

export function blockSignatureInfo(block: BlockDecl, text: string): SignatureInfo {
  return signature(
    block.name,
    `Block ${block.name}`,
    block.params.map((p) => ({
      text: p.default ? `${p.name}=${text.slice(p.default.range.start, p.default.range.end)}` : p.name,
      documentation: p.default ? 'optional' : 'required',
    })),
  );
}

export function functionSignature(name: string): SignatureInfo | undefined {
  const params = FUNCTION_SIGNATURES[name];
  if (!params) return undefined;
  return signature(name, `Arithmetic function ${name}.`, params.map((p) => ({ text: p, documentation: '' })), name === 'min' || name === 'max');
}

export function allLayers(): LayerSpec[] {
  return [...LAYERS.values()];
}

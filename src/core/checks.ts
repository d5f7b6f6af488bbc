import type { BlockDecl, Element, Expr, ModelDecl, SkipnetFile, Statement, TrainSetting } from './ast';
import type { DiagnosticSink } from './diagnostics';
import { evaluate } from './evaluate';
import { DEFAULT_TRAINING, type TrainingConfig } from './graph';
import { LAYERS, RESERVED_NAMES, type LayerSpec } from './layers';
import { trainingDatasetName } from './pairs';
import { foreignName, suggest } from './suggest';
import type { Range } from './text';
import { reportUnsupportedLayer } from './unsupported';
import { formatValue, type Value } from './values';

export { closestName, suggestion } from './suggest';

const TENSOR_WORDS = new Set(['in', 'input', '_']);

/** Every label written in these statements, nested repeat bodies included. */
function labelsOf(statements: Statement[]): Set<string> {
  const labels = new Set<string>();
  const visit = (list: Statement[]): void => {
    for (const statement of list) {
      if (statement.label) labels.add(statement.label);
      if (statement.kind === 'repeat' && Array.isArray(statement.body)) visit(statement.body);
    }
  };
  visit(statements);
  forEachElement(statements, (element) => element.label && labels.add(element.label));
  return labels;
}

/** Calls `visit` with the elements of every chain, in repeat bodies too. */
function forEachChain(statements: Statement[], visit: (elements: Element[]) => void): void {
  for (const statement of statements) {
    if (statement.kind === 'chain') visit(statement.elements);
    else if (Array.isArray(statement.body)) forEachChain(statement.body, visit);
    else visit(statement.body.elements);
  }
}

/** Where the argument `name` of a layer call is written (by keyword or by position), if it is. */
export function argumentRange(spec: LayerSpec, element: Element, name: string | undefined): Range | undefined {
  if (name === undefined) return undefined;
  let position = 0;
  for (const arg of element.args ?? []) if ((arg.name ?? spec.args[position++]?.name) === name) return arg.range;
  return undefined;
}

export function forEachElement(statements: Statement[], visit: (element: Element) => void): void {
  for (const statement of statements) {
    if (statement.kind === 'chain') statement.elements.forEach(visit);
    else if (Array.isArray(statement.body)) forEachElement(statement.body, visit);
    else statement.body.elements.forEach(visit);
  }
}

/** More copies than this stop the expansion anyway (model-too-large). */
const MAX_CLAIMED_COPIES = 50_000;

/**
 * The name of copy `i` (1-based) of `label: repeat N …`: `conv` gives conv1 … convN (torchvision's
 * `denselayer1 … denselayer6`); a label ending in a digit gets an underscore first, so `block1` gives
 * block1_1 … block1_N and copy 1 of block1 can never read as copy 11 of block.
 */
export function copyName(label: string, i: number): string {
  return `${copyStem(label)}${i}`;
}

/** What the copy numbers of `label: repeat N …` follow: the label, with an underscore when it ends in a digit. */
export function copyStem(label: string): string {
  return /[0-9]$/.test(label) ? `${label}_` : label;
}

/**
 * The names the labels of one scope claim before it runs: every label written in it (an unlabelled
 * repeat body shares its scope; a labelled `repeat N { … }` opens its own) and the copies (`copyName`)
 * of a labelled repeat whose count `evaluateCount` can tell up front (it may return undefined).
 */
export function scopeLabels(statements: Statement[], evaluateCount: (count: Expr) => Value | undefined, claimed = new Set<string>()): Set<string> {
  for (const statement of statements) {
    if (statement.kind === 'chain') {
      if (statement.label) claimed.add(statement.label);
      for (const element of statement.elements) if (element.label) claimed.add(element.label);
      continue;
    }
    if (statement.label) {
      const count = evaluateCount(statement.count);
      if (typeof count === 'number' && Number.isInteger(count)) for (let i = 1; i <= Math.min(count, MAX_CLAIMED_COPIES); i++) claimed.add(copyName(statement.label, i));
    }
    if (!Array.isArray(statement.body)) {
      for (const element of statement.body.elements) if (element.label) claimed.add(element.label);
    } else if (!statement.label) scopeLabels(statement.body, evaluateCount, claimed);
  }
  return claimed;
}

/**
 * Checks that need no expansion: duplicate or reserved declarations, calls to names that are neither
 * layers nor blocks, and blocks that call themselves (directly or through others). Returns the names
 * of recursive blocks so the expansion can refuse to enter them.
 */
export function checkDeclarations(file: SkipnetFile, blocks: Map<string, BlockDecl>, sink: DiagnosticSink): Set<string> {
  const modelNames = new Set<string>();
  for (const block of file.blocks) {
    if (LAYERS.has(block.name) || RESERVED_NAMES.has(block.name)) {
      sink.add('reserved-name', `'${block.name}' is a built-in name; choose another name for this block.`, block.nameRange);
    } else if (blocks.get(block.name) !== block) {
      sink.add('duplicate-definition', `Block '${block.name}' is already defined.`, block.nameRange, [
        { range: blocks.get(block.name)!.nameRange, message: 'first definition' },
      ]);
    }
    const seen = new Set<string>();
    for (const param of block.params) {
      if (RESERVED_NAMES.has(param.name)) sink.add('reserved-name', `'${param.name}' is a built-in name and cannot be a parameter.`, param.nameRange);
      if (seen.has(param.name)) sink.add('duplicate-definition', `Parameter '${param.name}' appears twice.`, param.nameRange);
      seen.add(param.name);
    }
  }
  for (const model of file.models) {
    if (modelNames.has(model.name)) sink.add('duplicate-definition', `Model '${model.name}' is already defined in this file.`, model.nameRange);
    modelNames.add(model.name);
  }

  const checkCalls = (statements: Statement[]): void => {
    const labels = labelsOf(statements);
    forEachChain(statements, (elements) =>
      elements.forEach((element, index) => {
        if (LAYERS.has(element.name) || blocks.has(element.name) || (element.name === 'shared' && element.args)) return;
        if (element.args) reportUnknownLayer(element, blocks, sink);
        // After an arrow only a layer or block can stand; checked here so blocks never called are checked too.
        else if (index > 0 && (labels.has(element.name) || TENSOR_WORDS.has(element.name) || labels.has(element.name.replace(/\d+$/, '')))) {
          sink.add('reference-position', `'${element.name}' is not a layer or block; a tensor name can only start a chain (${element.name} -> ...).`, element.nameRange);
        } else if (index > 0) reportUnknownLayer(element, blocks, sink);
      }),
    );
  };
  file.blocks.forEach((block) => checkCalls(block.body));
  file.models.forEach((model) => checkCalls(model.body));

  // Depth-first search for call cycles, with an explicit stack: a chain of thousands of blocks must not overflow.
  const recursive = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const callees = (block: BlockDecl): Element[] => {
    const calls: Element[] = [];
    forEachElement(block.body, (element) => {
      if (blocks.has(element.name) && !LAYERS.has(element.name)) calls.push(element);
    });
    return calls;
  };
  for (const root of blocks.values()) {
    if (state.has(root.name)) continue;
    const path: { block: BlockDecl; calls: Element[]; next: number }[] = [{ block: root, calls: callees(root), next: 0 }];
    state.set(root.name, 'visiting');
    while (path.length > 0) {
      const top = path[path.length - 1];
      if (top.next >= top.calls.length) {
        state.set(top.block.name, 'done');
        path.pop();
        continue;
      }
      const element = top.calls[top.next++];
      const callee = blocks.get(element.name)!;
      if (state.get(callee.name) === 'visiting') {
        const names = path.map((p) => p.block.name);
        const cycle = [...names.slice(names.indexOf(callee.name)), callee.name];
        cycle.forEach((name) => recursive.add(name));
        sink.add('recursive-block', `Block '${callee.name}' calls itself (${cycle.join(' → ')}); a network must be finite.`, element.nameRange);
      } else if (!state.has(callee.name)) {
        state.set(callee.name, 'visiting');
        path.push({ block: callee, calls: callees(callee), next: 0 });
      }
    }
  }
  return recursive;
}

/**
 * A layer SkipNet cannot express yet (`conv1d`, `GroupNorm`, `LSTM`) gets `unsupported-layer` instead, with what to
 * write. Otherwise "Unknown layer or block 'x'." with what the person probably meant: the SkipNet name of a PyTorch or
 * Keras layer (the whole call translated), else the closest block or layer name; either way with a fix.
 */
export function reportUnknownLayer(element: Element, blocks: Map<string, BlockDecl>, sink: DiagnosticSink): void {
  if (reportUnsupportedLayer(element, sink)) return;
  const foreign = foreignName(element, LAYERS);
  // Blocks by name, then layers in their table order: the order completion lists them in.
  const { hint, fix } = foreign ?? suggest(element.name, [...[...blocks.keys()].sort(), ...LAYERS.keys()], element.nameRange);
  sink.add('unknown-layer-or-block', `Unknown layer or block '${element.name}'.${hint}`, element.nameRange, undefined, 'error', fix);
}

const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
const DATASETS = ['mnist', 'fashion_mnist', 'cifar10', 'cifar100', 'mnist_segmentation', 'mnist_pairs', 'fashion_mnist_pairs'] as const;

/** Reads a model's train section into a full configuration, reporting unknown keys and bad values. */
export function readTraining(model: ModelDecl, sink: DiagnosticSink): TrainingConfig {
  const config: TrainingConfig = { ...DEFAULT_TRAINING };
  const noScope = { lookup: () => undefined, channels: () => undefined };
  const keys = ['dataset', 'data', 'epochs', 'batch', 'optimizer', 'lr', 'momentum', 'weight_decay', 'seed'];
  let dataFolder: { path: string; setting: TrainSetting } | undefined;
  for (const setting of model.train?.settings ?? []) {
    const value = evaluate(setting.value, noScope, sink);
    if (value === undefined) continue;
    const bad = (expected: string): void =>
      sink.add('invalid-training', `${setting.key} must be ${expected}, not ${formatValue(value)}.`, setting.value.range);
    const positiveInt = (): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : (bad('a positive whole number'), undefined));
    const nonNegative = (): number | undefined => (typeof value === 'number' && value >= 0 ? value : (bad('a number ≥ 0'), undefined));
    switch (setting.key) {
      case 'dataset':
        if (typeof value === 'object' && 'symbol' in value && (DATASETS as readonly string[]).includes(value.symbol)) {
          const name = value.symbol;
          config.dataset =
            name === 'cifar10' || name === 'cifar100'
              ? { kind: 'cifar', name }
              : name === 'mnist_segmentation'
                ? { kind: 'builtin', name: 'mnist', segmentation: true }
                : name === 'mnist_pairs' || name === 'fashion_mnist_pairs'
                  ? { kind: 'builtin', name: name === 'mnist_pairs' ? 'mnist' : 'fashion-mnist', pairs: true }
                  : { kind: 'builtin', name: name === 'mnist' ? 'mnist' : 'fashion-mnist' };
        } else if (typeof value === 'object' && 'text' in value) {
          config.dataset = { kind: 'folder', path: value.text };
        } else bad(`one of ${DATASETS.join(', ')} or a folder path in quotes`);
        break;
      case 'data':
        if (typeof value === 'object' && 'text' in value && value.text.trim() !== '') dataFolder = { path: value.text, setting };
        else bad('the CIFAR folder as a path in quotes, e.g. "data/cifar-10-batches-py"');
        break;
      case 'epochs':
        config.epochs = positiveInt() ?? config.epochs;
        break;
      case 'batch':
        config.batch = positiveInt() ?? config.batch;
        break;
      case 'seed':
        config.seed = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : (bad('a whole number ≥ 0'), config.seed);
        break;
      case 'optimizer':
        if (typeof value === 'object' && 'symbol' in value && (OPTIMIZERS as readonly string[]).includes(value.symbol)) {
          config.optimizer = value.symbol as TrainingConfig['optimizer'];
        } else bad(`one of ${OPTIMIZERS.join(', ')}`);
        break;
      case 'lr':
        config.lr = typeof value === 'number' && value > 0 ? value : (bad('a number > 0'), config.lr);
        break;
      case 'momentum':
        config.momentum = nonNegative() ?? config.momentum;
        break;
      case 'weight_decay':
        config.weightDecay = nonNegative() ?? config.weightDecay;
        break;
      default: {
        const { hint, fix } = suggest(setting.key, keys, setting.keyRange);
        sink.add('invalid-training', `Unknown training setting '${setting.key}'; the settings are ${keys.join(', ')}.${hint}`, setting.keyRange, undefined, 'error', fix);
      }
    }
  }
  if (dataFolder) {
    // `data` only says where CIFAR lives; with any other data set it would be silently ignored.
    if (config.dataset.kind === 'cifar') config.dataset = { ...config.dataset, folder: dataFolder.path };
    else sink.add('invalid-training', `data names the CIFAR folder and goes with dataset: cifar10 or cifar100; this model trains on ${config.dataset.kind === 'folder' ? `the folder '${config.dataset.path}'` : trainingDatasetName(config.dataset)}.`, dataFolder.setting.keyRange);
  }
  return config;
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { completionsAt, cursorContext, signatureHelpAt, type CompletionEntry } from '../../src/core/language';
import { example } from './helpers';

const LAYER_NAMES = 'conv convtranspose bn relu leakyrelu gelu sigmoid tanh relu6 silu hardswish hardsigmoid softmax maxpool avgpool upsample gap flatten dense dropout identity zeropad add concat mul gate patchify cls_token pos_embed layernorm attention token mean_tokens';

/** Completions where '|' stands in the text (the marker is removed before analysis). */
function complete(textWithCursor: string): { labels: string; items: CompletionEntry[]; offset: number; text: string } {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  const items = completionsAt(analyze(text), offset);
  return { labels: items.map((i) => i.label).join(' '), items, offset, text };
}

const resnet20 = example('resnet20.skipnet').text;
const at = (from: string, to: string): string => {
  assert.ok(resnet20.includes(from), `resnet20 has '${from}'`);
  return resnet20.replace(from, to);
};

test('a new statement in a model offers blocks, layers, the labels above it, in, _ and repeat', () => {
  const { labels, items } = complete(at('  layer3: stage', '  |\n  layer3: stage'));
  assert.equal(labels, `${LAYER_NAMES} basic stage in _ layer1 layer2 repeat`);
  const conv = items.find((i) => i.label === 'conv')!;
  assert.deepEqual([conv.kind, conv.insertText, conv.snippet], ['layer', 'conv(${1:filters}, ${2:kernel})', true]);
  assert.equal(items.find((i) => i.label === 'relu')!.insertText, 'relu');
  assert.equal(items.find((i) => i.label === 'add')!.insertText, 'add(${1:in}, ${2:_})');
  assert.equal(items.find((i) => i.label === 'stage')!.insertText, 'stage(${1:planes}, ${2:n})');
  assert.equal(items.find((i) => i.label === 'layer2')!.detail, 'tensor labelled on line 20');
});

test('after an arrow only layers and blocks can follow; a block does not offer itself', () => {
  assert.equal(complete(at('gap -> dense(10)', 'gap -> | dense(10)')).labels, `${LAYER_NAMES} basic stage`);
  assert.equal(complete(at('repeat n - 1 basic(planes)', 'repeat n - 1 |')).labels, `${LAYER_NAMES} basic`);
  assert.equal(complete(at('repeat n - 1 basic(planes)', 'repeat n - |')).labels, '');
});

test('after a label: elements, references above (not the label itself) and repeat', () => {
  assert.equal(complete(at('  layer3: stage', '  x: |\n  layer3: stage')).labels, `${LAYER_NAMES} basic stage in _ layer1 layer2 repeat`);
});

test('arguments: keyword names not yet given, values of the argument, parameters and functions', () => {
  assert.equal(complete(at('conv(16, 3, pad=1, bias=false)', 'conv(16, |)')).labels, 'kernel= stride= pad= groups= bias= dilation= channels floor ceil round abs min max');
  assert.equal(complete(at('conv(16, 3, pad=1, bias=false)', 'conv(16, 3, pad=|)')).labels, 'same valid channels floor ceil round abs min max');
  assert.equal(complete(at('conv(16, 3, pad=1, bias=false)', 'conv(16, 3, bias=false, |)')).labels, 'stride= pad= groups= dilation= channels floor ceil round abs min max');
  assert.equal(complete(at('conv(16, 3, pad=1, bias=false)', 'conv(16, 3, bias=|)')).labels, 'true false channels floor ceil round abs min max');
  assert.equal(complete(at('layer1: stage(16, 3)', 'layer1: stage(16, |)')).labels, 'n= stride= channels floor ceil round abs min max');
  // Inside a block, its parameters are values too.
  assert.equal(complete(at('basic(planes, stride)', 'basic(planes, |)')).labels, 'stride= planes n stride channels floor ceil round abs min max');
  assert.equal(complete(at('add(residual, shortcut)', 'add(residual, |)')).labels, 'in _ residual shortcut');
});

test('train sections: the keys not yet set, and the values of dataset and optimizer', () => {
  const keys = complete(at('    seed: 1', '    seed: 1\n    |'));
  assert.equal(keys.labels, 'data momentum weight_decay');
  assert.equal(keys.items[2].insertText, 'weight_decay: ${1:0}');
  assert.equal(complete(at('    optimizer: momentum', '    optimizer: |')).labels, 'sgd momentum adam');
  assert.equal(complete(at('    dataset: mnist', '    dataset: |')).labels, 'mnist fashion_mnist cifar10 cifar100 mnist_segmentation mnist_pairs fashion_mnist_pairs "folder"');
});

test('top level offers block and model; a model without a train section offers one', () => {
  assert.equal(complete(`|${resnet20}`).labels, 'block model');
  assert.equal(complete(`${resnet20}\n|`).labels, 'block model');
  const unfinished = complete('model m(8x8x1) {\n  conv(4, 3)\n  |');
  assert.equal(unfinished.labels, `${LAYER_NAMES} in _ repeat train`);
  assert.match(unfinished.items.at(-1)!.insertText, /^train \{\n\tdataset: \$\{1:mnist\}\n\tepochs: \$\{2:1\}\n\tbatch: \$\{3:32\}/);
});

test('no completion inside comments and strings', () => {
  assert.equal(complete(at('# ResNet-20', '# Res|Net-20')).labels, '');
  assert.equal(complete('model m(8x8x1) {\n  conv(4, 3)\n  train {\n    dataset: "da|ta"\n  }\n}').labels, '');
});

test('the word being typed is reported so the editor can filter', () => {
  const text = 'model m(8x8x1) {\n  con\n}';
  const context = cursorContext(analyze(text), text.indexOf('con') + 3);
  assert.deepEqual([context.position, context.wordStart, context.declaration?.name], ['statement-start', text.indexOf('con'), 'm']);
});

function signature(textWithCursor: string): [string, number, string | undefined] {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  const help = signatureHelpAt(analyze(text), offset);
  if (!help) return ['', -1, undefined];
  return [help.signature.label, help.activeParameter, help.signature.parameters[help.activeParameter]?.label];
}

test('signature help follows positional and keyword arguments', () => {
  const conv = 'conv(filters, kernel, stride=1, pad=0, groups=1, bias=true, dilation=1)';
  assert.deepEqual(signature(at('conv(16, 3, pad=1, bias=false)', 'conv(|16, 3, pad=1, bias=false)')), [conv, 0, 'filters']);
  assert.deepEqual(signature(at('conv(16, 3, pad=1, bias=false)', 'conv(16, 3, |pad=1, bias=false)')), [conv, 3, 'pad=0']);
  assert.deepEqual(signature(at('conv(16, 3, pad=1, bias=false)', 'conv(16, 3, pad=1, bias=|false)')), [conv, 5, 'bias=true']);
  assert.deepEqual(signature(at('conv(16, 3, pad=1, bias=false)', 'conv(16, 3, |)')), [conv, 2, 'stride=1']);
  assert.deepEqual(signature(at('layer2: stage(32, 3, stride=2)', 'layer2: stage(32, |3, stride=2)')), ['stage(planes, n, stride=1)', 1, 'n']);
  assert.deepEqual(signature(at('add(residual, shortcut)', 'add(residual, shortcut, |)')), ['add(a, b, …)', 2, '…']);
  assert.deepEqual(signature(at('dense(10)', 'dense(10, |)')), ['dense(units, bias=true)', 1, 'bias=true']);
  assert.deepEqual(signature(at('dense(10)', 'dense(10, true, |)')), ['dense(units, bias=true)', -1, undefined]);
  assert.deepEqual(signature(at('block basic(planes, stride=1)', 'block basic(planes, |stride=1)')), ['', -1, undefined]);
  assert.equal(signatureHelpAt(analyze(resnet20), resnet20.indexOf('gap')), undefined);
});

test('signature offsets point at each parameter in the label', () => {
  const { analysis, text } = example('densenet121.skipnet');
  const help = signatureHelpAt(analysis, text.indexOf('denseblock(6)') + 11)!;
  assert.equal(help.signature.label, 'denseblock(n, k=32)');
  assert.deepEqual(help.signature.parameters.map((p) => help.signature.label.slice(...p.offsets)), ['n', 'k=32']);
});

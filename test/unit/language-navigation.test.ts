import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { definitionAt, documentSymbols, modelLenses, prepareRename, referencesAt, renameAt, type OutlineSymbol } from '../../src/core/language';
import { example, offsetOf, slice } from './helpers';

/** Ranges as "line:col text" so failures read like the file. */
function where(text: string, ranges: { start: number; end: number }[]): string[] {
  const analysis = analyze(text);
  return ranges.map((r) => {
    const p = analysis.lines.positionAt(r.start);
    return `${p.line + 1}:${p.character + 1} ${slice(text, r)}`;
  });
}

test('go to definition of labels, blocks, parameters and in', () => {
  const { text, analysis } = example('resnet20.skipnet');
  assert.deepEqual(where(text, [definitionAt(analysis, offsetOf(text, 'add(residual', 5))!]), ['6:3 residual']);
  assert.deepEqual(where(text, [definitionAt(analysis, offsetOf(text, 'basic(planes, stride)', 2))!]), ['5:7 basic']);
  assert.deepEqual(where(text, [definitionAt(analysis, offsetOf(text, 'repeat n - 1', 7))!]), ['12:21 n']);
  assert.deepEqual(where(text, [definitionAt(analysis, offsetOf(text, 'in -> zeropad', 0))!]), ['5:7 basic']);
  assert.equal(definitionAt(analysis, offsetOf(text, 'zeropad', 1)), undefined, 'built-in layers have no definition in the file');
  const model = 'model m(8x8x1) {\n  in -> conv(4, 3)\n}';
  assert.deepEqual(where(model, [definitionAt(analyze(model), model.indexOf('in ->'))!]), ['1:9 8x8x1']);
});

test('find references of a block, a label and a block parameter', () => {
  const { text, analysis } = example('resnet20.skipnet');
  assert.deepEqual(where(text, referencesAt(analysis, offsetOf(text, 'block basic', 7), true)), ['5:7 basic', '13:3 basic', '14:16 basic']);
  assert.deepEqual(where(text, referencesAt(analysis, offsetOf(text, 'block basic', 7), false)), ['13:3 basic', '14:16 basic']);
  assert.deepEqual(where(text, referencesAt(analysis, offsetOf(text, 'shortcut:', 2), true)), ['7:3 shortcut', '8:17 shortcut']);
  assert.deepEqual(where(text, referencesAt(analysis, offsetOf(text, 'stage(planes, n', 6), true)), ['12:13 planes', '13:9 planes', '14:22 planes']);
  assert.deepEqual(referencesAt(analysis, offsetOf(text, 'zeropad', 1), true), []);
});

test('rename a block parameter renames its uses and the keyword arguments at its calls', () => {
  const { text, analysis } = example('mnist_resnet.skipnet');
  const result = renameAt(analysis, offsetOf(text, 'stride=1', 1), 'step');
  assert.ok('edits' in result);
  assert.deepEqual(where(text, result.edits.map((e) => e.range)), ['3:21 stride', '4:36 stride', '5:42 stride', '12:13 stride', '13:13 stride']);
  assert.ok(result.edits.every((e) => e.newText === 'step'));
  // Apply the edits and check that the renamed file analyses the same way.
  let renamed = text;
  for (const edit of [...result.edits].reverse()) renamed = renamed.slice(0, edit.range.start) + edit.newText + renamed.slice(edit.range.end);
  const after = analyze(renamed);
  assert.deepEqual(after.diagnostics, []);
  assert.equal(after.models[0].totals.params, analysis.models[0].totals.params);
});

test('rename a label renames the references that read it', () => {
  const { text, analysis } = example('resnet20.skipnet');
  const result = renameAt(analysis, offsetOf(text, 'add(residual, shortcut)', 15), 'skip');
  assert.ok('edits' in result);
  assert.deepEqual(where(text, result.edits.map((e) => e.range)), ['7:3 shortcut', '8:17 shortcut']);
});

test('rename refuses reserved names, layer names, clashes and built-ins with a clear message', () => {
  const { text, analysis } = example('resnet20.skipnet');
  const block = offsetOf(text, 'block basic', 7);
  assert.deepEqual(renameAt(analysis, block, 'conv'), { error: "'conv' is a built-in layer; choose another name for this block." });
  assert.deepEqual(renameAt(analysis, block, 'in'), { error: "'in' is reserved in SkipNet and cannot name a block." });
  assert.deepEqual(renameAt(analysis, block, 'stage'), { error: "A block named 'stage' already exists." });
  assert.deepEqual(renameAt(analysis, block, '2fast'), { error: "'2fast' is not a valid name: use letters, digits and _, starting with a letter or _." });
  assert.deepEqual(renameAt(analysis, offsetOf(text, 'residual:', 1), 'shortcut'), { error: "The name 'shortcut' is already used in this scope." });
  assert.deepEqual(renameAt(analysis, offsetOf(text, 'residual:', 1), 'stage'), { error: "'stage' is a block; a label of that name would be read as a call to it." });
  assert.deepEqual(renameAt(analysis, offsetOf(text, 'zeropad', 1), 'pad0'), { error: "'zeropad' is a built-in layer and cannot be renamed." });
  assert.deepEqual(renameAt(analysis, offsetOf(text, 'in -> zeropad', 0), 'x'), { error: "'in' is built into the language and cannot be renamed." });
  assert.deepEqual(prepareRename(analysis, offsetOf(text, 'layer2:', 2)), { range: { start: offsetOf(text, 'layer2:'), end: offsetOf(text, 'layer2:') + 6 }, placeholder: 'layer2' });
  const renamed = renameAt(analysis, offsetOf(text, 'layer2:', 2), 'stage_two');
  assert.ok('edits' in renamed && renamed.edits.length === 1);
});

test('the outline lists blocks and models with their labelled statements and train section', () => {
  const { analysis } = example('resnet20.skipnet');
  const flatten = (symbols: OutlineSymbol[], depth = 0): string[] =>
    symbols.flatMap((s) => [`${'  '.repeat(depth)}${s.kind} ${s.name}: ${s.detail}`, ...flatten(s.children, depth + 1)]);
  assert.deepEqual(flatten(documentSymbols(analysis)), [
    'block basic: block(planes, stride=1)',
    '  label residual: bn',
    '  label shortcut: zeropad(planes, stride=stride)',
    'block stage: block(planes, n, stride=1)',
    'model resnet20: 32×32×3 → 10 · 269,722 params',
    '  label layer1: stage(16, 3)',
    '  label layer2: stage(32, 3, stride=2)',
    '  label layer3: stage(64, 3, stride=2)',
    '  train train: dataset: mnist · epochs: 1 · batch: 32 · optimizer: momentum · lr: 0.05 · seed: 1',
  ]);
  const densenet = documentSymbols(example('mnist_densenet.skipnet').analysis);
  assert.deepEqual(densenet[2].children.map((c) => `${c.kind} ${c.name}: ${c.detail}`).slice(0, 2), ['repeat block1: repeat 4 dense_layer(8)', 'repeat block2: repeat 4 dense_layer(8)']);
});

test('CodeLens summaries use the train section batch, else the default batch', () => {
  const resnet20 = modelLenses(example('resnet20.skipnet').analysis, 8);
  assert.equal(resnet20.length, 1);
  assert.equal(resnet20[0].batch, 32);
  assert.match(resnet20[0].summary, /^269,722 params · 40\.\d\d MMACs · [\d.]+ MiB to train at batch 32$/);
  const resnet50 = modelLenses(example('resnet50.skipnet').analysis, 8)[0];
  assert.equal(resnet50.batch, 8);
  assert.match(resnet50.summary, /^25,557,032 params · 4\.09 GMACs · 948 MiB to train at batch 8$/);
  const broken = modelLenses(analyze('model m(8x8x3) {\n  conv(4, 3) -> dense(2) -> relu\n}\n'), 16)[0];
  // "partial" comes first: a lens cut off in a half-width editor must not read as a real count.
  assert.match(broken.summary, /^partial \(fix the errors first\) · [\d,]+ params · .* to train at batch 16$/);
});

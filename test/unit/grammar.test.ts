import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { LAYERS } from '../../src/core';

const root = process.cwd();
const grammarJson = readFileSync(join(root, 'syntaxes/skipnet.tmLanguage.json'), 'utf8');

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasm = readFileSync(join(root, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope) => (scope === 'source.skipnet' ? textmate.parseRawGrammar(grammarJson, 'skipnet.tmLanguage.json') : null),
  });
  const grammar = await registry.loadGrammar('source.skipnet');
  assert.ok(grammar);
  return grammar;
}

/** Each non-blank token of each line as "text=innermost scope" (the scope that decides its colour). */
async function tokenize(text: string): Promise<string[][]> {
  const grammar = await loadGrammar();
  let state = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens
      .map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]] as const)
      .filter(([piece]) => piece.trim() !== '')
      .map(([piece, scope]) => `${piece.trim()}=${scope}`);
  });
}

test('the grammar colours declarations, layers, labels, shapes, arrows and comments', async () => {
  const lines = await tokenize(readFileSync(join(root, 'examples/resnet20.skipnet'), 'utf8'));
  assert.deepEqual(lines[0], ['#=punctuation.definition.comment.skipnet', 'ResNet-20 for CIFAR-10 (He et al., "Deep Residual Learning", section 4.2).=comment.line.number-sign.skipnet']);
  assert.deepEqual(lines[4].slice(0, 8), [
    'block=storage.type.block.skipnet',
    'basic=entity.name.function.block.skipnet',
    '(=punctuation.section.parens.skipnet',
    'planes=source.skipnet',
    ',=punctuation.separator.comma.skipnet',
    'stride=variable.parameter.skipnet',
    '==keyword.operator.assignment.skipnet',
    '1=constant.numeric.skipnet',
  ]);
  assert.deepEqual(lines[5].slice(0, 4), ['residual=entity.name.label.skipnet', ':=punctuation.separator.label.skipnet', 'conv=support.function.layer.skipnet', '(=punctuation.section.parens.skipnet']);
  assert.ok(lines[5].includes('false=constant.language.boolean.skipnet'));
  assert.ok(lines[5].includes('->=keyword.operator.arrow.skipnet'));
  assert.deepEqual(lines[6].slice(0, 5), ['shortcut=entity.name.label.skipnet', ':=punctuation.separator.label.skipnet', 'in=variable.language.tensor.skipnet', '->=keyword.operator.arrow.skipnet', 'zeropad=support.function.layer.skipnet']);
  assert.deepEqual(lines[13], [
    'repeat=keyword.control.repeat.skipnet',
    'n=source.skipnet',
    '-=keyword.operator.arithmetic.skipnet',
    '1=constant.numeric.skipnet',
    'basic=entity.name.function.call.skipnet',
    '(=punctuation.section.parens.skipnet',
    'planes=source.skipnet',
    ')=punctuation.section.parens.skipnet',
  ]);
  assert.deepEqual(lines[16].slice(0, 4), ['model=storage.type.model.skipnet', 'resnet20=entity.name.type.model.skipnet', '(=punctuation.section.parens.skipnet', '32x32x3=constant.numeric.shape.skipnet']);
  assert.deepEqual(lines[23], ['train=keyword.control.train.skipnet', '{=punctuation.section.block.begin.skipnet']);
  assert.deepEqual(lines[24].slice(0, 4), ['dataset=variable.other.property.setting.skipnet', ':=punctuation.separator.key-value.skipnet', 'mnist=constant.language.skipnet', '#=punctuation.definition.comment.skipnet']);
  assert.deepEqual(lines[28], ['lr=variable.other.property.setting.skipnet', ':=punctuation.separator.key-value.skipnet', '0.05=constant.numeric.skipnet']);
  assert.deepEqual(lines[30], ['}=punctuation.section.block.end.skipnet']);
});

test('the grammar knows exactly the core layers', () => {
  const source = JSON.parse(grammarJson).repository.statement.patterns.find((p: { name?: string }) => p.name === 'support.function.layer.skipnet').match as string;
  const names = source.slice(source.indexOf('(') + 1, source.lastIndexOf(')')).split('|');
  assert.deepEqual(names.sort(), [...LAYERS.keys()].sort());
});

test('the language configuration indents after { and outdents on }', () => {
  const config = JSON.parse(readFileSync(join(root, 'language-configuration.json'), 'utf8'));
  const increase = new RegExp(config.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
  assert.deepEqual(
    ['model m(8x8x1) {', 'block b(k) {  # a block', '  train {', '  conv(4, 3)', '}', '# {', 'repeat 2 { conv(4, 3) }'].map((l) => increase.test(l)),
    [true, true, true, false, false, false, false],
  );
  assert.deepEqual(['  }', '}', '  conv(4, 3)'].map((l) => decrease.test(l)), [true, true, false]);
  assert.equal(config.comments.lineComment, '#');
});

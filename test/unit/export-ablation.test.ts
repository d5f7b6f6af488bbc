/**
 * The PyTorch export of the no-skip ablation (exportPyTorch with withoutSkips, src/export/ablation.ts): for every
 * example whose ablation the core builds without errors, the export builds and runs forward and backward in PyTorch
 * with the core's ablation parameter count, names and every layer's shape (one python3 process for all), and its code
 * has no residual add, skip concat, product or gate left where the core removed them. A model whose merge would keep
 * different inputs in different calls of one block is refused with the merge's range.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, withoutSkipConnections, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { PREAMBLE } from '../../src/export/python';
import { SEQUENCE_PREAMBLE } from '../../src/export/sequenceModules';
import { exampleNames, readExample } from '../support/examples';
import { assertMatchesCore, runInPyTorch } from '../support/torch';

interface Ablated {
  file: string;
  written: ModelGraph;
  model: ModelGraph;
  code: string;
  writtenCode: string;
  className: string;
  batch: number;
}

/** Lines of generated code that compute a merge: a sum of tensors, a concatenation, a broadcast product or a gate. */
const MERGE = /^\s+\w+ = (?:\w+ \+ )+\w+$|torch\.cat\(|broadcast_mul\(\[|torch\.lerp\(/;
const preambleLines = new Set(`${PREAMBLE}\n${SEQUENCE_PREAMBLE}`.split('\n'));
/** Merge lines of an export outside the shared helper functions every export starts with. */
const mergeLines = (code: string): string[] => code.split('\n').filter((line) => MERGE.test(line) && !preambleLines.has(line));

const withSkips: string[] = [];
const refused: string[] = [];
const ablated: Ablated[] = [];
for (const file of exampleNames()) {
  const text = readExample(file);
  const analysis = withoutSkipConnections(text);
  const writtenAnalysis = analyze(text);
  for (const model of analysis.models) {
    if (!model.nodes.some((n) => n.args.removedSkip !== undefined)) continue;
    withSkips.push(file);
    const result = exportPyTorch(analysis, model, file, { withoutSkips: true });
    if (!result.ok) {
      refused.push(`${file}: ${result.problems[0].message}`);
      continue;
    }
    const written = writtenAnalysis.models.find((m) => m.name === model.name)!;
    const writtenExport = exportPyTorch(writtenAnalysis, written, file);
    assert.ok(writtenExport.ok, file);
    const batch = model.inputShape[0] * (model.inputShape[1] ?? 1) >= 128 * 128 ? 1 : 2;
    ablated.push({ file, written, model, code: result.code, writtenCode: writtenExport.code, className: result.className, batch });
  }
}

describe('PyTorch export of the no-skip ablation', () => {
  it("every example with skips exports its ablation; PyTorch builds it and runs forward and backward with the core's ablation counts, names and shapes", () => {
    // se_resnet_mnist's ablation keeps the squeeze-excitation branch where the block multiplies it with the map: the
    // core reports the shape error that makes, so the export refuses with it.
    assert.equal(refused.length, 1, refused.join('\n'));
    assert.ok(refused[0].startsWith('se_resnet_mnist.skipnet: '), refused[0]);
    assert.equal(ablated.length, withSkips.length - 1);
    assert.ok(ablated.length >= 18, `examples with skips: ${withSkips.join(', ')}`);
    const reports = runInPyTorch(ablated.map((a) => ({ code: a.code, className: a.className, batch: a.batch })));
    ablated.forEach((a, i) => assertMatchesCore(a.model, reports[i], `${a.file} without skips`));
    // Hand-counted for mnist_resnet: the three 1×1 projections and their batch norms go (8·8 + 8·2 = 80,
    // 8·16 + 16·2 = 160, 16·32 + 32·2 = 576: 816 parameters), 19,890 − 816 = 19,074.
    const resnet = ablated.findIndex((a) => a.file === 'mnist_resnet.skipnet');
    assert.equal(reports[resnet].params, 19_074);
    assert.equal(ablated[resnet].written.totals.params, 19_890n);
  });

  it('the ablated code has no residual add or skip concat left where the core removed them, and says what each merge keeps', () => {
    for (const a of ablated) {
      assert.notDeepEqual(mergeLines(a.writtenCode), [], `${a.file}: the export as written has its merges`);
      assert.deepEqual(mergeLines(a.code), [], `${a.file}: merges left in the ablation`);
    }
    const resnet = ablated.find((a) => a.file === 'mnist_resnet.skipnet')!;
    assert.match(resnet.writtenCode, /^ {8}add1 = residual \+ shortcut$/m);
    assert.match(resnet.code, /^ {8}# no skip: add\(residual, shortcut\) keeps residual\n {8}add1 = self\.add1\(residual\)$/m);
    assert.match(resnet.code, /^ {8}self\.add1 = nn\.Identity\(\)$/m);
    // The projection shortcut's conv and bn are written neither in __init__ nor in forward().
    const classes = (code: string): string => code.slice(code.indexOf('class Basic(')).replace(/# no skip: .*\n/g, '');
    assert.match(classes(resnet.writtenCode), /self\.shortcut/);
    assert.doesNotMatch(classes(resnet.code), /shortcut/);
    const densenet = ablated.find((a) => a.file === 'densenet121.skipnet')!;
    assert.match(densenet.code, /^ {8}# no skip: concat\(in, _\) keeps _\n {8}concat1 = self\.concat1\(conv2\)$/m);
  });

  it('a merge that keeps a different input in different calls of its block is refused, located at what cannot be written', () => {
    // b(1): the repeat is 1 conv deep, the chain c 2 deep, so add keeps c; b(3): the repeat (3 deep) is kept.
    const text = ['block b(n) {', '  a: repeat n conv(4, 3, pad=1)', '  c: in -> conv(4, 3, pad=1) -> conv(4, 3, pad=1)', '  add(a, c)', '}', 'model m(8x8x4) {', '  b(1)', '  b(3)', '}', ''].join('\n');
    const analysis = withoutSkipConnections(text);
    assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
    const result = exportPyTorch(analysis, analysis.models[0], 'm.skipnet', { withoutSkips: true });
    assert.equal(result.ok, false);
    const problem = !result.ok ? result.problems[0] : undefined;
    assert.match(problem!.message, /^Cannot export the no-skip ablation: this (call is left out of 1 of its 2 expansions|merge keeps argument)/);
    const blockEnd = text.indexOf('}');
    assert.ok(problem!.range.start > text.indexOf('{') && problem!.range.end <= blockEnd, `located in the block: ${JSON.stringify(problem!.range)}`);
  });
});

/**
 * Faults from bug reports on the PyTorch export, each checked for its whole kind: naming after repeats (no hang,
 * no `NaN` in names), labelled repeats of chains, Python-unsafe names, integer arithmetic, and node ids around
 * labels. Every exported model is built and run in PyTorch in one python3 process and compared with SkipNet.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { attributeName } from '../../src/export/python';
import { readFileSync } from 'node:fs';
import { ROOT } from '../support/examples';

const PYTHON = '/usr/bin/python3';

interface Checked {
  text: string;
  code: string;
  ids: string[];
  params: number;
  torch: { error?: string; params: number; modules: string[]; output: number[] };
}

/** Every test's models, run together in one python3 process (starting PyTorch costs seconds). */
const batch: string[] = [];
let checked: Checked[] | undefined;

/** Queues model texts (at collection); `results()` returns their checks once all have run. */
function queue(texts: string[]): { results: () => Checked[] } {
  const offset = batch.length;
  batch.push(...texts);
  return { results: () => (checked ??= checkInPyTorch(batch)).slice(offset, offset + texts.length) };
}

/** Exports each model text, runs them all in PyTorch (forward and backward), and returns both sides. */
function checkInPyTorch(texts: string[]): Checked[] {
  const exported = texts.map((text) => {
    const analysis = analyze(text);
    assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), [], text);
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, 'case.skipnet');
    assert.ok(result.ok, `${text}\n${JSON.stringify(!result.ok && result.problems)}`);
    const ids = [...model.nodes.filter((n) => !['input', 'add', 'concat'].includes(n.kind)).map((n) => n.id), ...model.groups.filter((g) => !g.copies).map((g) => g.id)];
    return { text, code: result.code, className: result.className, ids, params: Number(model.totals.params) };
  });
  const stdout = execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'check_generated.py')], {
    input: JSON.stringify(exported.map((e) => ({ code: e.code, className: e.className }))),
    encoding: 'utf8',
    timeout: 120_000,
  });
  const reports = JSON.parse(stdout) as Checked['torch'][];
  return exported.map((e, i) => ({ ...e, torch: reports[i] }));
}

const torchNames = (ids: string[]): string[] => ids.map((id) => id.split('/').map(attributeName).join('.')).sort();

describe('PyTorch export: names after repeats, labels, Python names and integer sizes', () => {
  const mixes = queue(mixTexts());
  it('every mix of labelled and unlabelled repeats and calls exports with the core names (no hang, no NaN)', () => {
    const results = mixes.results();
    for (const result of results) {
      assert.equal(result.torch.error, undefined, `${result.text}\n${result.torch.error}`);
      assert.doesNotMatch(result.code, /NaN/);
      assert.deepEqual([...result.torch.modules].sort(), torchNames(result.ids), result.text);
    }
    // The smallest report: `repeat 1 relu` then two plain relus.
    const smallest = results.find((r) => r.text === 'model m(1x1x1) {\n  relu\n  repeat 1 relu\n  relu\n  relu\n}\n')!;
    assert.deepEqual(smallest.ids, ['relu1', 'relu2', 'relu3', 'relu4']);
    const loop = results[results.length - 1];
    assert.deepEqual(loop.ids.filter((id) => id.startsWith('b1/')), ['b1/relu1', 'b1/relu2', 'b1/relu3', 'b1/relu4', 'b1/relu5', 'b1/r1', 'b1/relu6', 'b1/r2', 'b1/relu7']);
    assert.match(loop.code, /self\.add_module\(f"relu\{i \+ 1\}", nn\.ReLU\(\)\)/);
  });

  const labelled = queue([
    'model m(1x1x1) {\n  base: repeat 1 bn -> leakyrelu\n}\n',
    'model m(1x1x2) {\n  residual: repeat 1 conv(1, 1) -> leakyrelu\n  gap -> dense(1)\n}\n',
    'block b(n) {\n  r: repeat n bn -> last: relu\n  relu\n}\nmodel m(1x1x1) {\n  b(2)\n}\n',
  ]);
  it('a labelled repeat of a chain keeps every layer: parameters as the core counts them', () => {
    const [bn, residual, linkLabel] = labelled.results();
    // A link's own label wins over the repeat's, in a loop too: last, last_2 (found by the generator).
    assert.deepEqual(linkLabel.ids, ['b1/bn1', 'b1/last', 'b1/bn2', 'b1/last_2', 'b1/relu1', 'b1']);
    assert.deepEqual([...linkLabel.torch.modules].sort(), torchNames(linkLabel.ids));
    assert.equal(linkLabel.torch.params, 4);
    assert.equal(bn.params, 2);
    assert.equal(bn.torch.params, 2);
    assert.deepEqual(bn.torch.modules.sort(), ['base1', 'bn1']);
    assert.equal(residual.torch.error, undefined, residual.torch.error);
    assert.equal(residual.torch.params, residual.params);
    assert.equal(residual.params, 3 + 2);
    assert.deepEqual(residual.torch.output, [1]);
  });

  const pythonNames = queue([
    'block b(super) {\n  conv(super, 1)\n}\nmodel m(2x2x1) {\n  b(2)\n}\n',
    'model m(2x2x1) {\n  range: conv(2, 1)\n  repeat 2 relu\n  add(range, _)\n}\n',
    'block b(width=1, kernel_size) {\n  conv(width, kernel_size)\n}\nmodel m(3x3x1) {\n  b(2, 3)\n  b(kernel_size=1)\n}\n',
    'block f(x, self=1, i=2) {\n  forward: conv(x + self + i, 1)\n  eval: relu\n}\nmodel nn(2x2x1) {\n  torch: f(1)\n  F: relu\n  in_shape: relu\n  x: relu\n  counts: relu\n}\n',
  ]);
  it('SkipNet names that Python or the module uses are renamed in Python only where they must be', () => {
    const results = pythonNames.results();
    for (const result of results) assert.equal(result.torch.error, undefined, `${result.text}\n${result.torch.error}`);
    const [superParam, rangeLabel, signature, many] = results;
    assert.match(superParam.code, /def __init__\(self, in_shape, super_\):/);
    assert.equal(superParam.torch.params, 2 * 1 + 2);
    assert.match(rangeLabel.code, /^ {8}range_ = self\.range\(x\)$/m);
    assert.match(signature.code, /def __init__\(self, in_shape, width=1, \*, kernel_size\):/);
    assert.match(signature.code, /self\.b1 = B\(in_shape, 2, kernel_size=3\)/);
    assert.equal(signature.torch.params, signature.params);
    assert.deepEqual(many.torch.modules.sort(), ['F', 'counts_', 'in_shape_', 'torch', 'torch.eval_', 'torch.forward_', 'x']);
    assert.match(many.code, /^class Nn\(nn\.Module\):$/m);
    assert.match(many.code, /^class FBlock\(nn\.Module\):$/m);
    assert.match(many.code, /def __init__\(self, in_shape, x_, self_=1, i_=2\):/);
  });

  const sizes = queue([
    'model m(4x6x2) {\n  conv(channels / 2, 3x5, pad=2)\n}\n',
    'block b(k) {\n  conv(k, 1)\n}\nmodel m(2x2x1) {\n  repeat 2 / 2 b(1)\n  b(3 / 3)\n}\n',
    'block b(scale=0.5) {\n  conv(channels * scale, 1) -> conv(floor(scale * 4), 1)\n  repeat channels / 2 relu\n  maxpool(4 // 2, stride=5 % 3)\n}\nmodel m(4x4x4) {\n  b()\n}\n',
  ]);
  it('sizes that SkipNet evaluates to whole numbers are ints in Python', () => {
    const results = sizes.results();
    for (const result of results) {
      assert.equal(result.torch.error, undefined, `${result.text}\n${result.torch.error}`);
      assert.equal(result.torch.params, result.params, result.text);
    }
    assert.match(results[0].code, /nn\.Conv2d\(in_shape\[0\], int\(channels_of\(in_shape\) \/ 2\), \(3, 5\), padding=2\)/);
    assert.match(results[1].code, /self\.b1 = B\(in_shape, 1\)/);
    assert.match(results[2].code, /nn\.Conv2d\(in_shape\[0\], int\(channels_of\(in_shape\) \* scale\), 1\)/);
    assert.match(results[2].code, /self\.counts\.append\(int\(channels_of\(s_conv2\) \/ 2\)\)/);
    assert.deepEqual(results[2].torch.output, [2, 2, 2]);
  });

  const docs = queue([readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8').match(/```skipnet\n([\s\S]*?)```/)![1]]);
  it("docs/language.md's first example (ResNet-20 written with repeats) exports and has its 269,722 parameters in PyTorch", () => {
    const [resnet] = docs.results();
    assert.equal(resnet.torch.error, undefined, resnet.torch.error);
    assert.equal(resnet.torch.params, 269_722);
    assert.deepEqual(resnet.torch.output, [10]);
    assert.deepEqual([...resnet.torch.modules].sort(), torchNames(resnet.ids));
  });

  it('a label keeps its name; unlabelled layers are numbered around it (node ids)', () => {
    const analysis = analyze('model m(1x1x1) {\n  conv(1, 1)\n  conv1: conv(1, 1)\n  conv(1, 1)\n  c: repeat 2 relu\n  relu\n  c1x: relu\n}\n');
    assert.deepEqual(analysis.models[0].nodes.map((n) => n.id), ['input', 'conv2', 'conv1', 'conv3', 'c1', 'c2', 'relu1', 'c1x']);
    const copies = analyze('model m(1x1x1) {\n  relu\n  relu: repeat 2 relu\n  relu\n}\n');
    assert.deepEqual(copies.models[0].nodes.map((n) => n.id), ['input', 'relu3', 'relu1', 'relu2', 'relu4']);
    const duplicate = analyze('model m(1x1x1) {\n  x: repeat 2 { relu }\n  x1: relu\n}\n');
    assert.deepEqual(duplicate.diagnostics.map((d) => [d.code, duplicate.text.slice(d.range.start, d.range.end)]), [['duplicate-name', 'x1']]);
  });

  it('a loop whose names could take a label’s is refused with a located message, never a wrong name', () => {
    const text = 'block b(n) {\n  relu: repeat n relu\n  relu\n}\nmodel m(1x1x1) {\n  b(2)\n}\n';
    const analysis = analyze(text);
    const result = exportPyTorch(analysis, analysis.models[0], 'case.skipnet');
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.match(result.problems[0].message, /relu1, relu2, … of this labelled repeat depend on its count/);
    assert.equal(text.slice(result.problems[0].range.start, result.problems[0].range.end).split('\n')[0], 'block b(n) {');
  });
});

/** Each repeat form between each pair of calls, labelled or not; then loops over a block parameter. */
function mixTexts(): string[] {
  const repeats = ['repeat 1 relu', 'r: repeat 1 relu', 'repeat 2 { relu }', 'r: repeat 2 { relu }', 'repeat 1 relu -> relu', 'r: repeat 2 relu -> relu'];
  const calls = ['relu', 'q: relu', 'relu1: relu', 'relu -> relu'];
  const texts: string[] = [];
  for (const repeat of repeats) for (const first of calls) for (const second of calls) {
    if (first.includes(':') && first === second) continue;
    texts.push(`model m(1x1x1) {\n  ${first}\n  ${repeat}\n  ${second === first ? 'relu' : second}\n  relu\n}\n`);
  }
  // The same after a loop over a block parameter, with 0, 1 and 2 copies.
  for (const n of [0, 1, 2]) texts.push(`block b(n) {\n  repeat n relu\n  relu\n  relu\n  r: repeat n relu -> relu\n  relu\n}\nmodel m(1x1x1) {\n  b(${n})\n}\n`);
  return texts;
}

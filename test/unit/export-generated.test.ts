/**
 * Generated models through the PyTorch export: every model from test/support/generate.ts must pass the analysis,
 * export, build in PyTorch and run a forward and backward pass there, with SkipNet's parameter and buffer
 * counts, its output shape, and exactly its node and block-instance names, each with SkipNet's shape.
 * All models run in one python3 process. SKIPNET_EXPORT_MODELS=5000 runs more (default 300);
 * SKIPNET_EXPORT_SEED shifts the seeds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { attributeName } from '../../src/export/python';
import { ROOT } from '../support/examples';
import { generateModel } from '../support/generate';

const PYTHON = '/usr/bin/python3';
const COUNT = Number(process.env.SKIPNET_EXPORT_MODELS ?? 300);
const FIRST_SEED = Number(process.env.SKIPNET_EXPORT_SEED ?? 1);

interface TorchReport {
  error?: string;
  params: number;
  buffers: number;
  output: number[];
  shapes: Record<string, number[]>;
  modules: string[];
  grads: boolean;
}

/** SkipNet H×W×C (or N) → PyTorch's C×H×W (or N). */
const torchShape = (shape: number[]): number[] => (shape.length === 3 ? [shape[2], shape[0], shape[1]] : shape);

/** The PyTorch module path of a SkipNet node or block-instance id (`stage1/conv2` → `stage1.conv2`). */
const torchPath = (id: string): string => id.split('/').map(attributeName).join('.');

/** Every module PyTorch should have, with the shape of its output (undefined for a labelled repeat's copy: a container). */
function expectedModules(model: ModelGraph): Map<string, number[] | undefined> {
  const expected = new Map<string, number[] | undefined>();
  for (const node of model.nodes) if (!['input', 'add', 'concat'].includes(node.kind)) expected.set(torchPath(node.id), torchShape(node.shape!));
  for (const group of model.groups) {
    const output = group.output ? model.nodeById.get(group.output)?.shape : undefined;
    expected.set(torchPath(group.id), group.block === 'repeat' || !output ? undefined : torchShape(output));
  }
  return expected;
}

describe('PyTorch export of generated models', () => {
  it(`${COUNT} generated models (seeds ${FIRST_SEED}…) pass the analysis, export, and match SkipNet in PyTorch forward and backward`, () => {
    let rejected = 0;
    const cases = Array.from({ length: COUNT }, (_, i) => {
      const seed = FIRST_SEED + i;
      const generated = generateModel(seed);
      rejected += generated.rejected;
      const analysis = analyze(generated.text);
      const model = analysis.models[0];
      assert.equal(analysis.diagnostics.filter((d) => d.severity === 'error').length, 0, `seed ${seed}`);
      assert.equal(model.complete, true, `seed ${seed}: every shape known`);
      const exported = exportPyTorch(analysis, model, `seed${seed}.skipnet`);
      assert.ok(exported.ok, `seed ${seed}: export refused: ${JSON.stringify(!exported.ok && exported.problems)}\n${generated.text}`);
      return { seed, text: generated.text, model, code: exported.code, className: exported.className };
    });
    // The generator tracks shapes itself: a draft the analysis rejects is its own mistake, and must stay rare.
    assert.ok(rejected <= COUNT * 0.05, `${rejected} drafts rejected for ${COUNT} models`);

    const stdout = execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'check_generated.py')], {
      input: JSON.stringify(cases.map((c) => ({ code: c.code, className: c.className }))),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 600_000,
    });
    const reports = JSON.parse(stdout) as TorchReport[];
    assert.equal(reports.length, cases.length);
    cases.forEach(({ seed, text, model, code }, i) => {
      const torch = reports[i];
      const where = `seed ${seed}:\n${text}`;
      assert.equal(torch.error, undefined, `${where}\n${torch.error}\n${code.slice(code.indexOf('\n\n\nclass ', code.indexOf('class GlobalAvgPool')))}`);
      assert.equal(BigInt(torch.params), model.totals.params, `${where} parameters`);
      assert.equal(BigInt(torch.buffers), model.totals.buffers, `${where} BN buffers`);
      assert.deepEqual(torch.output, torchShape(model.nodeById.get(model.output)!.shape!), `${where} output`);
      assert.equal(torch.grads, true, `${where} every parameter gets a finite gradient`);
      const expected = expectedModules(model);
      assert.deepEqual([...torch.modules].sort(), [...expected.keys()].sort(), `${where} module names`);
      for (const [path, shape] of expected) if (shape) assert.deepEqual(torch.shapes[path], shape, `${where} shape of ${path}`);
    });
  });
});

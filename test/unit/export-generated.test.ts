/**
 * Generated models through the PyTorch export: every model from test/support/generate.ts must pass the analysis,
 * export, build in PyTorch and run a forward and backward pass there, with SkipNet's parameter and buffer
 * counts, its output shape, and exactly its node and block-instance names, each with SkipNet's shape.
 * All models run in one python3 process. SKIPNET_EXPORT_MODELS=5000 runs more (default 300);
 * SKIPNET_EXPORT_SEED shifts the seeds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { generateModel } from '../support/generate';
import { assertMatchesCore, runInPyTorch } from '../support/torch';

const COUNT = Number(process.env.SKIPNET_EXPORT_MODELS ?? 300);
const FIRST_SEED = Number(process.env.SKIPNET_EXPORT_SEED ?? 1);

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

    const reports = runInPyTorch(cases);
    cases.forEach(({ seed, text, model, code }, i) => {
      const generated = code.slice(code.indexOf('\n\n\nclass ', code.indexOf('class GlobalAvgPool')));
      assertMatchesCore(model, reports[i], `seed ${seed}:\n${text}${reports[i].error ? `\n${generated}` : ''}`);
    });
  });
});

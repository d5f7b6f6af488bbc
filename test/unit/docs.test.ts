import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { ROOT } from '../support/examples';

describe('docs/language.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8');
  const snippets = [...doc.matchAll(/```skipnet\n([\s\S]*?)```/g)].map((m) => m[1]);

  it('every skipnet snippet in the language reference analyses without problems', () => {
    assert.ok(snippets.length >= 2);
    for (const snippet of snippets) assert.deepEqual(analyze(snippet).diagnostics.map((d) => d.message), [], snippet);
  });

  it("the opening example is ResNet-20 with the paper's parameter count", () => {
    const model = analyze(snippets[0]).models.find((m) => m.name === 'resnet20');
    assert.equal(model?.totals.params, 269_722n);
    assert.equal(model?.training.batch, 32);
  });

  it('documents every diagnostic code the core can report', () => {
    const source = readFileSync(join(ROOT, 'src', 'core', 'diagnostics.ts'), 'utf8');
    const union = source.slice(source.indexOf('export type DiagnosticCode'), source.indexOf(';', source.indexOf('export type DiagnosticCode')));
    const codes = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
    assert.ok(codes.length >= 15);
    for (const code of codes) assert.ok(doc.includes(`\`${code}\``), `docs/language.md lacks ${code}`);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { exampleNames, ROOT } from '../support/examples';
import { runCliIn } from './helpers';

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

describe('README.md', () => {
  it("lists every example with the trainable parameters `skipnet summary` prints for it", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = new Map([...readme.matchAll(/^\| [^|]+ \| `([a-z0-9_]+\.skipnet)` \| ([\d,]+) \|$/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual([...rows.keys()].sort(), exampleNames().slice().sort());
    for (const file of exampleNames()) {
      const summary = runCliIn(['summary', join('examples', file)]);
      assert.equal(summary.code, 0, summary.err);
      assert.equal(rows.get(file), /Trainable params: ([\d,]+)/.exec(summary.out)?.[1], file);
    }
  });
});

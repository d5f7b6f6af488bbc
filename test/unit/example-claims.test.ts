/**
 * The figures the examples' comments and the README's table of examples state, held to the analysis: a
 * parameter count or MAC figure that drifts from what `skipnet summary` computes fails here. Every
 * thousands-separated number in a comment must be one of the checked kinds, so a new unchecked figure
 * fails too. Accuracies are measured, not analysed: they belong in docs/experiments.md with their date,
 * engine and seed, and an example's comment that states one fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, type ModelGraph } from '../../src/core';
import { exampleNames, readExample, ROOT } from '../support/examples';

function onlyModel(file: string): ModelGraph {
  const analysis = analyze(readExample(file));
  assert.equal(analysis.models.length, 1, `${file} declares one model`);
  return analysis.models[0];
}

/** The comment text of each line ("# …" to the end of the line), with its 1-based line number. */
function comments(text: string): { line: number; text: string }[] {
  return text.split('\n').flatMap((line, i) => {
    const at = line.indexOf('#');
    return at < 0 ? [] : [{ line: i + 1, text: line.slice(at + 1) }];
  });
}

const count = (digits: string): bigint => BigInt(digits.replace(/,/g, ''));

/** One kind of stated figure: where it appears, and the value the analysis gives for it. */
interface Claim {
  pattern: RegExp;
  /** [stated, computed] as printed, for the assertion message. */
  check(match: RegExpExecArray, file: string): [string, string];
}

const CLAIMS: Claim[] = [
  // "Trainable parameters: 269,722" and "the same 269,722 parameters": this file's model.
  { pattern: /(?:Trainable parameters: |the same )(\d{1,3}(?:,\d{3})+)/g, check: (m, file) => [String(count(m[1])), String(onlyModel(file).totals.params)] },
  // "(unet.skipnet's 482,466 …)": another example's model.
  { pattern: /(\w+\.skipnet)'s (\d{1,3}(?:,\d{3})+)/g, check: (m) => [String(count(m[2])), String(onlyModel(m[1]).totals.params)] },
  // "MACs 17.56 G": multiply–accumulates in units of 10⁹, two decimals.
  { pattern: /MACs (\d+\.\d\d) G/g, check: (m, file) => [m[1], (Number(onlyModel(file).totals.macs) / 1e9).toFixed(2)] },
];

test('every parameter and MAC figure in an example\'s comments is what the analysis computes', () => {
  let checked = 0;
  for (const file of exampleNames()) {
    for (const comment of comments(readExample(file))) {
      const covered: string[] = [];
      for (const claim of CLAIMS) {
        for (const match of comment.text.matchAll(claim.pattern)) {
          const [stated, computed] = claim.check(match as RegExpExecArray, file);
          assert.equal(stated, computed, `${file}:${comment.line}: the comment says ${match[0]}; the analysis gives ${computed}`);
          covered.push(...(match[0].match(/\d{1,3}(?:,\d{3})+/g) ?? []));
          checked++;
        }
      }
      const figures = comment.text.match(/\d{1,3}(?:,\d{3})+/g) ?? [];
      assert.deepEqual(
        figures.filter((f) => !covered.includes(f)),
        [],
        `${file}:${comment.line}: a figure no check covers (state it as "Trainable parameters: N", or add its kind here)`,
      );
    }
  }
  // The ImageNet and CIFAR models state theirs (and the mnist ones none), so most files are checked.
  assert.ok(checked >= 15, `${checked} figures checked`);
});

test('no example states an accuracy: measured figures live, dated, in docs/experiments.md', () => {
  for (const file of exampleNames()) {
    for (const comment of comments(readExample(file))) {
      assert.doesNotMatch(comment.text, /\d+(?:\.\d+)?\s?%/, `${file}:${comment.line}: an accuracy in a comment goes stale; put it in docs/experiments.md with its date, engine and seed`);
    }
  }
  const docs = readFileSync(join(ROOT, 'docs', 'experiments.md'), 'utf8');
  // The dated table of one-epoch accuracies the examples' comments point to.
  assert.match(docs, /## One epoch on MNIST/);
  for (const file of ['mnist_resnet.skipnet', 'vit_tiny.skipnet']) assert.ok(docs.includes(`\`${file}\``), `docs/experiments.md measures ${file}`);
});

test('the README\'s table of examples names every example with its analysed parameter count', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| [^|]+ \| `(\w+\.skipnet)` \| (\d{1,3}(?:,\d{3})*) \|$/gm)].map((m) => [m[1], m[2]] as const);
  assert.deepEqual(rows.map(([file]) => file).sort(), exampleNames());
  for (const [file, stated] of rows) assert.equal(String(count(stated)), String(onlyModel(file).totals.params), `README: ${file}`);
});

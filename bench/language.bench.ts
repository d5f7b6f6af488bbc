/**
 * Editor feature latency on top of one analysis: what a keystroke or a mouse move costs in the
 * editor. Goal: every feature under 16 ms (one frame) on DenseNet-121, the largest example.
 * Prints figures; asserts nothing. Run: node scripts/build.mjs --bench && node out/bench/language.bench.js
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../src/core';
import { residualTower } from '../test/support/generated';
import { completionsAt, documentSymbols, hoverAt, modelLenses, referencesAt, signatureHelpAt, sourceIndex } from '../src/core/language';

const ROOT = join(__dirname, '..', '..');

function median(run: () => void, runs = 30): number {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** The examples, and the 5,001-layer tower the e2e robustness test opens in VS Code (there only printed, never asserted). */
const inputs: [string, string][] = ['resnet20.skipnet', 'resnet110.skipnet', 'resnet50.skipnet', 'densenet121.skipnet'].map((name) => [name, readFileSync(join(ROOT, 'examples', name), 'utf8')]);
inputs.push(['generated tower, 714 units', residualTower(714)]);

const rows: string[][] = [['example', 'analyze', 'index', 'hover (worst)', 'completion (worst)', 'signature', 'symbols', 'lenses', 'references']];
for (const [name, text] of inputs) {
  const analysis = analyze(text);
  const analyzeMs = median(() => analyze(text));
  const indexMs = median(() => sourceIndex(analyze(text))) - analyzeMs;
  // Worst case over every identifier position in the file (sampled every 7 characters).
  const offsets: number[] = [];
  for (let i = 0; i < text.length; i += 7) offsets.push(i);
  let hoverWorst = 0;
  let completionWorst = 0;
  for (const offset of offsets) {
    hoverWorst = Math.max(hoverWorst, median(() => hoverAt(analysis, offset), 3));
    completionWorst = Math.max(completionWorst, median(() => completionsAt(analysis, offset), 3));
  }
  const callOffset = text.indexOf('conv(') + 5;
  rows.push([
    name,
    analyzeMs.toFixed(2),
    Math.max(0, indexMs).toFixed(2),
    hoverWorst.toFixed(2),
    completionWorst.toFixed(2),
    median(() => signatureHelpAt(analysis, callOffset)).toFixed(3),
    median(() => documentSymbols(analysis)).toFixed(3),
    median(() => modelLenses(analysis, 32)).toFixed(3),
    median(() => referencesAt(analysis, text.indexOf('block ') + 7, true)).toFixed(3),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
console.log('(milliseconds, median; hover and completion: the slowest position in the file)');

/**
 * Parse + analysis time of the language core. Goals: DenseNet-121 under 5 ms; time per layer flat
 * as generated models grow (linear growth). Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../src/core';

const ROOT = join(__dirname, '..', '..');

function timeIt(text: string, minRuns = 20, minMs = 500): { median: number; layers: number } {
  const samples: number[] = [];
  let layers = 0;
  const deadline = performance.now() + minMs;
  // Warm up the JIT first: the editor analyses the same kind of text over and over.
  for (let i = 0; i < 5; i++) layers = analyze(text).models.reduce((sum, m) => sum + m.totals.layers, 0);
  while (samples.length < minRuns || performance.now() < deadline) {
    const start = performance.now();
    analyze(text);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], layers };
}

function generated(layers: number): string {
  // Unique labels per block so every statement is written out (no repeat): the worst case for the parser.
  const lines = ['model big(32x32x3) {', '  stem: conv(16, 3, pad=1)'];
  let previous = 'stem';
  const blocks = Math.max(1, Math.round(layers / 6));
  for (let i = 1; i <= blocks; i++) {
    lines.push(`  r${i}: conv(16, 3, pad=1) -> bn -> relu -> conv(16, 3, pad=1) -> bn`);
    lines.push(`  a${i}: add(r${i}, ${previous}) -> relu`);
    previous = `a${i}`;
  }
  lines.push('  gap -> dense(10)', '}');
  return lines.join('\n');
}

const rows: string[][] = [];
for (const file of ['resnet20', 'resnet50', 'densenet121']) {
  const text = readFileSync(join(ROOT, 'examples', `${file}.skipnet`), 'utf8');
  const { median, layers } = timeIt(text);
  rows.push([file, String(layers), median.toFixed(2), ((median / layers) * 1000).toFixed(2)]);
}
for (const size of [1_000, 10_000, 40_000]) {
  const { median, layers } = timeIt(generated(size), 5, 300);
  rows.push([`generated ${size.toLocaleString('en-US')}`, String(layers), median.toFixed(2), ((median / layers) * 1000).toFixed(2)]);
}
const header = ['model', 'layers', 'parse+analysis ms (median)', 'µs per layer'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log(header.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
const dense = Number(rows[2][2]);
console.log(`DenseNet-121: ${dense.toFixed(2)} ms (goal < 5 ms: ${dense < 5 ? 'met' : 'NOT met'})`);
const perLayer = rows.slice(3).map((r) => Number(r[3]));
console.log(`µs per layer from 1k to 40k layers: ${perLayer.join(' → ')} (linear growth keeps this flat)`);

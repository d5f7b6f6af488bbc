/**
 * Cost of the answer panel's data on every edit: `buildAnswers` (findings + exact path counts) against the
 * rest of the graph payload it rides in, for the examples and a generated 1,000-layer ResNet. The host
 * rebuilds both after each (throttled) edit, so the answers should stay a fraction of the payload.
 * Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type ModelGraph } from '../src/core';
import type { LineIndex } from '../src/core/text';
import { buildAnswers, buildGraphPayload } from '../src/protocol/payload';

const ROOT = join(__dirname, '..', '..');

function median(run: () => void, minRuns = 10, minMs = 400): number {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  const deadline = performance.now() + minMs;
  while (samples.length < minRuns || performance.now() < deadline) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function generated(blocks: number): string {
  const lines = ['model big(32x32x3) {', '  stem: conv(16, 3, pad=1)'];
  let previous = 'stem';
  for (let i = 1; i <= blocks; i++) {
    lines.push(`  r${i}: conv(16, 3, pad=1) -> bn -> relu -> conv(16, 3, pad=1) -> bn`);
    lines.push(`  a${i}: add(r${i}, ${previous}) -> relu`);
    previous = `a${i}`;
  }
  lines.push('  gap -> dense(10)', '}');
  return lines.join('\n');
}

const cases: [string, string][] = [
  ...['resnet20', 'densenet40', 'densenet121'].map((name): [string, string] => [name, readFileSync(join(ROOT, 'examples', `${name}.skipnet`), 'utf8')]),
  ['generated 167 blocks (1k layers)', generated(167)],
];
const rows: string[][] = [];
for (const [name, text] of cases) {
  const analysis = analyze(text);
  const model: ModelGraph = analysis.models[0];
  const lines: LineIndex = analysis.lines;
  const answers = median(() => buildAnswers(model));
  const payload = median(() => buildGraphPayload(model, lines, { collapseThreshold: 150 }));
  rows.push([name, String(model.nodes.length), answers.toFixed(2), payload.toFixed(2), `${((answers / payload) * 100).toFixed(0)}%`]);
}
const header = ['model', 'nodes', 'answers ms', 'whole payload ms', 'answers share'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log(header.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));

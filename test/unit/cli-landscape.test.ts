import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import type { TrainEvent } from '../../src/train/engine';
import type { LandscapeLine, LandscapeSurface } from '../../src/train/experiments/landscape';
import { landscapeText } from '../../src/train/experiments/landscapeCli';

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: (p) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('the landscape writes no files') };
}

/** A small mnist model (a strided conv, bn, gap, dense), so a landscape takes seconds. */
function smallModel(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'skipnet-landscape-')), 'small.skipnet');
  writeFileSync(
    file,
    `model small(28x28x1) {
  conv(4, 3, stride=2) -> bn -> relu -> gap -> dense(10)
  train { optimizer: adam; lr: 0.01; batch: 16; epochs: 1; seed: 3 }
}
model other(28x28x1) {
  gap -> dense(10)
}
`,
  );
  return file;
}

type Line = TrainEvent | { type: 'landscape-cost'; evaluations: number; samples: number; secondsPerEvaluation: number } | { type: 'landscape-progress'; done: number; total: number } | LandscapeLine | LandscapeSurface | { type: 'landscape'; kind: string };

test('skipnet experiment landscape --json: cost, progress, both slices, and their centres equal the run\'s final held-out loss', async () => {
  const io = capture();
  const code = await runCliAsync(['experiment', 'landscape', smallModel(), '--model', 'small', '--backend', 'cpu', '--steps', '6', '--points', '5', '--grid', '3', '--samples', '32', '--json'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const events = io.lines.map((l) => JSON.parse(l) as Line & Record<string, unknown>);
  const cost = events.find((e) => e.type === 'landscape-cost')!;
  assert.equal(cost.evaluations, 5 + 9);
  assert.equal(cost.samples, 32);
  assert.ok((cost.secondsPerEvaluation as number) > 0);
  const slices = events.filter((e) => e.type === 'landscape') as unknown as (LandscapeLine | LandscapeSurface)[];
  assert.deepEqual(slices.map((s) => s.kind), ['line', 'surface']);
  const [line, surface] = slices;
  assert.deepEqual(line.alphas, [-1, -0.5, 0, 0.5, 1]);
  assert.equal(line.loss.length, 5);
  assert.equal(surface.loss.length, 9);
  assert.equal(line.samples, 32);
  // The run resumes after the landscape; its final evaluation is on the same 32 images at the same weights.
  const finished = events.at(-1) as unknown as Extract<TrainEvent, { type: 'finished' }>;
  assert.ok(finished.type === 'finished' && finished.result.reason === 'done' && finished.result.steps === 6, JSON.stringify(finished));
  const heldOut = finished.result.evaluation!.loss;
  assert.ok(Math.abs(line.loss[2] - heldOut) < 1e-5 * heldOut, `${line.loss[2]} vs ${heldOut}`);
  assert.ok(Math.abs(surface.loss[4] - heldOut) < 1e-5 * heldOut, `${surface.loss[4]} vs ${heldOut}`);
  const progress = events.filter((e) => e.type === 'landscape-progress');
  assert.deepEqual(progress.map((p) => `${p.done}/${p.total}`), ['1/5', '2/5', '3/5', '4/5', '5/5', '1/9', '2/9', '3/9', '4/9', '5/9', '6/9', '7/9', '8/9', '9/9']);
});

test('skipnet experiment landscape prints the cost line and the slice as a table', async () => {
  const io = capture();
  const code = await runCliAsync(['experiment', 'landscape', smallModel(), '--model', 'small', '--backend', 'cpu', '--steps', '2', '--points', '3', '--samples', '16'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const cost = io.lines.find((l) => l.startsWith('landscape cost:'))!;
  assert.match(cost, /^landscape cost: 3 evaluations × 16 held-out images = 48 image passes; one evaluation took [\d.]+s, so about [\dms.]+$/);
  const header = io.lines.indexOf('1-D loss landscape (3 points, 16 held-out images, seed 3):');
  assert.ok(header > 0, io.lines.join('\n'));
  assert.match(io.lines[header + 1], /^ +α +loss +accuracy$/);
  assert.match(io.lines[header + 2], /^-1\.000 +\d+\.\d{4} +\d+\.\d%$/);
  assert.match(io.lines[header + 3], /^ 0\.000 +\d+\.\d{4} +\d+\.\d%$/);
  assert.ok(!io.lines.some((l) => l.startsWith('2-D')), 'only --points: no 2-D slice');
});

test('skipnet experiment reports bad usage clearly', async () => {
  const file = smallModel();
  const cases: [string[], RegExp][] = [
    [['experiment'], /experiment needs a name: lesion or landscape/],
    [['experiment', 'lesions', file], /unknown experiment 'lesions' \(known: lesion, landscape\)/],
    [['experiment', 'landscape', file, '--model', 'small', '--grid', '1'], /--grid must be a whole number from 2 to 101, not '1'/],
    [['experiment', 'landscape', file, '--model', 'small', '--points', 'many'], /--points must be a whole number from 2 to 401, not 'many'/],
    [['experiment', 'landscape', file, '--model', 'small', '--backend', 'gpu'], /--backend must be cpu or wasm, not 'gpu'/],
    [['experiment', 'landscape', file], /several models \(small, other\); pick one with --model/],
  ];
  for (const [argv, message] of cases) {
    const io = capture();
    const code = await runCliAsync(argv, io);
    assert.equal(code, 2, argv.join(' '));
    assert.match(io.errors.join('\n'), message);
  }
  const io = capture();
  assert.equal(await runCliAsync(['experiment', 'landscape', file, '--model', 'nope'], io), 1);
  assert.match(io.errors.join('\n'), /no model 'nope'; the file has small, other/);
});

test('the slice as text: columns as wide as their widest cell, so losses of a hundred and more stay apart', () => {
  const surface: LandscapeSurface = {
    kind: 'surface',
    alphas: [-1, 0, 1],
    betas: [-1, 0, 1],
    loss: [2.75, 4.629, 21.535, 119.98, 0.5, 448.079, 1234.5, Number.NaN, 3],
    accuracy: new Array(9).fill(0.1),
    samples: 16,
    seed: 3,
  };
  assert.deepEqual(landscapeText(surface), [
    '2-D loss landscape (3×3, 16 held-out images, seed 3); rows β, columns α, each from −1 to 1:',
    'β \\ α |    -1.00     0.00     1.00',
    '-1.00 |    2.750    4.629   21.535',
    ' 0.00 |  119.980    0.500  448.079',
    ' 1.00 | 1234.500      NaN    3.000',
  ]);
  const line: LandscapeLine = { kind: 'line', alphas: [-1, 0, 1], loss: [82078, 0.25, 12.5], accuracy: [0.294, 1, 0.5], samples: 16, seed: 3 };
  assert.deepEqual(landscapeText(line), [
    '1-D loss landscape (3 points, 16 held-out images, seed 3):',
    '     α        loss  accuracy',
    '-1.000  82078.0000     29.4%',
    ' 0.000      0.2500    100.0%',
    ' 1.000     12.5000     50.0%',
  ]);
});

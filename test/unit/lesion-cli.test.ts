import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import type { LesionResult } from '../../src/train/experiments/lesion';
import { lesionTables } from '../../src/cli/lesion';
import { lesionUnits } from '../../src/train/experiments/lesionPlan';
import { graphOf } from './trainHelpers';
import { loadBuiltinDataset } from '../../src/train/nodeData';
import { spreadIndices } from '../../src/train/schedule';

const TINY = `
block basic(planes) {
  residual: conv(planes, 3, pad=1, bias=false) -> bn -> relu -> conv(planes, 3, pad=1, bias=false) -> bn
  add(residual, in) -> relu
}
model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1, bias=false) -> bn -> relu
  basic(4)
  basic(4)
  gap -> dense(10)
  train { dataset: mnist; batch: 16; optimizer: adam; lr: 0.01; seed: 3 }
}`;

function capture(files: Record<string, string> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    readFile: (p) => (p in files ? files[p] : readFileSync(p, 'utf8')),
    writeFile: () => assert.fail('the lesion study writes no files'),
  };
}

test('skipnet experiment lesion --json: single removals, k removed with mean and sd, and the ablation at a constant class', async () => {
  const io = capture({ 'tiny.skipnet': TINY });
  const code = await runCliAsync(['experiment', 'lesion', 'tiny.skipnet', '--steps', '3', '--samples', '50', '--draws', '2', '--seed', '4', '--with-ablation', '--json'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  assert.ok(io.errors.includes('lesion study of tiny: 2 residual branches, 6 evaluations × 50 held-out images = 300 forward passes'), io.errors.join('\n'));
  const { model, ablation } = JSON.parse(io.lines.join('\n')) as { model: LesionResult; ablation: LesionResult };
  assert.deepEqual(
    model.singles.map((s) => [s.label, s.kind]),
    [
      ['basic1', 'residual'],
      ['basic2', 'residual'],
    ],
  );
  // 1 (nothing removed) + 2 (one at a time) + 2 draws for k = 1 + 1 for k = 2.
  assert.equal(model.evaluations, 6);
  assert.deepEqual(
    model.removed.map((r) => [r.k, r.accuracies.length, r.removed.every((set) => new Set(set).size === r.k)]),
    [
      [1, 2, true],
      [2, 1, true],
    ],
  );
  for (const r of model.removed) {
    const mean = r.accuracies.reduce((a, b) => a + b, 0) / r.accuracies.length;
    assert.ok(Math.abs(r.mean - mean) < 1e-12);
    for (const a of r.accuracies) assert.ok(Number.isInteger(Math.round(a * 50)) && Math.abs(a * 50 - Math.round(a * 50)) < 1e-9, `${a} is not a count of 50 images`);
  }
  assert.equal(model.chance, 0.1);
  // Without its skips a removed block leaves one constant prediction: the share of one class among the 50 images.
  const mnist = loadBuiltinDataset('mnist');
  const labels = Array.from(spreadIndices(mnist.test.count, 50), (i) => mnist.test.labels[i]);
  const shares = new Set(Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length / 50));
  assert.deepEqual(
    ablation.singles.map((s) => s.kind),
    ['plain', 'plain'],
  );
  for (const s of ablation.singles) assert.ok(shares.has(s.accuracy), `${s.accuracy} is not one class's share of the held-out images (${[...shares]})`);
});

test('skipnet experiment lesion prints both tables and the sentence about the ablation', async () => {
  const io = capture({ 'tiny.skipnet': TINY });
  const code = await runCliAsync(['experiment', 'lesion', 'tiny.skipnet', '--steps', '2', '--samples', '20', '--draws', '1', '--with-ablation'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const text = io.lines.join('\n');
  assert.match(text, /^tiny: nothing removed \d+\.\d\d% \(20 held-out images, chance 10\.00%\)$/m);
  assert.match(text, /^Removed residual branch +Kind +Accuracy$/m);
  assert.match(text, /^basic1 +residual +\d+\.\d\d%$/m);
  assert.match(text, /^Residual branches removed +Mean +SD +Draws$/m);
  assert.match(text, /^ +2 +\d+\.\d\d% +0\.00% +1$/m);
  assert.match(text, /^no-skip ablation tiny: nothing removed/m);
  assert.match(text, /^basic2 +plain +\d+\.\d\d%$/m);
  assert.match(text, /^Plain blocks removed +Mean +SD +Draws$/m);
  assert.match(text, /^Without skip connections each plain block is the only path from input to output: .* accuracy falls to chance/m);
  assert.ok(io.errors.includes('lesion study of the no-skip ablation of tiny: 2 plain blocks, 5 evaluations × 20 held-out images = 100 forward passes'), io.errors.join('\n'));
});

test('skipnet experiment lesion reports bad usage, unknown weights and bad weight files clearly', async () => {
  const files = { 'tiny.skipnet': TINY, 'bad.json': '{"stem": 3', 'wrong.json': '{"nope/kernel": [1, 2]}' };
  const cases: [string[], number, RegExp][] = [
    [['experiment'], 2, /experiment needs a name: lesion or landscape/],
    [['experiment', 'landslide', 'tiny.skipnet'], 2, /unknown experiment 'landslide' \(known: lesion, landscape\)/],
    [['experiment', 'lesion', 'tiny.skipnet', '--draws', '0'], 2, /--draws must be a whole number ≥ 1, not '0'/],
    [['experiment', 'lesion', 'tiny.skipnet', '--steps', '2', '--weights', 'w.json'], 2, /--steps trains the model and --weights loads it: give one/],
    [['experiment', 'lesion', 'tiny.skipnet', '--weights', 'bad.json'], 1, /bad\.json is not JSON/],
    [['experiment', 'lesion', 'tiny.skipnet', '--weights', 'wrong.json'], 1, /No parameter named nope\/kernel in model tiny/],
  ];
  for (const [argv, code, message] of cases) {
    const io = capture(files);
    assert.equal(await runCliAsync(argv, io), code, argv.join(' '));
    assert.match(io.errors.join('\n'), message, argv.join(' '));
  }
});

test('skipnet experiment lesion --weights studies the loaded weights without training', async () => {
  // A zero dense kernel and bias make every logit 0: argmax picks class 0 for every image, whatever is removed.
  const weights = { 'dense1/kernel': new Array(40).fill(0), 'dense1/bias': new Array(10).fill(0) };
  const io = capture({ 'tiny.skipnet': TINY, 'w.json': JSON.stringify(weights) });
  const code = await runCliAsync(['experiment', 'lesion', 'tiny.skipnet', '--weights', 'w.json', '--samples', '40', '--draws', '2', '--json'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  assert.ok(!io.errors.some((l) => l.startsWith('backend ')), 'nothing was trained');
  const { model } = JSON.parse(io.lines.join('\n')) as { model: LesionResult };
  const mnist = loadBuiltinDataset('mnist');
  const zeros = Array.from(spreadIndices(mnist.test.count, 40), (i) => mnist.test.labels[i]).filter((l) => l === 0).length / 40;
  assert.equal(model.baseline, zeros);
  assert.deepEqual(
    model.singles.map((s) => s.accuracy),
    [zeros, zeros],
  );
});

test('the lesion tables name a segmentation baseline "majority class" and each kind of block by what it is', () => {
  const result: LesionResult = {
    model: 'unet_mnist',
    baseline: 0.95,
    chance: 0.9,
    chanceBasis: 'majority',
    samples: 20,
    draws: 1,
    seed: 1,
    singles: [
      { node: 'dl1/concat1', label: 'dl1', kind: 'dense', accuracy: 0.5 },
      { node: 'concat1', label: 'concat1', kind: 'skip-concat', accuracy: 0.92 },
    ],
    removed: [],
    evaluations: 3,
    complete: true,
  };
  const text = lesionTables(result, false).join('\n');
  assert.match(text, /^unet_mnist: nothing removed 95\.00% \(20 held-out images, majority class 90\.00%\)$/m);
  assert.match(text, /^dl1 +dense layer +50\.00%$/m);
  assert.match(text, /^concat1 +skip concatenation +92\.00%$/m);
  assert.doesNotMatch(text, /chance/);
});

test('the lesion tables’ headings name the units by kind: a DenseNet’s dense layers, a U-Net’s skip concatenations, mixed kinds as units', () => {
  const study = (model: string, singles: LesionResult['singles']): LesionResult => ({
    model,
    baseline: 0.9,
    chance: 0.1,
    chanceBasis: 'classes',
    samples: 20,
    draws: 1,
    seed: 1,
    singles,
    removed: [{ k: 1, accuracies: [0.5], mean: 0.5, sd: 0, removed: [[singles[0].label]] }],
    evaluations: 3,
    complete: true,
  });
  const headings = (result: LesionResult): string[] => lesionTables(result, false).flatMap((table) => table.split('\n').filter((line) => /Accuracy$|Draws$/.test(line)).map((line) => line.split(/ {2,}/)[0]));
  const dense = study('mnist_densenet', [
    { node: 'dl1/concat1', label: 'dl1', kind: 'dense', accuracy: 0.5 },
    { node: 'dl2/concat1', label: 'dl2', kind: 'dense', accuracy: 0.6 },
  ]);
  assert.deepEqual(headings(dense), ['Removed dense layer', 'Dense layers removed']);
  const unet = study('unet_mnist', [{ node: 'concat1', label: 'concat1', kind: 'skip-concat', accuracy: 0.5 }]);
  assert.deepEqual(headings(unet), ['Removed skip concatenation', 'Skip concatenations removed']);
  const mixed = study('nested', [
    { node: 'res1/add1', label: 'res1', kind: 'residual', accuracy: 0.5 },
    { node: 'concat1', label: 'concat1', kind: 'skip-concat', accuracy: 0.4 },
  ]);
  assert.deepEqual(headings(mixed), ['Removed unit', 'Units removed']);
});

test('skipnet experiment lesion names a DenseNet’s and a U-Net’s units in its cost line', async () => {
  const dense = lesionUnits(graphOf(readFileSync('examples/mnist_densenet.skipnet', 'utf8'))).length;
  // 1 (nothing removed) + n (one at a time) + (n − 1) draws of one + 1 (all n): 2n + 1 evaluations.
  for (const [file, expected] of [
    ['examples/mnist_densenet.skipnet', `lesion study of mnist_densenet: ${dense} dense layers, ${2 * dense + 1} evaluations × 10 held-out images = ${(2 * dense + 1) * 10} forward passes`],
    ['examples/unet_mnist.skipnet', 'lesion study of unet_mnist: 3 skip concatenations, 7 evaluations × 10 held-out images = 70 forward passes'],
  ] as const) {
    const io = capture();
    // A weights file naming no parameter of the model stops before any forward pass: the cost line comes first.
    const code = await runCliAsync(['experiment', 'lesion', file, '--weights', 'none.json', '--samples', '10', '--draws', '1'], { ...io, readFile: (p) => (p === 'none.json' ? '{"nope/kernel": [0]}' : readFileSync(p, 'utf8')) });
    assert.equal(code, 1, io.errors.join('\n'));
    assert.ok(io.errors.includes(expected), io.errors.join('\n'));
    assert.match(io.errors.join('\n'), /No parameter named nope\/kernel/);
  }
});

/**
 * Veit, Wilber & Belongie 2016 ("Residual Networks Behave Like Ensembles of Relatively Shallow Networks", §4.2,
 * Fig. 6) on examples/resnet110.skipnet: the summaries of a gradient-by-path-length measurement (the narrowest window
 * holding a share of the total, the peak; src/train/experiments/pathPlan.ts) on hand-made distributions, the PyTorch
 * engine's path-gradient settings refused with the field named, and the paper's claim checked at initialisation on
 * the PyTorch engine (python/skipnet_paths.py): one path's gradient shrinks as it enters more residual branches, so
 * the total gradient, one path's times the C(54, k) paths of that length, peaks at paths far shorter than the
 * typical path (27 of 54 blocks). bench/veitPaths.bench.ts measures the whole distribution, also after training.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { allSubsets } from '../../src/train/experiments/pathGradients';
import { binomial, gradientWindow, peakLength, type PathLengthGradient } from '../../src/train/experiments/pathPlan';
import { builtinDatasetFile } from '../../src/train/nodeData';
import type { RunnerEvent } from '../../src/train/pytorch/protocol';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { DEBIAN_TORCH } from './torchHelpers';

/** A measurement whose totals are `totals` (meanNorm = total / paths, one path per length). */
function lengths(totals: number[]): PathLengthGradient[] {
  return totals.map((total, length) => ({ length, paths: 1, sampled: 1, meanNorm: total, total }));
}

test('gradientWindow: the narrowest contiguous range of lengths holding the share, by hand', () => {
  // Sum 20: 50 % needs 10, held by [2, 3] (6 + 4) alone among the two-wide ranges and by no single length; 90 % needs
  // 18: no four-wide range holds it ([1, 4] and [2, 5] hold 17), [0, 4] (18) and [1, 5] (19) do, and [1, 5] holds more.
  const d = lengths([1, 2, 6, 4, 5, 2]);
  assert.deepEqual(gradientWindow(d, 0.5), { from: 2, to: 3, share: 0.5 });
  assert.deepEqual(gradientWindow(d, 0.9), { from: 1, to: 5, share: 0.95 });
  assert.deepEqual(gradientWindow(d, 1), { from: 0, to: 5, share: 1 });
  // One length holding it all.
  assert.deepEqual(gradientWindow(lengths([0, 0, 3, 0]), 0.9), { from: 2, to: 2, share: 1 });
  // Shares within float rounding count: 0.1 + 0.2 of 0.3 holds 100 %.
  assert.deepEqual(gradientWindow(lengths([0.1, 0.2]), 1), { from: 0, to: 1, share: 1 });
});

test('peakLength: the length of the largest total, the first on a tie', () => {
  assert.equal(peakLength(lengths([1, 2, 6, 4, 5, 2])), 2);
  assert.equal(peakLength(lengths([5, 1, 5])), 0);
  assert.throws(() => peakLength([]), /No path lengths measured/);
});

test('gradientWindow refuses a share outside (0, 1] and totals that are not finite, negative or all 0', () => {
  const d = lengths([1, 2]);
  for (const share of [0, -0.5, 1.5, Number.NaN]) assert.throws(() => gradientWindow(d, share), new RegExp(`share must be in \\(0, 1\\], not ${share}`));
  for (const bad of [[0, 0], [1, Number.NaN], [1, -1], [1, Infinity], []]) assert.throws(() => gradientWindow(lengths(bad), 0.5), /Path-length totals must be finite, ≥ 0 and not all 0/);
});

test('the PyTorch engine refuses path-gradient settings that are not whole numbers ≥ 1, naming the field, before any Python starts', async () => {
  const text = readFileSync('examples/resnet20.skipnet', 'utf8');
  const analysis = analyze(text);
  for (const [settings, field] of [[{ samples: 0 }, 'pathGradients.samples'], [{ images: 2.5 }, 'pathGradients.images'], [{ interval: -1 }, 'pathGradients.interval']] as const) {
    await assert.rejects(
      PyTorchTraining.start({ analysis, graph: analysis.models[0], datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, pathGradients: settings }),
      new RegExp(`${field.replace('.', '\\.')} must be a whole number ≥ 1, not `),
    );
  }
});

test('allSubsets: every k-subset in lexicographic order, and k near n costs its C(n, k) subsets, not 2^n calls', () => {
  assert.deepEqual(allSubsets(4, 2), [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  assert.deepEqual(allSubsets(3, 0), [[]]);
  // ResNet-110's longest paths: one of length 54, 54 of length 53 (each leaving out one block, the last first).
  assert.deepEqual(allSubsets(54, 54), [Array.from({ length: 54 }, (_, i) => i)]);
  const longest = allSubsets(54, 53);
  assert.equal(longest.length, binomial(54, 53));
  assert.deepEqual(longest.map((s) => Array.from({ length: 54 }, (_, i) => i).find((i) => !s.includes(i))), Array.from({ length: 54 }, (_, i) => 53 - i));
});

test('ResNet-110 at initialisation on the PyTorch engine: one path’s gradient falls with its length, and the total peaks at paths far shorter than the typical 27 blocks (Veit et al. 2016, Fig. 6)', async () => {
  const text = readFileSync('examples/resnet110.skipnet', 'utf8');
  const analysis = analyze(text);
  const graph = analysis.models[0];
  // Learning rate 0: the seeded initial weights; the steps only estimate batch-norm running statistics, which the
  // measurement uses (inference mode). After WARMUP steps of batch 8 they hold 1 − 0.9^20 ≈ 88 % of the batches' own.
  const WARMUP = 20;
  let measured: Extract<RunnerEvent, { type: 'pathGradients' }> | null = null;
  const run = await PyTorchTraining.start({
    analysis,
    graph,
    datasetFile: builtinDatasetFile('mnist'),
    python: DEBIAN_TORCH,
    device: 'cpu',
    config: { batch: 8, optimizer: 'sgd', lr: 0, weightDecay: 0, seed: 1, epochs: 1 },
    maxSteps: WARMUP,
    statsInterval: 0,
    evalSamples: 8,
    evalsPerEpoch: 1,
    pathGradients: { interval: WARMUP, images: 2, samples: 2 },
    onEvent: (event) => {
      if (event.type === 'pathGradients' && event.step === WARMUP) measured = event;
    },
  });
  const result = await run.result;
  assert.equal(result.reason, 'done', result.message);
  const event = measured as Extract<RunnerEvent, { type: 'pathGradients' }> | null;
  assert.ok(event, `a path-gradient measurement after step ${WARMUP}`);
  assert.equal(event.residualAdds, 54);
  assert.deepEqual(event.lengths.map((l) => [l.length, l.paths]), Array.from({ length: 55 }, (_, k) => [k, binomial(54, k)]));
  assert.deepEqual(event.lengths.map((l) => l.sampled), Array.from({ length: 55 }, (_, k) => Math.min(binomial(54, k), 2)));
  for (const l of event.lengths) assert.ok(Number.isFinite(l.meanNorm) && l.meanNorm > 0, `k = ${l.length}: meanNorm ${l.meanNorm}`);
  // One path's gradient falls with every 9 more branches entered (each branch multiplies it by a Jacobian of norm
  // below one, Veit §4.2), and on average by more than a fifth per branch (least squares on log meanNorm).
  const every9 = event.lengths.filter((l) => l.length % 9 === 0).map((l) => l.meanNorm);
  for (let i = 1; i < every9.length; i++) assert.ok(every9[i] < every9[i - 1], `meanNorm at k = ${9 * i}: ${every9[i]}, at k = ${9 * (i - 1)}: ${every9[i - 1]}`);
  const xs = event.lengths.map((l) => l.length);
  const ys = event.lengths.map((l) => Math.log(l.meanNorm));
  const xm = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ym = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - xm) * (ys[i] - ym), 0) / xs.reduce((a, x) => a + (x - xm) ** 2, 0);
  assert.ok(Math.exp(slope) < 0.8, `one path's gradient × ${Math.exp(slope)} per branch`);
  // So the total gradient C(54, k) × meanNorm peaks, and holds half of itself, at paths shorter than the median 27.
  const peak = peakLength(event.lengths);
  const half = gradientWindow(event.lengths, 0.5);
  assert.ok(peak < 27, `peak at k = ${peak}`);
  assert.ok(half.to < 27, `50 % of the total gradient at k = ${half.from}–${half.to}`);
});

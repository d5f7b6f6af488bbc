import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useNodeBackend as useBackend } from '../../src/train/nodeBackend';
import type { ImageDataset } from '../../src/train/data';
import { TrainingEngine } from '../../src/train/engine';
import type { TrainingStatistics } from '../../src/train/stats';
import { graphOf, immediate } from './trainHelpers';

// Tiny 1×1×2 models with hand-picked weights: the expected statistics are worked out below in plain
// arithmetic (no tfjs), from one image whose normalised pixels are exactly [-1, 1] and label 0.
const dataset: ImageDataset = {
  name: 'two-pixel',
  height: 1,
  width: 1,
  channels: 2,
  classes: ['a', 'b'],
  train: { count: 1, labels: Uint8Array.of(0), pixels: Uint8Array.of(0, 255) },
  test: { count: 1, labels: Uint8Array.of(0), pixels: Uint8Array.of(0, 255) },
};
const x = [-1, 1];

type Matrix = number[][];
const times = (v: number[], m: Matrix): number[] => m[0].map((_, j) => v.reduce((s, vi, i) => s + vi * m[i][j], 0));
const timesT = (m: Matrix, v: number[]): number[] => m.map((row) => row.reduce((s, mij, j) => s + mij * v[j], 0));
const norm = (v: number[]): number => Math.sqrt(v.reduce((s, a) => s + a * a, 0));
const flat = (m: Matrix): number[] => m.flat();
const softmaxGrad = (z: number[], label: number): number[] => {
  const e = z.map((v) => Math.exp(v - Math.max(...z)));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v, i) => v / sum - (i === label ? 1 : 0));
};
const close = (actual: number | undefined, expected: number, what: string) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);

async function statisticsOf(text: string, weights: Record<string, Matrix>, lr = 0.1): Promise<TrainingStatistics> {
  let statistics: TrainingStatistics | undefined;
  const engine = new TrainingEngine({
    graph: graphOf(text),
    dataset,
    config: { optimizer: 'sgd', lr, batch: 1, epochs: 1 },
    maxSteps: 1,
    statsInterval: 1,
    initialWeights: Object.fromEntries(Object.entries(weights).map(([k, m]) => [k, flat(m)])),
    nextFrame: immediate,
    onEvent: (e) => {
      if (e.type === 'statistics') statistics = e.statistics;
    },
  });
  assert.deepEqual(engine.adapter.notes, []);
  await engine.run();
  assert.ok(statistics);
  return statistics;
}

test('layer statistics and add gradient flow match hand-computed values', async () => {
  await useBackend('cpu');
  const W = [[0.5, -1], [2, -1.75]];
  const V = [[1, -1], [0.5, 2]];
  const s = await statisticsOf(
    `model addnet(1x1x2) {
  c: conv(2, 1, bias=false)
  add(c, in) -> relu -> gap -> dense(2, bias=false)
}`,
    { 'c/kernel': W, 'dense1/kernel': V },
  );
  const c = times(x, W); // [1.5, -0.75]
  const a = c.map((v, i) => v + x[i]); // [0.5, 0.25]
  const r = a.map((v) => Math.max(0, v));
  const z = times(r, V);
  const dz = softmaxGrad(z, 0);
  const dr = timesT(V, dz);
  const da = dr.map((g, i) => (a[i] > 0 ? g : 0));
  const dW = x.map((xi) => da.map((g) => xi * g));
  const dV = r.map((ri) => dz.map((g) => ri * g));

  const conv = s.layers.find((l) => l.node === 'c')!;
  // Statistics describe the step just taken: weights after its update, the gradients that made it.
  const wAfter = flat(W).map((w, i) => w - 0.1 * flat(dW)[i]);
  close(conv.weightNorm, norm(wAfter), 'conv weight norm');
  close(conv.gradNorm, norm(flat(dW)), 'conv gradient norm');
  close(conv.updateRatio, (0.1 * norm(flat(dW))) / norm(wAfter), 'conv update ratio');
  close(conv.activationMean, (c[0] + c[1]) / 2, 'conv activation mean');
  close(conv.activationStd, Math.abs(c[0] - c[1]) / 2, 'conv activation std');
  const dense = s.layers.find((l) => l.node === 'dense1')!;
  close(dense.gradNorm, norm(flat(dV)), 'dense gradient norm');
  const relu = s.layers.find((l) => l.kind === 'relu')!;
  close(relu.zeroFraction, r.filter((v) => v === 0).length / 2, 'relu zero fraction');

  const add = s.merges.find((m) => m.kind === 'add');
  assert.ok(add && add.kind === 'add');
  assert.equal(add.fork, 'input');
  const [residual, shortcut] = add.branches;
  assert.deepEqual([residual.role, residual.start, residual.layers, shortcut.role, shortcut.start, shortcut.layers], ['residual', 'c', 1, 'shortcut', add.node, 0]);
  close(shortcut.gradNorm, norm(da), 'identity branch gradient');
  close(residual.gradNorm, norm(timesT(W, da)), 'residual branch gradient');

  // x_1 = x_0 + F_0 with x_0 the input and F_0 = c: one stage, one row, shares ‖x‖ : ‖c‖.
  assert.equal(s.residual?.length, 1);
  const stage = s.residual![0];
  assert.deepEqual([stage.adds, stage.sources, stage.approximate], [[add.node], ['input', 'c'], false]);
  close(stage.norms[0], norm(x), 'norm of x_0');
  close(stage.norms[1], norm(c), 'norm of F_0 = c');
  close(stage.shares[0][0]!, norm(x) / (norm(x) + norm(c)), 'share of x_0');
  close(stage.shares[0][1]!, norm(c) / (norm(x) + norm(c)), 'share of F_0');
});

test('concat slice gradients and the feature-reuse heat map match hand-computed values', async () => {
  await useBackend('cpu');
  const Wa = [[0.5, -1], [2, 0.25]];
  const Wb = [[1, 0, -1], [0.5, 0.5, 0.5], [-2, 1, 0], [0.25, -0.25, 3]];
  const V = [[1, 0], [0, 1], [0.5, -0.5], [-1, 1], [0.2, 0.1], [0.3, -0.2], [-0.4, 0.6]];
  const s = await statisticsOf(
    `model catnet(1x1x2) {
  a: conv(2, 1, bias=false)
  cat: concat(in, a)
  b: conv(3, 1, bias=false)
  concat(cat, b) -> gap -> dense(2, bias=false)
}`,
    { 'a/kernel': Wa, 'b/kernel': Wb, 'dense1/kernel': V },
  );
  const A = times(x, Wa);
  const cat = [...x, ...A];
  const B = times(cat, Wb);
  const f = [...cat, ...B];
  const dz = softmaxGrad(times(f, V), 0);
  const df = timesT(V, dz);
  const dB = df.slice(4);
  const dcat = df.slice(0, 4).map((g, i) => g + timesT(Wb, dB)[i]);

  const catFlow = s.merges.find((m) => m.node === 'cat');
  assert.ok(catFlow && catFlow.kind === 'concat');
  assert.deepEqual(catFlow.slices.map((sl) => [sl.source, sl.offset, sl.channels]), [['input', 0, 2], ['a', 2, 2]]);
  close(catFlow.slices[0].gradNorm, norm(dcat.slice(0, 2)), 'gradient into the input slice');
  close(catFlow.slices[1].gradNorm, norm(dcat.slice(2)), 'gradient into a\'s slice');
  const last = s.merges.find((m) => m.kind === 'concat' && m.node !== 'cat');
  assert.ok(last && last.kind === 'concat');
  assert.deepEqual(last.slices.map((sl) => sl.source), ['input', 'a', 'b']);
  close(last.slices[2].gradNorm, norm(dB), 'gradient into b\'s slice');

  assert.equal(s.reuse.length, 1);
  const map = s.reuse[0];
  assert.deepEqual(map.sources, ['input', 'a']);
  assert.deepEqual(map.rows.map((r) => r.conv), ['a', 'b']);
  const meanAbs = (rows: number[][]) => rows.flat().reduce((t, v) => t + Math.abs(v), 0) / rows.flat().length;
  // The heat map shows the weights after this step's update (the first statistics come after step 1).
  const dWb = cat.map((ci) => dB.map((g) => ci * g));
  const WbAfter = Wb.map((row, i) => row.map((w, j) => w - 0.1 * dWb[i][j]));
  close(map.rows[1].values[0]!, meanAbs(WbAfter.slice(0, 2)), 'b reads the input');
  close(map.rows[1].values[1]!, meanAbs(WbAfter.slice(2)), 'b reads a');
  assert.equal(map.rows[0].values[1], null);
  // ‖H_ℓ^s * X_s‖ with this step's (pre-update) kernels: b's 1×1 conv splits into x·Wb[0:2] + A·Wb[2:4].
  close(map.rows[0].contributions![0]!, norm(A), 'a reads the input: x · Wa');
  assert.equal(map.rows[0].contributions![1], null);
  close(map.rows[1].contributions![0]!, norm(times(x, Wb.slice(0, 2))), 'H_b^input * x');
  close(map.rows[1].contributions![1]!, norm(times(A, Wb.slice(2))), 'H_b^a * A');
});

test('mnist_densenet gets one feature-reuse heat map per dense block, transition included', async () => {
  await useBackend('cpu');
  const { readFileSync } = await import('node:fs');
  const { syntheticDataset } = await import('./trainHelpers');
  const graph = graphOf(readFileSync('examples/mnist_densenet.skipnet', 'utf8'));
  let statistics: TrainingStatistics | undefined;
  await new TrainingEngine({
    graph,
    dataset: { ...syntheticDataset({ size: 28, train: 4, test: 2 }) },
    config: { batch: 2 },
    maxSteps: 1,
    statsInterval: 1,
    evalSamples: 2,
    nextFrame: immediate,
    onEvent: (e) => {
      if (e.type === 'statistics') statistics = e.statistics;
    },
  }).run();
  assert.ok(statistics);
  const maps = statistics.reuse;
  // `block1: repeat 4 …` is one group named block1 (copies block1_1 … block1_4), so the maps speak of block1 and block2.
  assert.deepEqual(maps.map((m) => m.block), ['block1', 'block2']);
  assert.deepEqual(maps[0].groups, ['block1', 'transition1']);
  assert.deepEqual(maps[0].sources, ['conv1', 'block1_1/conv1', 'block1_2/conv1', 'block1_3/conv1', 'block1_4/conv1']);
  assert.deepEqual(maps[0].rows.map((r) => r.conv), ['block1_1/conv1', 'block1_2/conv1', 'block1_3/conv1', 'block1_4/conv1', 'transition1/conv1']);
  // Row ℓ reads the block input and the ℓ−1 layers before it: a lower triangle.
  maps[0].rows.forEach((row, l) => row.values.forEach((v, s) => assert.equal(v === null, s > l, `row ${l} source ${s}`)));
  assert.ok(maps[0].rows.flatMap((r) => r.values).every((v) => v === null || (v > 0 && v < 2)));
  assert.equal(maps[1].rows.length, 4);
  const adds = statistics.merges.filter((m) => m.kind === 'add');
  assert.equal(adds.length, 0);
  assert.equal(statistics.merges.filter((m) => m.kind === 'concat').length, 8);
  for (const layer of statistics.layers.filter((l) => l.kind === 'conv')) assert.ok(layer.gradNorm! > 0 && layer.updateRatio! > 0 && layer.updateRatio! < 1, layer.node);
});

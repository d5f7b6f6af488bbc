import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import type { MergeFlow, ReuseHeatMap, TrainingStatistics } from '../../src/train';
import { TrainingEngine } from '../../src/train/engine';
import { initialParameters } from '../../src/train/init';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { torchStatisticsPlan } from '../../src/train/pytorch/mergePlan';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { SeededRandom } from '../../src/train/rng';
import { DEBIAN_TORCH, EventLog } from './torchHelpers';
import { immediate } from './trainHelpers';

// The merge statistics of the PyTorch engine against the TensorFlow.js engine's: one step from the same weights on
// the same batch, then every add branch's gradient norm, every concat slice's and every reuse-map cell to 1e-4.

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-8);

// Smooth activations only (gelu, tanh): a relu mask of a value within float32 rounding of 0 may differ between
// two float32 implementations. a1 has a bare identity branch (its gradient is the add's own, read from a1's two
// consumers); add1 a projection shortcut; block1_1/concat1 feeds a module and another concat.
const MODEL = `block dl(k) {
  bn -> gelu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}

model merges(28x28x1) {
  conv(4, 3, pad=1) -> bn -> gelu
  stem: maxpool(2)
  side: stem -> conv(4, 3, pad=1, bias=false) -> bn -> tanh
  a1: add(side, stem)
  r2: conv(4, 3, pad=1, bias=false) -> bn -> tanh
  p2: a1 -> conv(4, 1, bias=false)
  add(r2, p2) -> tanh
  block1: repeat 2 dl(3)
  bn -> tanh -> conv(6, 1, bias=false) -> avgpool(2)
  flatten -> dense(10)
}`;

test('the runner is sent where each merge value and gradient is read: entering modules, whole adds, concat slices', () => {
  const plan = torchStatisticsPlan(analyze(MODEL).models[0]);
  assert.deepEqual(
    plan.adds.map((a) => [a.node, a.fork, a.branches.map((b) => [b.start, b.role, b.layers, b.gradient])]),
    [
      ['a1', 'stem', [['conv2', 'residual', 3, { module: 'conv2' }], ['a1', 'shortcut', 0, { merge: 'a1' }]]],
      ['add1', 'a1', [['conv3', 'residual', 3, { module: 'conv3' }], ['p2', 'shortcut', 1, { module: 'p2' }]]],
    ],
  );
  assert.deepEqual(plan.merges, {
    a1: [{ module: 'conv3' }, { module: 'p2' }],
    'block1_1/concat1': [{ module: 'block1_2.bn1' }, { concat: 'block1_2/concat1', offset: 0, channels: 7 }],
    'block1_2/concat1': [{ module: 'bn4' }],
  });
  // Each merge's value is the input of its first consumer module.
  assert.deepEqual(plan.values, [
    { node: 'a1', kind: 'add', source: { module: 'conv3' } },
    { node: 'add1', kind: 'add', source: { module: 'tanh1' } },
    { node: 'block1_1/concat1', kind: 'concat', source: { module: 'block1_2.bn1' } },
    { node: 'block1_2/concat1', kind: 'concat', source: { module: 'bn4' } },
  ]);
  assert.deepEqual(plan.concats.map((c) => [c.node, c.slices]), [
    ['block1_1/concat1', [{ source: 'add1', offset: 0, channels: 4 }, { source: 'block1_1/conv1', offset: 4, channels: 3 }]],
    ['block1_2/concat1', [{ source: 'add1', offset: 0, channels: 4 }, { source: 'block1_1/conv1', offset: 4, channels: 3 }, { source: 'block1_2/conv1', offset: 7, channels: 3 }]],
  ]);
  assert.deepEqual(plan.reuse.map((m) => [m.block, m.sources, m.rows.map((r) => [r.module, r.runs])]), [
    // block1_1/conv1 reads tanh1 through bn and gelu, not a concat's input: no row (as in the TensorFlow.js engine).
    ['block1', ['add1', 'block1_1/conv1', 'block1_2/conv1'], [
      ['block1_2.conv1', [{ source: 0, channels: 4 }, { source: 1, channels: 3 }]],
      ['conv4', [{ source: 0, channels: 4 }, { source: 1, channels: 3 }, { source: 2, channels: 3 }]],
    ]],
  ]);
});

test('one step from the same weights: merge activations, add splits, concat slices and reuse maps equal the TensorFlow.js engine to 1e-4', async () => {
  const analysis = analyze(MODEL);
  const graph = analysis.models[0];
  const random = new SeededRandom(4);
  const weights: Record<string, number[]> = {};
  for (const p of initialParameters(graph, 7)) weights[p.name] = Array.from(p.values, (v) => (p.role === 'gamma' ? 1 + 0.3 * random.normal() : p.role === 'kernel' ? v : 0.2 * random.normal()));
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0.05, seed: 2 }, maxSteps: 1, statsInterval: 1, evalSamples: 16, evalsPerEpoch: 1, initialWeights: weights };
  const torchLog = new EventLog();
  const run = await PyTorchTraining.start({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, onEvent: torchLog.push, ...settings });
  await run.result;
  await useNodeBackend('cpu');
  const tfLog = new EventLog();
  await new TrainingEngine({ graph, dataset: loadBuiltinDataset('mnist'), nextFrame: immediate, onEvent: tfLog.push, ...settings }).run();
  const statistics = (log: EventLog): TrainingStatistics => {
    const event = log.events.find((e) => e.type === 'statistics');
    assert.ok(event?.type === 'statistics', JSON.stringify(log.events.map((e) => e.type)));
    return event.statistics;
  };
  const [ours, theirs] = [statistics(torchLog), statistics(tfLog)];

  // Same merges, branches, roles, slices and map layout: everything but the measured numbers.
  const shape = (merges: MergeFlow[]) => merges.map((m) => (m.kind === 'add' ? { ...m, branches: m.branches.map((b) => ({ ...b, gradNorm: 0 })) } : { ...m, slices: m.slices.map((s) => ({ ...s, gradNorm: 0 })) }));
  assert.deepEqual(shape(ours.merges), shape(theirs.merges));
  const layout = (maps: ReuseHeatMap[]) => maps.map((m) => ({ ...m, rows: m.rows.map((r) => ({ conv: r.conv, read: r.values.map((v) => v !== null) })) }));
  assert.deepEqual(layout(ours.reuse), layout(theirs.reuse));

  // Every layer of the TensorFlow.js engine's statistics, the merges included, in the same (graph) order.
  assert.deepEqual(ours.layers.map((l) => l.node), theirs.layers.map((l) => l.node));
  const mismatches: string[] = [];
  let compared = 0;
  const check = (what: string, a: number, b: number): void => {
    compared++;
    if (!(b > 0 && relative(a, b) < 1e-4)) mismatches.push(`${what}: PyTorch ${a}, tfjs ${b}`);
  };
  ours.merges.forEach((m, i) => {
    const t = theirs.merges[i];
    if (m.kind === 'add' && t.kind === 'add') m.branches.forEach((b, j) => check(`${m.node} branch ${b.start}`, b.gradNorm, t.branches[j].gradNorm));
    if (m.kind === 'concat' && t.kind === 'concat') m.slices.forEach((s, j) => check(`${m.node} slice ${s.source}`, s.gradNorm, t.slices[j].gradNorm));
  });
  for (const id of ['a1', 'add1', 'block1_1/concat1', 'block1_2/concat1']) {
    const [a, b] = [ours.layers.find((l) => l.node === id)!, theirs.layers.find((l) => l.node === id)!];
    check(`${id} activationStd`, a.activationStd, b.activationStd);
    compared++;
    if (!(Math.abs(a.activationMean - b.activationMean) < 1e-4 * Math.max(Math.abs(b.activationMean), b.activationStd))) mismatches.push(`${id} activationMean: PyTorch ${a.activationMean}, tfjs ${b.activationMean}`);
  }
  ours.reuse.forEach((map, i) =>
    map.rows.forEach((row, r) => row.values.forEach((v, c) => v !== null && check(`${map.block} ${row.conv} × ${map.sources[c]}`, v, theirs.reuse[i].rows[r].values[c]!))),
  );
  assert.deepEqual(mismatches, []);
  // 2 + 2 add branches, 2 + 3 concat slices, 4 merge activation means and spreads, 2 + 3 reuse cells.
  assert.equal(compared, 4 + 5 + 8 + 5);
});

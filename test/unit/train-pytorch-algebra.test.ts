import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import type { ResidualShareMap, ReuseHeatMap, TrainingStatistics } from '../../src/train/stats';
import { makeBatch } from '../../src/train/data';
import { TrainingEngine } from '../../src/train/engine';
import { pathGradients } from '../../src/train/experiments/pathGradients';
import { PATH_GRADIENT_IMAGES, PATH_GRADIENT_SAMPLES, type PathLengthGradient } from '../../src/train/experiments/pathPlan';
import { initialParameters } from '../../src/train/init';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { torchAlgebraPlan, torchPathPlan } from '../../src/train/pytorch/algebraPlan';
import { parseRunnerLine } from '../../src/train/pytorch/protocol';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { SeededRandom } from '../../src/train/rng';
import { DEBIAN_TORCH, EventLog } from './torchHelpers';
import { immediate } from './trainHelpers';

// The answer views' numbers of the PyTorch engine against the TensorFlow.js engine's: one SGD step from the same
// weights on the same batch, then the gradient by path length (Veit et al. 2016, §4.2), DenseNet's contributions
// ‖H_ℓ^s * X_s‖ (Huang et al. 2017, §3) and ResNet's residual shares (He et al. 2016, "Identity Mappings", eq. 4),
// each to 1e-4 relative. Smooth activations only: a relu mask within float32 rounding of 0 may differ between
// two float32 implementations.

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-8);

// a1, a2: one identity stage with nothing after a1 (exact); a3 joins it after a tanh (approximate); add1 has a
// projection shortcut (it ends the stage) and a branch two convs deep, so all four adds are residual in Veit's sense.
const RESNET = `model res(28x28x1) {
  conv(4, 3, pad=1) -> bn -> tanh
  stem: maxpool(2)
  r1: stem -> conv(4, 3, pad=1, bias=false) -> bn
  a1: add(r1, stem)
  r2: a1 -> tanh -> conv(4, 3, pad=1, bias=false) -> bn
  a2: add(r2, a1)
  t2: a2 -> tanh
  r3: t2 -> conv(4, 3, pad=1, bias=false) -> bn
  a3: add(r3, t2)
  p4: a3 -> conv(6, 1, stride=2, bias=false)
  r4: a3 -> conv(6, 3, stride=2, pad=1, bias=false) -> bn -> tanh -> conv(6, 3, pad=1, bias=false) -> bn
  add(r4, p4) -> tanh
  flatten -> dense(10)
}`;

const DENSENET = `block dl(k) {
  bn -> gelu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}

model dense(28x28x1) {
  conv(4, 3, pad=1) -> bn -> gelu -> maxpool(2)
  block1: repeat 3 dl(3)
  bn -> tanh -> conv(6, 1, bias=false) -> avgpool(2)
  flatten -> dense(10)
}`;

interface Runs {
  torch: EventLog;
  tf: EventLog;
  /** The browser engine's measurement after step 1, as its training worker takes it (runtime.ts measurePaths). */
  tfPaths: PathLengthGradient[];
}

/** One step of each engine from the same seeded weights (every bias and bn parameter non-trivial), path gradients on. */
async function bothEngines(source: string, seed: number): Promise<Runs> {
  const analysis = analyze(source);
  const graph = analysis.models[0];
  const random = new SeededRandom(seed);
  const weights: Record<string, number[]> = {};
  for (const p of initialParameters(graph, seed + 3)) weights[p.name] = Array.from(p.values, (v) => (p.role === 'gamma' ? 1 + 0.3 * random.normal() : p.role === 'kernel' ? v : 0.2 * random.normal()));
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0.05, seed: 2 }, maxSteps: 1, statsInterval: 1, evalSamples: 16, evalsPerEpoch: 1, initialWeights: weights };
  const torch = new EventLog();
  const run = await PyTorchTraining.start({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, onEvent: torch.push, pathGradients: true, ...settings });
  await run.result;
  await useNodeBackend('cpu');
  const tf = new EventLog();
  const dataset = loadBuiltinDataset('mnist');
  const engine = new TrainingEngine({ graph, dataset, nextFrame: immediate, onEvent: tf.push, keepModel: true, ...settings });
  await engine.run();
  const batch = makeBatch(dataset, dataset.train, Array.from({ length: PATH_GRADIENT_IMAGES }, (_, i) => i), engine.adapter);
  try {
    return { torch, tf, tfPaths: pathGradients(engine.currentModel!, batch.x, batch.y, { samples: PATH_GRADIENT_SAMPLES, seed: 1 }) };
  } finally {
    batch.x.dispose();
    batch.y.dispose();
    engine.releaseModel();
  }
}

function statistics(log: EventLog): TrainingStatistics {
  const event = log.events.find((e) => e.type === 'statistics');
  assert.ok(event?.type === 'statistics', JSON.stringify(log.events.map((e) => e.type)));
  return event.statistics;
}

test('the runner is told where each residual stage value is seen and which additions of forward() are residual adds', () => {
  const graph = analyze(RESNET).models[0];
  assert.deepEqual(torchAlgebraPlan(graph).residual, [
    {
      block: 'a1',
      adds: ['a1', 'a2', 'a3'],
      sources: ['stem', 'r1', 'r2', 'r3'],
      approximate: true,
      values: [{ module: 'stem', at: 'output' }, { module: 'r1', at: 'output' }, { module: 'r2', at: 'output' }, { module: 'r3', at: 'output' }],
    },
  ]);
  const paths = torchPathPlan(graph);
  assert.deepEqual(paths.adds, [
    { node: 'a1', inputs: 2, shape: [4, 14, 14], branch: 0, skip: 1 },
    { node: 'a2', inputs: 2, shape: [4, 14, 14], branch: 0, skip: 1 },
    { node: 'a3', inputs: 2, shape: [4, 14, 14], branch: 0, skip: 1 },
    { node: 'add1', inputs: 2, shape: [6, 7, 7], branch: 0, skip: 1 },
  ]);
  assert.equal(paths.residualAdds, 4);
  // The merge-only source (a pre-activation stage reading an add) is seen entering the module that reads it.
  const preact = analyze(`model p(8x8x2) {
  r1: conv(2, 3, pad=1, bias=false) -> bn
  a1: add(r1, in)
  r2: a1 -> tanh -> conv(2, 3, pad=1, bias=false)
  a2: add(r2, a1)
  flatten -> dense(3)
}`).models[0];
  assert.deepEqual(torchAlgebraPlan(preact).residual.map((s) => [s.sources, s.values, s.approximate]), [
    [['input', 'r1', 'r2'], [{ module: 'conv1', at: 'input' }, { module: 'r1', at: 'output' }, { module: 'r2', at: 'output' }], false],
  ]);
});

test('the new runner lines are checked field by field', () => {
  const ok = '{"type":"pathGradients","step":1,"residualAdds":1,"lengths":[{"length":0,"paths":1,"sampled":1,"meanNorm":0.5,"total":0.5},{"length":1,"paths":1,"sampled":1,"meanNorm":0.25,"total":0.25}]}';
  assert.deepEqual(parseRunnerLine(ok).ok, true);
  const stats = (extra: string) => `{"type":"statistics","statistics":{"step":1,"layers":[],"merges":[],"reuse":[{"block":"b","groups":["b"],"sources":["x","y"],"rows":[{"conv":"c","values":[0.1,null]${extra}}]}]}}`;
  assert.equal(parseRunnerLine(stats(',"contributions":[2.5,null]')).ok, true);
  const residual = (shares: string) => `{"type":"statistics","statistics":{"step":1,"layers":[],"merges":[],"reuse":[],"residual":[{"block":"a1","adds":["a1"],"sources":["x","f"],"norms":[3,1],"shares":${shares},"approximate":false}]}}`;
  assert.equal(parseRunnerLine(residual('[[0.75,0.25]]')).ok, true);
  for (const [line, error] of [
    [ok.replace('"meanNorm":0.5', '"meanNorm":-1'), 'pathGradients lengths[0].meanNorm: below 0'],
    [ok.replace('"residualAdds":1', '"residualAdds":1.5'), 'pathGradients residualAdds: expected an integer'],
    [stats(',"contributions":[-2,null]'), 'statistics statistics.reuse[0].rows[0].contributions[0]: below 0'],
    [residual('[[1.5,0.25]]'), 'statistics statistics.residual[0].shares[0][0]: above 1'],
  ] as const) assert.deepEqual(parseRunnerLine(line), { ok: false, error }, line);
});

test('gradient by path length and residual shares of a small ResNet equal the TensorFlow.js engine to 1e-4', async () => {
  const { torch, tf, tfPaths } = await bothEngines(RESNET, 5);
  const event = torch.events.find((e) => e.type === 'pathGradients');
  assert.ok(event?.type === 'pathGradients', JSON.stringify(torch.events.map((e) => e.type)));
  assert.equal(event.step, 1);
  assert.equal(event.residualAdds, 4);
  // Same lengths, path counts and sampled paths (C(4, k) > 2 paths are drawn from the step's seed: 2 of them).
  assert.deepEqual(event.lengths.map((l) => [l.length, l.paths, l.sampled]), [[0, 1, 1], [1, 4, 2], [2, 6, 2], [3, 4, 2], [4, 1, 1]]);
  assert.deepEqual(event.lengths.map((l) => [l.length, l.paths, l.sampled]), tfPaths.map((l) => [l.length, l.paths, l.sampled]));
  const mismatches: string[] = [];
  event.lengths.forEach((l, k) => {
    for (const key of ['meanNorm', 'total'] as const) if (!(tfPaths[k][key] > 0 && relative(l[key], tfPaths[k][key]) < 1e-4)) mismatches.push(`length ${k} ${key}: PyTorch ${l[key]}, tfjs ${tfPaths[k][key]}`);
  });

  const [ours, theirs] = [statistics(torch).residual ?? [], statistics(tf).residual ?? []];
  const layout = (maps: ResidualShareMap[]) => maps.map((m) => ({ block: m.block, adds: m.adds, sources: m.sources, approximate: m.approximate, cells: m.shares.map((r) => r.map((v) => v !== null)) }));
  assert.deepEqual(layout(ours), layout(theirs));
  assert.equal(ours.length, 1);
  ours[0].norms.forEach((n, s) => !(theirs[0].norms[s] > 0 && relative(n, theirs[0].norms[s]) < 1e-4) && mismatches.push(`norm ${ours[0].sources[s]}: PyTorch ${n}, tfjs ${theirs[0].norms[s]}`));
  let shares = 0;
  ours[0].shares.forEach((row, i) =>
    row.forEach((v, s) => {
      if (v === null) return;
      shares++;
      const t = theirs[0].shares[i][s]!;
      if (!(t > 0 && relative(v, t) < 1e-4)) mismatches.push(`share ${ours[0].adds[i]} × ${ours[0].sources[s]}: PyTorch ${v}, tfjs ${t}`);
    }),
  );
  assert.deepEqual(mismatches, []);
  assert.equal(shares, 2 + 3 + 4);
});

test('DenseNet contributions ‖H_ℓ^s * X_s‖ equal the TensorFlow.js engine to 1e-4, beside the same mean |w|', async () => {
  const { torch, tf } = await bothEngines(DENSENET, 8);
  const [ours, theirs] = [statistics(torch).reuse, statistics(tf).reuse];
  const layout = (maps: ReuseHeatMap[]) => maps.map((m) => ({ block: m.block, sources: m.sources, rows: m.rows.map((r) => ({ conv: r.conv, measured: r.contributions?.map((v) => v !== null) })) }));
  assert.deepEqual(layout(ours), layout(theirs));
  const mismatches: string[] = [];
  let compared = 0;
  ours.forEach((map, i) =>
    map.rows.forEach((row, r) =>
      row.contributions!.forEach((v, s) => {
        if (v === null) return;
        compared++;
        const t = theirs[i].rows[r].contributions![s]!;
        if (!(t > 0 && relative(v, t) < 1e-4)) mismatches.push(`${row.conv} × ${map.sources[s]}: PyTorch ${v}, tfjs ${t}`);
      }),
    ),
  );
  assert.deepEqual(mismatches, []);
  // block1_1 reads its input alone; block1_2, block1_3 and the transition read 2, 3 and 4 sources.
  assert.equal(compared, 1 + 2 + 3 + 4);
  // A DenseNet has no residual adds: its one path, the network itself, in both engines.
  const event = torch.events.find((e) => e.type === 'pathGradients');
  assert.ok(event?.type === 'pathGradients');
  assert.deepEqual(event.lengths.map((l) => [l.length, l.paths, l.sampled]), [[0, 1, 1]]);
});

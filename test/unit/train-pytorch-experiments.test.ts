/**
 * The PyTorch engine's experiments (python/skipnet_experiments.py): the lesion study (Veit et al. 2016, §4) equals
 * the TensorFlow.js engine's on the same weights, the loss landscape (Li et al. 2018, §4) is centred on the
 * evaluated loss with filter-normalised directions, a runner kept alive after its run measures its final weights,
 * and malformed commands get clear events, never a crash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../../src/core';
import { checkDataFits } from '../../src/train/dataset';
import { runLesionStudy } from '../../src/train/experiments/lesion';
import { isPerturbed, timeOneEvaluation } from '../../src/train/experiments/landscape';
import { TrainingEngine } from '../../src/train/engine';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { torchExperimentPlan } from '../../src/train/pytorch/mergePlan';
import { PyTorchTraining, type PyTorchTrainingOptions } from '../../src/train/pytorch/runner';
import { torchTensors } from '../../src/train/pytorch/weights';
import { alive, DEBIAN_TORCH, encodeDataset, EventLog, NESTED_BLOCKS, PYTHON } from './torchHelpers';
import { immediate, syntheticDataset } from './trainHelpers';
import { TINY_VIT } from '../support/sequenceModels';

const dir = mkdtempSync(join(tmpdir(), 'skipnet-torch-experiments-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Two residual blocks and no batch norm: the TensorFlow.js engine trains it, and the PyTorch run starts from those
// weights with lr 0, so one SGD step leaves them as they were and the run's final weights are the same.
const TINY_RESNET = `block res() {
  r: conv(4, 3, pad=1) -> relu -> conv(4, 3, pad=1)
  add(r, in) -> relu
}
model tinyres(8x8x1) {
  conv(4, 3, pad=1) -> relu
  res()
  res()
  gap -> dense(10)
}`;
const SEED = 3;
const synthetic = syntheticDataset({ size: 8, train: 256, test: 48 });
const datasetFile = join(dir, 'synthetic.bin');
writeFileSync(datasetFile, encodeDataset(synthetic));

function options(log: EventLog, extra: Partial<PyTorchTrainingOptions> = {}): PyTorchTrainingOptions {
  const analysis = analyze(TINY_RESNET);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  return { analysis, graph: analysis.models[0], datasetFile, python: DEBIAN_TORCH, onEvent: log.push, statsInterval: 0, ...extra };
}

test('the plan names the module whose output each block removal zeroes, and every kernel the landscape moves', () => {
  const plan = torchExperimentPlan(analyze(TINY_RESNET).models[0]);
  assert.deepEqual(plan.units.map((u) => [u.label, u.kind, u.modules]), [['res1', 'residual', ['res1.r']], ['res2', 'residual', ['res2.r']]]);
  assert.deepEqual(plan.weights.map((w) => `${w.key} ${w.filters}`), ['conv1.weight output', 'res1.conv1.weight output', 'res1.r.weight output', 'res2.conv1.weight output', 'res2.r.weight output', 'dense1.weight output']);
});

// Residual branches that end in another merge (a nested residual block's add; a squeeze-and-excitation mul) and a
// U-Net-style skip concatenation (the skip also feeds the pooling on): the runner removes each as the browser does.
const NESTED = `${NESTED_BLOCKS}model nested(8x8x1) {
  conv(4, 3, pad=1) -> relu
  outer()
  skip: se_res()
  maxpool(2) -> conv(4, 3, pad=1) -> relu
  up: convtranspose(4, 2, stride=2)
  concat(skip, up) -> conv(4, 1) -> relu
  gap -> dense(10)
}`;

test('a branch ending in another merge is removed by zeroing the modules that make it; a skip concatenation is cut where it is read', () => {
  const plan = torchExperimentPlan(analyze(NESTED).models[0]);
  assert.deepEqual(
    plan.units.map((u) => [u.label, u.kind, u.modules, u.cuts ?? null, u.why ?? null]),
    [
      ['outer1/r', 'residual', ['outer1.r.r'], null, null],
      ['outer1', 'residual', ['outer1.r.r', 'outer1.relu1'], null, null],
      ['skip', 'residual', ['skip.conv1'], null, null],
      ['concat1', 'skip-concat', [], [{ module: 'conv3', axis: 1, offset: 0, channels: 4 }], null],
    ],
  );
  // Here the inner add also reads the block's input, which the outer add takes as its skip: no module set zeroes
  // the branch alone, and the message says why.
  const refused = torchExperimentPlan(analyze(`block twice() {
  r: conv(4, 3, pad=1)
  t: add(r, in)
  add(t, in)
}
model refused(8x8x1) {
  conv(4, 3, pad=1)
  twice()
  gap -> dense(10)
}`).models[0]);
  assert.deepEqual(refused.units.map((u) => [u.label, u.modules, u.why ?? null]), [
    ['twice1/t', ['twice1.r'], null],
    ['twice1/add1', null, 'its branch ends in the add twice1/t, whose input conv1 also feeds layers outside the branch'],
  ]);
});

test('a ViT: both engines move the same weights, and the PyTorch landscape’s centre equals both engines’ evaluated loss', async () => {
  await useNodeBackend('cpu');
  const analysis = analyze(TINY_VIT);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const graph = analysis.models[0];
  const engine = new TrainingEngine({ graph, dataset: synthetic, config: { batch: 16, optimizer: 'adam', lr: 0.01, seed: SEED }, maxSteps: 30, statsInterval: 0, nextFrame: immediate, keepModel: true });
  await engine.run();
  const model = engine.currentModel!;
  const plan = torchExperimentPlan(graph);
  const browserMoves = torchTensors(graph, model.params.filter((p) => isPerturbed(p.role)).map((p) => ({ name: p.name, shape: p.variable.shape, values: p.variable.dataSync() })));
  assert.deepEqual(plan.weights.map((w) => w.key), browserMoves.map((t) => t.key));
  assert.deepEqual(plan.weights.map((w) => `${w.key} ${w.filters}`), [
    'conv_proj.proj.weight output', 'class_token.class_token token', 'pos_embedding.pos_embedding token', 'self_attention.in_proj_weight output',
    'self_attention.out_proj.weight output', 'dense1.weight output', 'dense2.weight output', 'dense3.weight output',
  ]);

  const trained = Object.fromEntries(Object.entries(await model.exportWeights()).map(([name, w]) => [name, w.values]));
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { analysis, graph, config: { batch: 8, optimizer: 'sgd', lr: 0, seed: SEED }, maxSteps: 1, evalSamples: 48, evalsPerEpoch: 1, keepWeights: true, initialWeights: trained }));
  const result = await run.result;
  assert.equal(result.reason, 'done');
  run.experiment({ command: 'landscape', action: 'compute', requests: [{ kind: 'line', points: 5, seed: 1, samples: 48 }] });
  const ended = await log.next((e) => e.type === 'landscape-ended');
  assert.ok(ended.type === 'landscape-ended' && ended.reason === 'done', JSON.stringify(ended));
  const slice = log.events.find((e) => e.type === 'landscape');
  assert.ok(slice?.type === 'landscape' && slice.result.kind === 'line');
  const centre = slice.result.loss[2];
  assert.ok(centre !== null, 'the centre is finite');
  const evaluated = result.evaluation!;
  assert.ok(Math.abs(centre - evaluated.loss) <= 1e-4 * Math.max(1, evaluated.loss), `centre ${centre}, evaluated ${evaluated.loss}`);
  const adapter = checkDataFits(graph, synthetic);
  const tfjs = await timeOneEvaluation(model, { dataset: synthetic, adapter }, 48);
  assert.ok(Math.abs(centre - tfjs.loss) <= 1e-4 * Math.max(1, tfjs.loss), `centre ${centre}, TensorFlow.js ${tfjs.loss}`);
  assert.ok(slice.result.loss.every((l, i) => i === 2 || l !== centre), `the other points move away from the centre: ${slice.result.loss}`);
  model.dispose();
  run.quit();
  await run.exited;
});

test('after the run ends the runner keeps its final weights: lesion accuracies equal the TensorFlow.js engine’s, the landscape’s centre equals the evaluated loss', async () => {
  await useNodeBackend('cpu');
  const graph = analyze(TINY_RESNET).models[0];
  const engine = new TrainingEngine({ graph, dataset: synthetic, config: { batch: 16, optimizer: 'adam', lr: 0.01, seed: SEED }, maxSteps: 60, statsInterval: 0, nextFrame: immediate, keepModel: true });
  await engine.run();
  const model = engine.currentModel!;
  const trained = Object.fromEntries(Object.entries(await model.exportWeights()).map(([name, w]) => [name, w.values]));
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { config: { batch: 8, optimizer: 'sgd', lr: 0, seed: SEED }, maxSteps: 1, evalSamples: 48, evalsPerEpoch: 1, keepWeights: true, initialWeights: trained }));
  const result = await run.result;
  assert.equal(result.reason, 'done');
  assert.equal(alive(run.pid), true, 'the runner stays alive with its final weights');
  run.experiment({ command: 'lesion', samples: 48, draws: 3, seed: 1 });
  const lesion = await log.next((e) => e.type === 'lesion');
  assert.ok(lesion.type === 'lesion');
  const progress = log.events.flatMap((e) => (e.type === 'lesion-progress' ? [`${e.done}/${e.total}`] : []));
  // 1 + n + (n − 1)·draws + 1 with n = 2 blocks, 3 draws: 7 evaluations.
  assert.deepEqual(progress, ['1/7', '2/7', '3/7', '4/7', '5/7', '6/7', '7/7']);

  const adapter = checkDataFits(graph, synthetic);
  const reference = await runLesionStudy(model, synthetic, adapter, { samples: 48, draws: 3, seed: 1, nextFrame: immediate });
  const torch = lesion.result;
  assert.equal(torch.complete, true);
  assert.deepEqual(
    { baseline: torch.baseline, singles: torch.singles, removed: torch.removed, evaluations: torch.evaluations, samples: torch.samples, chance: torch.chance },
    { baseline: reference.baseline, singles: reference.singles, removed: reference.removed, evaluations: reference.evaluations, samples: reference.samples, chance: reference.chance },
  );
  // The removals must change something, or the equality above would hold for a runner that removes nothing.
  assert.notDeepEqual(torch.singles.map((s) => s.accuracy), [torch.baseline, torch.baseline], JSON.stringify(torch));

  run.experiment({ command: 'landscape', action: 'compute', requests: [{ kind: 'line', points: 5, seed: 1, samples: 48 }] });
  const ended = await log.next((e) => e.type === 'landscape-ended');
  assert.ok(ended.type === 'landscape-ended' && ended.reason === 'done', JSON.stringify(ended));
  const slice = log.events.find((e) => e.type === 'landscape');
  assert.ok(slice?.type === 'landscape' && slice.result.kind === 'line');
  assert.deepEqual(slice.result.alphas, [-1, -0.5, 0, 0.5, 1]);
  const evaluated = result.evaluation!;
  const centre = slice.result.loss[2];
  assert.ok(centre !== null, 'the centre is finite');
  assert.equal(evaluated.samples, 48);
  assert.ok(Math.abs(centre - evaluated.loss) <= 1e-4 * Math.max(1, evaluated.loss), `centre ${centre}, evaluated ${evaluated.loss}`);
  const tfjs = await timeOneEvaluation(model, { dataset: synthetic, adapter }, 48);
  assert.ok(Math.abs(centre - tfjs.loss) <= 1e-4 * Math.max(1, tfjs.loss), `centre ${centre}, TensorFlow.js ${tfjs.loss}`);
  assert.equal(slice.result.accuracy[2], tfjs.accuracy);
  assert.ok(slice.result.loss.every((l, i) => i === 2 || l !== centre), `the other points move away from the centre: ${slice.result.loss}`);
  model.dispose();

  run.quit();
  await run.exited;
  assert.equal(alive(run.pid), false, 'quit ends the runner');
});

test('a runner kept for experiments that dies during one answers it with a rejection naming the exit, so no view waits for ever', async () => {
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { config: { batch: 8, optimizer: 'sgd', lr: 0, seed: SEED }, maxSteps: 1, evalSamples: 48, evalsPerEpoch: 1, keepWeights: true }));
  assert.equal((await run.result).reason, 'done');
  // Stopped first, the runner cannot answer before it is killed: the study is in flight when the process dies.
  process.kill(run.pid, 'SIGSTOP');
  run.experiment({ command: 'lesion', samples: 48, draws: 3, seed: 1 });
  process.kill(run.pid, 'SIGKILL');
  const rejected = await log.next((e) => e.type === 'rejected');
  assert.ok(rejected.type === 'rejected');
  assert.match(rejected.message, /^The PyTorch runner ended by signal SIGKILL during the lesion study, so it has no result; train again, then measure\./);
  assert.equal(log.events.some((e) => e.type === 'lesion' || e.type === 'lesion-progress'), false, 'no study result came');
  await run.exited;
  assert.equal(alive(run.pid), false);
});

test('each landscape direction has, filter by filter, the norms of the weights (Li et al. 2018, §4), attention and token embeddings included', () => {
  const script = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(resolve('python'))})
from skipnet_data import SeededRandom
from skipnet_experiments import filter_norms, random_direction
torch.manual_seed(0)
conv = torch.nn.Conv2d(3, 5, 3)
dense = torch.nn.Linear(7, 4)
attention = torch.nn.MultiheadAttention(6, 2, batch_first=True)
pos_embedding = torch.nn.Parameter(torch.randn(1, 3, 6))
class_token = torch.nn.Parameter(torch.randn(1, 1, 6))
kernels = [conv.weight, dense.weight, attention.in_proj_weight, attention.out_proj.weight, pos_embedding, class_token]
filters = ["output"] * 4 + ["token"] * 2
d = random_direction(kernels, SeededRandom(1), filters)
again = random_direction(kernels, SeededRandom(1), filters)
print(json.dumps({"weights": [filter_norms(w, f).tolist() for w, f in zip(kernels, filters)], "directions": [filter_norms(x, f).tolist() for x, f in zip(d, filters)],
  "shapes": [list(x.shape) for x in d], "same": all(torch.equal(a, b) for a, b in zip(d, again)),
  "other": not torch.equal(d[0], random_direction(kernels, SeededRandom(2), filters)[0])}))
`;
  const out = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const { weights, directions, shapes, same, other } = JSON.parse(out.stdout) as { weights: number[][]; directions: number[][]; shapes: number[][]; same: boolean; other: boolean };
  assert.deepEqual(shapes, [[5, 3, 3, 3], [4, 7], [18, 6], [6, 6], [1, 3, 6], [1, 1, 6]]);
  // One filter per output channel, unit, projection row (3·6 for query, key and value), token (3) and class token (1).
  assert.deepEqual(weights.map((w) => w.length), [5, 4, 18, 6, 3, 1]);
  weights.forEach((norms, k) => norms.forEach((n, i) => assert.ok(Math.abs(directions[k][i] - n) <= 1e-6 * n, `kernel ${k} filter ${i}: ${directions[k][i]} vs ${n}`)));
  assert.ok(same, 'a seed gives the same direction');
  assert.ok(other, 'another seed gives another direction');
});

test('bad experiment commands get clear events and the run goes on; a running run answers "pause first"', async () => {
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { config: { batch: 8, epochs: 1000, optimizer: 'sgd', lr: 0.01, seed: SEED } }));
  await log.next((e) => e.type === 'progress' && e.step === 1);
  run.experiment({ command: 'lesion', samples: 16, draws: 2, seed: 1 });
  const early = await log.next((e) => e.type === 'lesion-failed');
  assert.ok(early.type === 'lesion-failed');
  assert.match(early.message, /^Pause the run first/);
  run.pause();
  await log.next((e) => e.type === 'paused');
  const raw = (line: string): void => void (run as unknown as { child: { stdin: { write(s: string): void } } }).child.stdin.write(`${line}\n`);
  raw('{"command": "dance"}');
  raw('not json at all');
  raw('{"command": "lesion", "samples": 0, "draws": 2, "seed": 1}');
  raw('{"command": "landscape", "action": "compute", "requests": [{"kind": "line", "points": 1, "seed": 1, "samples": 8}]}');
  raw('{"command": "landscape", "action": "fly", "requests": []}');
  run.experiment({ command: 'lesion', samples: 16, draws: 2, seed: 1 });
  await log.next((e) => e.type === 'lesion');
  const answers = log.events.filter((e) => e.type === 'rejected' || e.type === 'lesion-failed' || e.type === 'landscape-ended').map((e) => ('message' in e ? e.message : ''));
  assert.deepEqual(answers.slice(1), [
    "Unknown command 'dance': the runner obeys pause, resume, stop, quit, lesion, lesion-cancel, landscape, landscape-cancel.",
    "Not a command (a JSON object with a \"command\" field): 'not json at all'.",
    'Lesion study: samples must be a whole number from 1 to 1000000000, not 0.',
    'Loss landscape: requests[0].points must be a whole number from 2 to 401, not 1.',
    "Loss landscape: action must be \"estimate\" or \"compute\", not 'fly'.",
  ]);
  assert.equal(alive(run.pid), true, 'the runner is still there');
  run.stop();
  const result = await run.result;
  assert.equal(result.reason, 'stopped');
});

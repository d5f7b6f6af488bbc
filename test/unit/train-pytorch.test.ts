import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../../src/core';
import { TrainingEngine } from '../../src/train/engine';
import { TrainError } from '../../src/train/errors';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { builtinDatasetFile } from '../../src/train/nodeData';
import { findPython } from '../../src/train/pytorch/python';
import { PyTorchTraining, type PyTorchTrainingOptions } from '../../src/train/pytorch/runner';
import { alive, DEBIAN_TORCH, encodeDataset, EventLog, fakeInterpreter, PYTHON } from './torchHelpers';
import { immediate, syntheticDataset } from './trainHelpers';

// The PyTorch engine against Debian's python3-torch (PyTorch 1.13): events, controls, process groups, errors.
const dir = mkdtempSync(join(tmpdir(), 'skipnet-torch-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TINY = `model tiny(8x8x1) {
  conv(4, 3, pad=1) -> bn -> relu -> gap -> dense(10)
}`;
const MNIST_SMALL = `model small(28x28x1) {
  conv(8, 3, stride=2, pad=1, bias=false) -> bn -> relu -> flatten -> dense(10)
}`;

const synthetic = syntheticDataset({ size: 8, train: 64, test: 32 });
const syntheticFile = join(dir, 'synthetic.bin');
writeFileSync(syntheticFile, encodeDataset(synthetic));

function options(text: string, datasetFile: string, log: EventLog, extra: Partial<PyTorchTrainingOptions> = {}): PyTorchTrainingOptions {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  return { analysis, graph: analysis.models[0], datasetFile, python: DEBIAN_TORCH, onEvent: log.push, ...extra };
}

test('events arrive in the TensorFlow.js engine order: started, progress, statistics, held-out checks, epoch ends, finished', async () => {
  const settings = { config: { batch: 8, epochs: 2, optimizer: 'sgd' as const, lr: 0.05, seed: 4 }, statsInterval: 3, quickEvalSamples: 16 };
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, settings));
  const result = await run.result;
  await useNodeBackend('cpu');
  const reference = new EventLog();
  const analysis = analyze(TINY);
  await new TrainingEngine({ graph: analysis.models[0], dataset: synthetic, ...settings, nextFrame: immediate, onEvent: reference.push }).run();
  // 8 steps an epoch, 4 held-out points per epoch: quick checks after steps 2, 4 and 6, the whole split after 8.
  assert.deepEqual(log.trace.slice(0, 9), ['started', 'progress:1', 'progress:2', 'evaluation:2:quick:16', 'progress:3', 'statistics:3', 'progress:4', 'evaluation:4:quick:16', 'progress:5']);
  assert.deepEqual(log.trace, reference.trace);
  assert.equal(result.reason, 'done');
  assert.equal(result.steps, 16);
  assert.equal(result.evaluation?.samples, 32);
  const started = log.events[0];
  assert.ok(started.type === 'started');
  assert.match(started.backend, /^pytorch 1\.13\S* · cpu · \d+ threads?$/);
  assert.equal(started.params, Number(analysis.models[0].totals.params));
  assert.deepEqual([started.totalSteps, started.batch, started.replicas], [16, 8, 1]);
  const stats = log.events.find((e) => e.type === 'statistics');
  assert.ok(stats?.type === 'statistics');
  assert.deepEqual(stats.statistics.layers.map((l) => l.node), ['conv1', 'bn1', 'relu1', 'gap1', 'dense1']);
  const conv = stats.statistics.layers[0];
  assert.ok(conv.weightNorm! > 0 && conv.gradNorm! > 0 && conv.updateRatio! > 0 && conv.updateRatio! < 1, JSON.stringify(conv));
  assert.ok(stats.statistics.layers[2].zeroFraction! > 0 && stats.statistics.layers[2].zeroFraction! < 1);
  assert.equal(alive(run.pid), false);
});

test('the loss decreases on a tiny MNIST model', async () => {
  const log = new EventLog();
  const mnist = builtinDatasetFile('mnist');
  const run = await PyTorchTraining.start(options(MNIST_SMALL, mnist, log, { config: { batch: 32, optimizer: 'adam', lr: 0.003 }, maxSteps: 30, statsInterval: 0, evalSamples: 256 }));
  const result = await run.result;
  const losses = log.events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));
  assert.equal(losses.length, 30);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(losses.slice(-6)) < mean(losses.slice(0, 6)) - 0.8, `loss ${mean(losses.slice(0, 6))} → ${mean(losses.slice(-6))}`);
  assert.equal(result.reason, 'done');
  assert.ok(result.evaluation!.accuracy > 0.6, JSON.stringify(result.evaluation));
});

test('pause, resume and stop take effect at step boundaries; stop ends the runner process', async () => {
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, { config: { batch: 8, epochs: 100 }, statsInterval: 0 }));
  assert.equal(alive(run.pid), true);
  await log.next((e) => e.type === 'progress' && e.step === 2);
  run.pause();
  const paused = await log.next((e) => e.type === 'paused');
  assert.ok(paused.type === 'paused');
  run.resume();
  await log.next((e) => e.type === 'resumed');
  // Up to 'resumed' only: lines the resumed runner writes next can arrive in the same stdout chunk and be logged
  // before this wait returns; what must be empty is what came between the two.
  const from = log.trace.indexOf(`paused:${paused.step}`);
  const whilePaused = log.trace.slice(from, log.trace.indexOf(`resumed:${paused.step}`, from) + 1);
  assert.deepEqual(whilePaused, [`paused:${paused.step}`, `resumed:${paused.step}`], 'nothing ran while paused');
  await log.next((e) => e.type === 'progress' && e.step === paused.step + 2);
  run.stop();
  const result = await run.result;
  assert.equal(result.reason, 'stopped');
  assert.ok(result.steps >= paused.step + 2 && result.steps < 800, `stopped after ${result.steps} steps`);
  assert.deepEqual(log.trace.at(-1), `finished:stopped:${result.steps}`);
  assert.equal(run.running, false);
  assert.equal(alive(run.pid), false, 'the runner has exited');
});

test('stop and dispose end the whole process group, a grandchild included', async () => {
  for (const how of ['stop', 'dispose'] as const) {
    const pidFile = join(dir, `grandchild-${how}.pid`);
    // Stands in for a runner whose step never ends and which started a process of its own.
    const fake = fakeInterpreter(dir, `hung-${how}.sh`, [
      `sleep 600 & echo $! > ${pidFile}`,
      `echo '{"type":"started","backend":"fake","params":1,"totalSteps":9,"batch":1,"notes":[],"replicas":1}'`,
      'exec sleep 600',
    ].join('\n'));
    const log = new EventLog();
    const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, { python: { ...DEBIAN_TORCH, executable: fake }, stopGraceMs: 100 }));
    await log.next((e) => e.type === 'started');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(run.pid) && alive(grandchild));
    if (how === 'stop') run.stop();
    else run.dispose();
    const result = await run.result;
    assert.deepEqual(result, { reason: 'stopped', steps: 0, loss: null });
    assert.equal(alive(run.pid), false, `${how}: runner gone`);
    assert.equal(alive(grandchild), false, `${how}: grandchild gone`);
    // stop reports the end as the engine does; after dispose nothing more is said.
    assert.deepEqual(log.trace, how === 'stop' ? ['started', 'finished:stopped:0'] : ['started']);
  }
});

test('a NaN weight stops the run with the TensorFlow.js engine\'s own message', async () => {
  const kernel = new Array(3 * 3 * 1 * 4).fill(0.1);
  kernel[7] = NaN;
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, { config: { batch: 8 }, initialWeights: { 'conv1/kernel': kernel } }));
  const result = await run.result;
  await useNodeBackend('cpu');
  const reference = await new TrainingEngine({ graph: analyze(TINY).models[0], dataset: synthetic, config: { batch: 8 }, initialWeights: { 'conv1/kernel': kernel }, nextFrame: immediate }).run();
  assert.equal(reference.message, 'Training stopped at step 1: the loss is NaN. The first layer whose activation went non-finite is layer conv1 (conv).');
  assert.deepEqual(result, { reason: 'non-finite', steps: 1, loss: null, message: reference.message });
  assert.deepEqual(log.trace, ['started', 'finished:non-finite:1']);
});

test('a huge learning rate ends the run with a non-finite loss and the layer where it started', async () => {
  const plain = `model plain(8x8x1) {
  conv(8, 3, pad=1) -> relu -> conv(8, 3, pad=1) -> relu -> flatten -> dense(10)
}`;
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(plain, syntheticFile, log, { config: { batch: 8, epochs: 20, optimizer: 'sgd', lr: 1e12 }, statsInterval: 0, evalsPerEpoch: 1, evalSamples: 8 }));
  const result = await run.result;
  assert.equal(result.reason, 'non-finite');
  assert.equal(result.loss, null, 'NaN travels as null: JSON has no NaN');
  assert.ok(result.steps >= 2 && result.steps < 100, `${result.steps} steps`);
  assert.match(result.message!, /^Training stopped at step \d+: the loss is (NaN|Infinity)\. (The first layer whose activation went non-finite is|Going back from the loss, the first layer whose gradient went non-finite is) layer (conv|relu|dense)\d \((conv|relu|dense)\)\.$/);
  assert.equal(log.trace.at(-1), `finished:non-finite:${result.steps}`);
});

test('missing Python or PyTorch: one message naming every interpreter tried and why', async () => {
  await assert.rejects(findPython({ python: join(dir, 'no-such-python') }), (error: unknown) => {
    assert.ok(error instanceof TrainError && error.code === 'backend');
    assert.equal(error.message.split('\n')[1], `  ${join(dir, 'no-such-python')}: not found`);
    assert.match(error.message, /needs a Python with PyTorch 1\.13 or newer[\s\S]*https:\/\/pytorch\.org/);
    return true;
  });
  // -S leaves out site-packages, where Debian's torch lives: a Python without torch.
  const bare = fakeInterpreter(dir, 'bare-python', `exec ${PYTHON} -S "$@"`);
  const old = fakeInterpreter(dir, 'old-torch', `echo 'SKIPNET_PROBE {"executable": "/opt/old/python", "python": "3.8.10", "torch": "1.12.1"}'`);
  for (const [python, why] of [
    [bare, / \(.*Python 3\.\d+\.\d+\): no PyTorch \(ModuleNotFoundError: No module named 'torch'\)$/],
    [old, /^ {2}\S+old-torch \(\/opt\/old\/python, Python 3\.8\.10\): PyTorch 1\.12\.1 is older than 1\.13$/],
  ] as const) {
    await assert.rejects(findPython({ python }), (error: unknown) => error instanceof TrainError && why.test(error.message.split('\n')[1]));
  }
  // Without a choice: python3, then python, on PATH; the first with PyTorch wins.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  fakeInterpreter(bin, 'python3', `exec ${PYTHON} -S "$@"`);
  await assert.rejects(findPython({ env: { PATH: bin } }), (error: unknown) => {
    const lines = (error as Error).message.split('\n');
    return /^ {2}python3 \(.*\): no PyTorch/.test(lines[1]) && lines[2] === '  python: not found';
  });
  fakeInterpreter(bin, 'python', `exec ${PYTHON} "$@"`);
  const found = await findPython({ env: { PATH: bin } });
  assert.deepEqual([found.command, found.executable, found.cuda, found.mps], ['python', PYTHON, false, false]);
  assert.match(found.torch, /^1\.13/);
  // The runner says the same when it is started with an interpreter that cannot import torch.
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, { python: { ...DEBIAN_TORCH, executable: bare } }));
  await assert.rejects(run.result, (error: unknown) => error instanceof TrainError && /^PyTorch cannot be imported by \S+ \(ModuleNotFoundError: No module named 'torch'\)\. Install it/.test(error.message));
  assert.deepEqual(log.trace, ['error']);
});

test('a runner that dies mid-run is reported with the last lines of its error output', async () => {
  const fake = fakeInterpreter(dir, 'crash.sh', ['echo "loading the model" >&2', 'echo "Segmentation fault (core dumped)" >&2', 'exit 139'].join('\n'));
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, { python: { ...DEBIAN_TORCH, executable: fake } }));
  await assert.rejects(run.result, (error: unknown) => {
    assert.ok(error instanceof TrainError);
    assert.equal(error.message, `The PyTorch runner (${fake}) ended with exit code 139 before finishing.\nLast lines of its error output:\nloading the model\nSegmentation fault (core dumped)`);
    return true;
  });
  assert.deepEqual(log.trace, ['error']);
});

test('a line that is not an event ends the run with a clear error instead of a crash', async () => {
  const fake = fakeInterpreter(dir, 'chatty.sh', [`echo '{"type":"progress","step":1}'`, 'exec sleep 600'].join('\n'));
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(TINY, syntheticFile, log, { python: { ...DEBIAN_TORCH, executable: fake } }));
  await assert.rejects(run.result, /^TrainError: The PyTorch runner sent a line that is not a valid event \(progress epoch: missing\)\./);
  assert.equal(alive(run.pid), false);
});

/**
 * Compare's "Train both" on the PyTorch engine, host side (src/compare/training.ts): what each side trains (a side
 * with the no-skip ablation on trains the ablation), how the two runner processes share the cores, and the refusal
 * when the two runs' training memory is over the memory free, with hand-counted bytes. Then real PyTorch 1.13 runs
 * on Debian's python3: the runner obeys the thread count it is given, and trains the ablation of mnist_resnet with
 * the core's ablation parameter count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, type ModelGraph } from '../../src/core';
import { planTorchPair, planTrainBoth, TORCH_PROCESS_BYTES, torchSides } from '../../src/compare/training';
import type { SideSpec } from '../../src/compare/model';
import { readExample } from '../support/examples';
import { builtinDatasetFile } from '../../src/train/nodeData';
import { TrainError } from '../../src/train/errors';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { DEBIAN_TORCH, EventLog } from './torchHelpers';

const MIB = 1024n ** 2n;

const resnetText = readExample('mnist_resnet.skipnet');
const resnetSpec = (withoutSkips: boolean): SideSpec => ({ uri: 'file:///mnist_resnet.skipnet', file: 'mnist_resnet.skipnet', model: 'mnist_resnet', withoutSkips });

test('torchSides: a side with the ablation on trains the no-skip ablation on PyTorch, the other the model as written', () => {
  const specs: [SideSpec, SideSpec] = [resnetSpec(false), resnetSpec(true)];
  assert.equal(planTrainBoth(specs, [resnetText, resnetText]).ok, true);
  const [a, b] = torchSides(specs, [resnetText, resnetText]);
  // Hand-counted: the three 1×1 projections with their batch norms (80 + 160 + 576 = 816 parameters) go.
  assert.deepEqual([a.withoutSkips, a.graph.totals.params, b.withoutSkips, b.graph.totals.params], [false, 19_890n, true, 19_074n]);
  assert.deepEqual(b.graph.nodes.filter((n) => n.args.removedSkip !== undefined).map((n) => `${n.id} ${n.kind}`), ['basic1/add1 identity', 'basic2/add1 identity', 'basic3/add1 identity']);
  assert.equal(a.graph.nodes.filter((n) => n.kind === 'add').length, 3);
});

// A: conv 3·3·1·2 = 18 weights, dense 2·10 + 10 = 30: 48 parameters, 192 bytes; with momentum weights, gradients
// and velocity: 576 bytes. Kept per image: the conv's input 4·4·1 floats (64 B), relu's output 4·4·2 (128 B), dense's
// input 2 floats (8 B) = 200 B. At batch 8: 576 + 1,600 = 2,176 bytes.
// B: conv 3·3·1·4 = 36, dense 4·10 + 10 = 50: 86 parameters, 344 bytes, 1,032 with momentum. Per image: 64 B + relu's
// 4·4·4 floats (256 B) + dense's input 4 floats (16 B) = 336 B. At batch 8: 1,032 + 2,688 = 3,720 bytes.
const a: ModelGraph = analyze('model a(4x4x1) {\n  conv(2, 3, pad=1, bias=false) -> relu -> gap -> dense(10)\n}\n').models[0];
const b: ModelGraph = analyze('model b(4x4x1) {\n  conv(4, 3, pad=1, bias=false) -> relu -> gap -> dense(10)\n}\n').models[0];
const config = { batch: 8, optimizer: 'momentum' as const };

test('planTorchPair on the CPU: both at once, half the cores each, the estimate against the memory free', () => {
  assert.equal(TORCH_PROCESS_BYTES, 400n * MIB);
  const plan = planTorchPair(DEBIAN_TORCH, [a, b], config, { cores: 2, freeBytes: 2 * 1024 ** 3 });
  assert.deepEqual(plan, {
    ok: true,
    device: 'cpu',
    threads: 1,
    bytes: [400n * MIB + 2_176n, 400n * MIB + 3_720n],
    message: 'PyTorch 1.13 · cpu · both at once, 1 thread each of 2 cores: about 400 MiB (A, a) + 400 MiB (B, b) = 800 MiB of the 2.00 GiB free.',
  });
  // Half the cores each (rounded down), never fewer than one.
  assert.equal(planTorchPair(DEBIAN_TORCH, [a, b], config, { cores: 16, freeBytes: 2 * 1024 ** 3 }).message, 'PyTorch 1.13 · cpu · both at once, 8 threads each of 16 cores: about 400 MiB (A, a) + 400 MiB (B, b) = 800 MiB of the 2.00 GiB free.');
  for (const [cores, threads] of [[1, 1], [3, 1], [7, 3], [64, 32]]) {
    const planned = planTorchPair(DEBIAN_TORCH, [a, b], config, { cores, freeBytes: 2 * 1024 ** 3 });
    assert.equal(planned.ok && planned.threads, threads, `${cores} cores`);
  }
  // The batch scales the per-image part: at batch 1000, A keeps 576 + 200,000 bytes and B 1,032 + 336,000.
  const large = planTorchPair(DEBIAN_TORCH, [a, b], { batch: 1000, optimizer: 'momentum' }, { cores: 2, freeBytes: 2 * 1024 ** 3 });
  assert.deepEqual(large.bytes, [400n * MIB + 200_576n, 400n * MIB + 337_032n]);
});

test('planTorchPair refuses a pair over the memory free, with the estimate and what to do', () => {
  // Each alone (400 MiB) fits 600 MiB, the two (800 MiB) do not.
  const pair = planTorchPair(DEBIAN_TORCH, [a, b], config, { cores: 2, freeBytes: 600 * 1024 ** 2 });
  assert.deepEqual(pair, {
    ok: false,
    device: 'cpu',
    bytes: [400n * MIB + 2_176n, 400n * MIB + 3_720n],
    message: 'Train both on PyTorch 1.13 (cpu): at batch 8 the two runs need about 400 MiB (A, a) + 400 MiB (B, b) = 800 MiB, more than the 600 MiB of memory free now: lower the batch in A’s train section (both train with it), close other programs, or train each model in its own graph view.',
  });
  // Not even one fits: training each alone would not help.
  const neither = planTorchPair(DEBIAN_TORCH, [a, b], config, { cores: 2, freeBytes: 300 * 1024 ** 2 });
  assert.equal(neither.ok, false);
  assert.equal(neither.message, 'Train both on PyTorch 1.13 (cpu): at batch 8 the two runs need about 400 MiB (A, a) + 400 MiB (B, b) = 800 MiB, more than the 300 MiB of memory free now: lower the batch in A’s train section (both train with it), or use smaller models.');
  // Exactly at the limit fits.
  const exact = Number(800n * MIB + 2_176n + 3_720n);
  assert.equal(planTorchPair(DEBIAN_TORCH, [a, b], config, { cores: 2, freeBytes: exact }).ok, true);
  assert.equal(planTorchPair(DEBIAN_TORCH, [a, b], config, { cores: 2, freeBytes: exact - 1 }).ok, false);
});

test('planTorchPair on a GPU: both at once, the runner’s own threads, no CPU memory check', () => {
  const cuda = { ...DEBIAN_TORCH, torch: '2.3.1+cu121', cuda: true };
  const plan = planTorchPair(cuda, [a, b], config, { cores: 2, freeBytes: 0 });
  assert.deepEqual([plan.ok, plan.device, plan.ok && plan.threads, plan.message], [true, 'cuda', undefined, 'PyTorch 2.3 · cuda · both at once on the GPU, one process each.']);
  const mps = planTorchPair({ ...DEBIAN_TORCH, torch: '2.1.0', mps: true }, [a, b], config, { cores: 8, freeBytes: 0 });
  assert.equal(mps.message, 'PyTorch 2.1 · mps · both at once on the GPU, one process each.');
});

test('the runner trains with the thread count it is given (a real PyTorch run); a thread count below 1 is refused before Python starts', async () => {
  const text = 'model t(28x28x1) {\n  conv(4, 3, stride=2, pad=1) -> relu\n  gap -> dense(10)\n  train { dataset: mnist; batch: 8; epochs: 1 }\n}\n';
  const analysis = analyze(text);
  const graph = analysis.models[0];
  const started = async (threads: number): Promise<string> => {
    const log = new EventLog();
    const run = await PyTorchTraining.start({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, threads, maxSteps: 1, statsInterval: 0, evalSamples: 8, onEvent: log.push });
    const event = await log.next((e) => e.type === 'started' || e.type === 'error');
    await run.result;
    return event.type === 'started' ? event.backend : `error: ${event.type === 'error' ? event.message : ''}`;
  };
  // 1 and 3: neither is this 2-core machine's default of one thread per core.
  const [one, three] = await Promise.all([started(1), started(3)]);
  assert.match(one, /^pytorch 1\.13\S* · cpu · 1 thread$/);
  assert.match(three, /^pytorch 1\.13\S* · cpu · 3 threads$/);
  await assert.rejects(
    PyTorchTraining.start({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, threads: 0 }),
    (error: unknown) => error instanceof TrainError && error.message === 'threads must be a whole number ≥ 1, not 0.',
  );
});

test('the runner trains the no-skip ablation of mnist_resnet with the core’s ablation parameter count (a real PyTorch run)', async () => {
  const [, side] = torchSides([resnetSpec(false), resnetSpec(true)], [resnetText, resnetText]);
  const log = new EventLog();
  const run = await PyTorchTraining.start({ analysis: side.analysis, graph: side.graph, withoutSkips: true, datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, threads: 1, maxSteps: 3, statsInterval: 0, evalSamples: 8, onEvent: log.push });
  const started = await log.next((e) => e.type === 'started' || e.type === 'error');
  const result = await run.result;
  assert.equal(started.type, 'started', JSON.stringify(started));
  assert.equal(started.type === 'started' && started.params, 19_074);
  assert.equal(result.steps, 3);
  // The run's last batch loss and every loss it reported on the way.
  const losses = [result.loss, ...log.events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []))];
  assert.ok(losses.every((loss) => typeof loss === 'number' && Number.isFinite(loss) && loss > 0), `losses ${losses.join(', ')}`);
});

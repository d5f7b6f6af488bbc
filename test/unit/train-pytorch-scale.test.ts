import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../../src/core';
import { MAX_TRAIN_PROCESSES, trainProcesses } from '../../src/train/pytorch/discover';
import { PyTorchTraining, type PyTorchTrainingOptions } from '../../src/train/pytorch/runner';
import { alive, DEBIAN_TORCH, encodeDataset, EventLog } from './torchHelpers';
import { syntheticDataset } from './trainHelpers';

// The PyTorch engine shared by several processes (--nproc): the same losses as one process, batch norm over the
// whole batch, and no process left behind. Debian's PyTorch 1.13 runs here: torchrun does not start on its
// Python 3.11 and SyncBatchNorm refuses the CPU, so this exercises the spawn launcher and the all-reduced moments.

const dir = mkdtempSync(join(tmpdir(), 'skipnet-scale-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Two bn layers (one on a map, one on a flat vector) so that per-shard moments would change every loss.
const BN_NET = `model bnnet(8x8x1) {
  conv(6, 3, pad=1, bias=false) -> bn -> relu -> conv(6, 3, stride=2, pad=1) -> bn -> relu -> flatten -> dense(12) -> bn -> relu -> dense(10)
}`;
const datasetFile = join(dir, 'synthetic.bin');
writeFileSync(datasetFile, encodeDataset(syntheticDataset({ size: 8, train: 96, test: 40 })));

function options(log: EventLog, extra: Partial<PyTorchTrainingOptions>): PyTorchTrainingOptions {
  const analysis = analyze(BN_NET);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  return { analysis, graph: analysis.models[0], datasetFile, python: DEBIAN_TORCH, device: 'cpu', onEvent: log.push, ...extra };
}

/** Every process descending from `root` now (from /proc: each one's parent). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const visit = (pid: number): void => {
    for (const [child, ppid] of parent) {
      if (ppid === pid && !found.includes(child)) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(root);
  return found;
}

const losses = (log: EventLog): number[] => log.events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));

test('2 processes: each step\'s loss and the held-out loss equal one process\'s to 1e-4, batch norm in the model; no process outlives the run', async () => {
  // An odd batch: shards of 5 and 6 images, so equal shares are not what makes the numbers agree.
  const settings = { config: { batch: 11, optimizer: 'momentum' as const, lr: 0.1, seed: 3 }, maxSteps: 5, statsInterval: 2, evalSamples: 40, evalsPerEpoch: 1 };
  const single = new EventLog();
  const one = await (await PyTorchTraining.start(options(single, settings))).result;
  const shared = new EventLog();
  const run = await PyTorchTraining.start(options(shared, { ...settings, nproc: 2 }));
  const started = await shared.next((e) => e.type === 'started');
  // The launcher and its two ranks (spawn also starts a resource tracker): all descend from the runner.
  const family = descendants(run.pid);
  assert.ok(family.length >= 2, `ranks under the runner: ${family.join(', ')}`);
  const two = await run.result;

  assert.ok(started.type === 'started' && started.replicas === 2);
  assert.ok(started.notes.some((n) => /^2 processes \(gloo\), started by (torchrun|torch\.multiprocessing\.spawn)/.test(n)), started.notes.join(' | '));
  assert.ok(started.notes.some((n) => /^batch norm: (torch\.nn\.SyncBatchNorm|moments all-reduced over the ranks) \(3 layers/.test(n)), started.notes.join(' | '));
  assert.deepEqual(shared.trace, single.trace);
  assert.deepEqual(shared.trace, ['started', 'progress:1', 'progress:2', 'statistics:2', 'progress:3', 'progress:4', 'statistics:4', 'progress:5', 'evaluation:5:full:40', 'finished:done:5']);
  const [a, b] = [losses(single), losses(shared)];
  assert.equal(a.length, 5);
  for (const [i, loss] of a.entries()) assert.ok(Math.abs(b[i] - loss) <= 1e-4 * Math.max(1, Math.abs(loss)), `step ${i + 1}: one process ${loss}, two ${b[i]}`);
  // The losses move: the steps trained (a frozen model would agree trivially).
  assert.ok(Math.abs(a[4] - a[0]) > 1e-3, `losses ${a.join(', ')}`);
  // The held-out pass runs in eval mode on the running moments: equal only if both ranks updated them with the whole batch's.
  assert.ok(one.evaluation && two.evaluation);
  assert.ok(Math.abs(one.evaluation.loss - two.evaluation.loss) <= 1e-4 * Math.max(1, one.evaluation.loss), `held-out: ${one.evaluation.loss} vs ${two.evaluation.loss}`);
  assert.equal(one.evaluation.accuracy, two.evaluation.accuracy);
  assert.deepEqual(family.filter(alive), [], 'every rank has ended with the run');
});

test('stopping a 2-process run ends it at a step boundary with a finished event, and every process with it', async () => {
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { config: { batch: 8, epochs: 50, seed: 1 }, statsInterval: 0, nproc: 2, stopGraceMs: 60_000 }));
  await log.next((e) => e.type === 'progress' && e.step === 2);
  const family = descendants(run.pid);
  assert.ok(family.length >= 2, `ranks under the runner: ${family.join(', ')}`);
  run.stop();
  const result = await run.result;
  assert.equal(result.reason, 'stopped');
  assert.ok(result.steps >= 2 && result.steps < 50 * 12, `stopped after ${result.steps} steps`);
  assert.equal(log.events.at(-1)?.type, 'finished');
  assert.equal(alive(run.pid), false);
  assert.deepEqual(family.filter(alive), [], 'no rank outlives a stopped run');
});

test('disposing a 2-process run mid-step ends the launcher and both ranks', async () => {
  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { config: { batch: 8, epochs: 50, seed: 1 }, statsInterval: 0, nproc: 2 }));
  await log.next((e) => e.type === 'progress' && e.step === 1);
  const family = descendants(run.pid);
  run.dispose();
  const result = await run.result;
  assert.equal(result.reason, 'stopped');
  assert.deepEqual([run.pid, ...family].filter(alive), [], 'the process group has ended');
});

// skipnet.train.processes as the graph view reads it (src/graph/training.ts readTrainProcesses → trainProcesses) and
// hands it to the runner as `nproc`: unset is 1, a whole number from 1 to 64 is used as it is, anything else is refused
// with a message naming the setting and the value (never clamped to a count nobody asked for).
test('skipnet.train.processes: unset is 1, 1…64 as given, 0, 1.5, 999, "2" refused by name; the setting\'s 2 reaches the runner', async () => {
  const refusal = (value: string): string => `The setting skipnet.train.processes is ${value}; it must be a whole number from 1 to 64 (the PyTorch processes that share each batch).`;
  assert.equal(MAX_TRAIN_PROCESSES, 64);
  assert.deepEqual([undefined, 1, 2, 64].map(trainProcesses), [1, 1, 2, 64]);
  const bad: [unknown, string][] = [[0, '0'], [1.5, '1.5'], [999, '999'], [65, '65'], [-2, '-2'], ['2', '"2"'], [Number.NaN, 'null'], [null, 'null']];
  for (const [value, shown] of bad) assert.throws(() => trainProcesses(value), { message: refusal(shown) }, String(value));

  const log = new EventLog();
  const run = await PyTorchTraining.start(options(log, { config: { batch: 8, seed: 1 }, nproc: trainProcesses(2), maxSteps: 1, statsInterval: 0, evalSamples: 8 }));
  const result = await run.result;
  assert.deepEqual([result.reason, result.steps], ['done', 1]);
  const started = log.events.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started' && started.replicas === 2);
  assert.ok(started.notes.some((note) => /^2 processes \(gloo\), started by .+; each takes 1\/2 of every batch$/.test(note)), started.notes.join(' | '));
});

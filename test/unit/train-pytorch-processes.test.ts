import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../../src/core';
import { MAX_TRAIN_PROCESSES, trainProcesses } from '../../src/train/pytorch/discover';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { DEBIAN_TORCH, encodeDataset, EventLog } from './torchHelpers';
import { syntheticDataset } from './trainHelpers';

// skipnet.train.processes, as the graph view reads it (src/graph/training.ts readTrainProcesses → trainProcesses)
// and hands it to the runner as `nproc`: unset is 1, a whole number from 1 to 64 is used as it is, anything else is
// refused with a message naming the setting and the value (never clamped to a count nobody asked for).

const dir = mkdtempSync(join(tmpdir(), 'skipnet-processes-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (value: string): string => `The setting skipnet.train.processes is ${value}; it must be a whole number from 1 to 64 (the PyTorch processes that share each batch).`;

test('the setting\'s values: unset is 1, 1…64 as given; 0, 1.5, 999, -2, "2", NaN and null are refused by name', () => {
  assert.equal(MAX_TRAIN_PROCESSES, 64);
  assert.deepEqual([undefined, 1, 2, 64].map(trainProcesses), [1, 1, 2, 64]);
  const bad: [unknown, string][] = [[0, '0'], [1.5, '1.5'], [999, '999'], [65, '65'], [-2, '-2'], ['2', '"2"'], [Number.NaN, 'null'], [null, 'null']];
  for (const [value, shown] of bad) assert.throws(() => trainProcesses(value), { message: refusal(shown) }, String(value));
});

test('the setting\'s 2 reaches the runner: the run starts 2 processes and says so in its notes', async () => {
  const datasetFile = join(dir, 'synthetic.bin');
  writeFileSync(datasetFile, encodeDataset(syntheticDataset({ size: 8, train: 32, test: 8 })));
  const analysis = analyze(`model flat(8x8x1) {
  conv(4, 3, pad=1) -> relu -> gap -> dense(10)
  train { batch: 8; epochs: 1; seed: 1 }
}`);
  const log = new EventLog();
  const run = await PyTorchTraining.start({ analysis, graph: analysis.models[0], datasetFile, python: DEBIAN_TORCH, device: 'cpu', nproc: trainProcesses(2), maxSteps: 1, statsInterval: 0, evalSamples: 8, onEvent: log.push });
  const result = await run.result;
  assert.deepEqual([result.reason, result.steps], ['done', 1]);
  const started = log.events.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started');
  assert.equal(started.replicas, 2);
  assert.ok(started.notes.some((note) => /^2 processes \(gloo\), started by .+; each takes 1\/2 of every batch$/.test(note)), started.notes.join(' | '));
});

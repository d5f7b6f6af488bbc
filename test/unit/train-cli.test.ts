import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import { analyze } from '../../src/core';
import type { TrainEvent } from '../../src/train/engine';

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: (p) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('train writes no files') };
}

test('skipnet train examples/mnist_resnet.skipnet on wasm: the loss drops over a few dozen steps', async () => {
  const io = capture();
  const code = await runCliAsync(['train', 'examples/mnist_resnet.skipnet', '--backend', 'wasm', '--steps', '36', '--batch', '16', '--eval-samples', '256', '--json'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const events = io.lines.map((l) => JSON.parse(l) as TrainEvent);
  const started = events[0];
  assert.ok(started.type === 'started' && started.backend === 'wasm' && started.totalSteps === 36 && BigInt(started.params) === analyze(readFileSync('examples/mnist_resnet.skipnet', 'utf8')).models[0].totals.params, JSON.stringify(started));
  const losses = events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));
  assert.equal(losses.length, 36);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(losses.slice(-6)) < mean(losses.slice(0, 6)) - 0.3, `loss ${mean(losses.slice(0, 6))} → ${mean(losses.slice(-6))}`);
  const finished = events.at(-1)!;
  assert.ok(finished.type === 'finished' && finished.result.reason === 'done' && finished.result.evaluation!.samples === 256);
  assert.ok(finished.result.evaluation!.accuracy > 0.2, JSON.stringify(finished.result.evaluation));
});

test('skipnet train prints progress lines, the padding note and the final held-out accuracy', async () => {
  const io = capture();
  const code = await runCliAsync(['train', 'examples/resnet20.skipnet', '--backend', 'wasm', '--steps', '2', '--batch', '4', '--eval-samples', '8'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  assert.match(io.lines[0], /^backend wasm, 269,722 parameters, 2 steps of batch 4$/);
  assert.equal(io.lines[1], 'note: mnist 28×28×1 images padded with zeros to 32×32 and repeated to 3 channels');
  assert.match(io.lines[2], /^epoch 1\/1 step 1\/2 loss \d+\.\d{4} acc \d\.\d{3} [\d.]+ img\/s ETA \d+s$/);
  assert.match(io.lines.at(-1)!, /^final held-out accuracy \d+\.\d\d% after 2 steps \(wasm\)$/);
});

test('skipnet train reports bad usage and untrainable models clearly', async () => {
  let io = capture();
  assert.equal(await runCliAsync(['train', 'examples/mnist_resnet.skipnet', '--backend', 'webgl'], io), 2);
  assert.match(io.errors[0], /--backend must be cpu or wasm, not 'webgl'/);
  io = capture();
  assert.equal(await runCliAsync(['train', 'examples/mnist_resnet.skipnet', '--steps', '0'], io), 2);
  assert.match(io.errors[0], /--steps must be a whole number ≥ 1, not '0'/);
  io = capture();
  assert.equal(await runCliAsync(['train', 'examples/resnet50.skipnet', '--steps', '1'], io), 1);
  assert.match(io.errors[0], /skipnet: mnist images are 28×28×1 but model resnet50 takes 224×224×3: only|needs about .* budget/);
});

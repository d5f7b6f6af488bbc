/**
 * Train both within one memory budget (src/train/memoryPlan.ts): the TensorFlow.js step estimate and the
 * pair's plan (together, one after the other, a smaller batch, refused) on a model small enough to count by
 * hand, and the plan for the canonical ResNet-20 / DenseNet-40 pair.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze, findings, trainingMemory, type ModelGraph } from '../../src/core';
import { checkMemory } from '../../src/train/engine';
import { TrainError } from '../../src/train/errors';
import { budgetFor, MEMORY_BUDGET, planPair, TFJS_SAVED_FACTOR, tfjsStepBytes } from '../../src/train/memoryPlan';

// conv 3·3·1·2 = 18 weights, dense 2·10 + 10 = 30: 48 parameters, 192 bytes.
// Fixed with momentum: weights 192 + gradients 192 + velocity 192 = 576 bytes.
// Kept per image: the conv's input 4·4·1 floats (64 B), relu's output 4·4·2 (128 B; gap keeps the same
// tensor), dense's input 2 floats (8 B) = 200 B; a TensorFlow.js step: 200 · 10 = 2,000 B per image.
const small: ModelGraph = analyze('model m(4x4x1) {\n  conv(2, 3, pad=1, bias=false) -> relu -> gap -> dense(10)\n}\n').models[0];
const step = (batch: number): bigint => 576n + 2000n * BigInt(batch);

test('tfjsStepBytes: the fixed part plus ten times the core’s per-image bytes, counted by hand', () => {
  assert.equal(TFJS_SAVED_FACTOR, 10n);
  assert.equal(tfjsStepBytes(small, 0, 'momentum'), 576n);
  assert.equal(tfjsStepBytes(small, 8, 'momentum'), 16_576n);
  assert.equal(tfjsStepBytes(small, 8, 'sgd'), 16_576n - 192n);
  assert.equal(tfjsStepBytes(small, 8, 'adam'), 16_576n + 192n);
});

test('planPair: together, one after the other, a smaller batch, refused, at the budgets that separate them', () => {
  const config = { batch: 8, optimizer: 'momentum' as const };
  // 2 · 16,576 = 33,152 ≤ 40,000: both at once at batch 8.
  const together = planPair([small, small], config, 40_000);
  assert.deepEqual([together.mode, together.batch, together.bytes], ['together', 8, [step(8), step(8)]]);
  assert.equal(together.message, 'Both train at once at batch 8: about 16.2 KiB (A, m) + 16.2 KiB (B, m) = 32.4 KiB of the 39.1 KiB budget.');
  // Each alone fits 20,000, both do not: A, then B, at the batch asked for.
  const sequential = planPair([small, small], config, 20_000);
  assert.deepEqual([sequential.mode, sequential.batch], ['one-after-the-other', 8]);
  assert.match(sequential.message, /^At batch 8 a TensorFlow\.js step needs about 16\.2 KiB \(A, m\) \+ 16\.2 KiB \(B, m\) = 32\.4 KiB, more than the 19\.5 KiB budget: A trains first, then B, each alone at batch 8/);
  // Neither fits 10,000 alone at 8; at 4 both need 2 · 8,576 = 17,152, at 2 2 · 4,576 = 9,152: batch 2.
  const smaller = planPair([small, small], config, 10_000);
  assert.deepEqual([smaller.mode, smaller.batch, smaller.bytes], ['smaller-batch', 2, [step(2), step(2)]]);
  assert.match(smaller.message, /: both train at once at batch 2 instead \(about 8\.94 KiB\), the same batch for both/);
  // At batch 1 both need 2 · 2,576 = 5,152 > 5,000, though each alone (2,576) would fit.
  const pairTooBig = planPair([small, small], config, 5_000);
  assert.deepEqual([pairTooBig.mode, pairTooBig.batch], ['refused', 1]);
  assert.match(pairTooBig.message, /and both together need about 5\.03 KiB at batch 1: use a smaller model, or train each in its own graph view\.$/);
  // One model alone is over 2,000 even at batch 1.
  const modelTooBig = planPair([small, small], config, 2_000);
  assert.equal(modelTooBig.mode, 'refused');
  assert.match(modelTooBig.message, /and m alone needs about 2\.52 KiB at batch 1: use a smaller model\.$/);
});

test('planPair: a batch of 1 asked for is kept (together or one after the other) or refused, never raised', () => {
  const config = { batch: 1, optimizer: 'momentum' as const };
  assert.deepEqual([planPair([small, small], config, 6_000).mode, planPair([small, small], config, 6_000).batch], ['together', 1]);
  // 2 · 2,576 > 5,000 ≥ 2,576.
  assert.deepEqual([planPair([small, small], config, 5_000).mode, planPair([small, small], config, 5_000).batch], ['one-after-the-other', 1]);
  assert.deepEqual([planPair([small, small], config, 2_000).mode, planPair([small, small], config, 2_000).batch], ['refused', 1]);
});

test('budgetFor: the smallest budget of the backends a choice may land on', () => {
  assert.equal(budgetFor('auto'), 1024 ** 3);
  assert.equal(budgetFor('webgl'), 1024 ** 3);
  assert.equal(budgetFor('wasm'), 1.5 * 1024 ** 3);
  assert.equal(budgetFor('cpu'), MEMORY_BUDGET.cpu);
});

test('ResNet-20 and DenseNet-40 at batch 32: over the budget by far, so both train at batch 4', () => {
  const [resnet, densenet] = ['resnet20', 'densenet40'].map((n) => analyze(readFileSync(`examples/${n}.skipnet`, 'utf8')).models[0]);
  // Core figures (test/unit/memory*.test.ts check them against PyTorch): fixed with momentum and per image.
  // ResNet-20: 3,247,824 + b · 1,519,872 · 10; DenseNet-40: 12,381,744 + b · 19,031,808 · 10.
  const a = (b: number): bigint => 3_247_824n + BigInt(b) * 15_198_720n;
  const d = (b: number): bigint => 12_381_744n + BigInt(b) * 190_318_080n;
  // Batch 32: 489,606,864 + 6,102,560,304 B, far over 1.5 GiB; DenseNet-40 alone is too, so no sequential plan.
  // Batch 8: 124,837,584 + 1,534,926,384 = 1,659,763,968 > 1,610,612,736; batch 4: 64,042,704 + 773,654,064 fits.
  for (const budget of [budgetFor('wasm'), budgetFor('auto')]) {
    const plan = planPair([resnet, densenet], { batch: 32, optimizer: 'momentum' }, budget);
    assert.deepEqual([plan.mode, plan.batch, plan.bytes], ['smaller-batch', 4, [a(4), d(4)]]);
  }
  assert.equal(a(32) + d(32), 6_592_167_168n);
  assert.equal(a(8) + d(8), 1_659_763_968n);
  const plan = planPair([resnet, densenet], { batch: 32, optimizer: 'momentum' }, budgetFor('wasm'));
  assert.equal(
    plan.message,
    'At batch 32 a TensorFlow.js step needs about 467 MiB (A, resnet20) + 5.68 GiB (B, densenet40) = 6.14 GiB, more than the 1.50 GiB budget: both train at once at batch 4 instead (about 799 MiB), the same batch for both so they still see the same images in the same order.',
  );
});

test('checkMemory (one run) uses the same TensorFlow.js estimate: DenseNet-40 at batch 32 is refused before it starts', () => {
  const densenet = analyze(readFileSync('examples/densenet40.skipnet', 'utf8')).models[0];
  assert.throws(
    () => checkMemory(densenet, { batch: 32, optimizer: 'momentum' }, MEMORY_BUDGET.wasm),
    (error: unknown) =>
      error instanceof TrainError &&
      error.code === 'memory' &&
      // 12,381,744 + 8 · 190,318,080 = 1,534,926,384 B = 1.43 GiB.
      error.message ===
        'Training densenet40 at batch 32 needs about 5.68 GiB in the browser engine (activations 5.67 GiB), more than the 1.50 GiB budget: try batch 8 (about 1.43 GiB). ' +
          "TensorFlow.js's tape keeps every intermediate of a step, about 10× what PyTorch's autograd keeps: the PyTorch engine's step needs 593 MiB, the figure skipnet explain gives.",
  );
  assert.doesNotThrow(() => checkMemory(densenet, { batch: 8, optimizer: 'momentum' }, MEMORY_BUDGET.wasm));
});

test('the two figures of one step say which engine each is, in explain and in the refusal: DenseNet-40 and ResNet-20 at batch 32', () => {
  // PyTorch (trainingMemory): fixed + 32 · per image kept by autograd + per-step batch-norm statistics.
  // DenseNet-40: 621,399,600 B = 593 MiB; ResNet-20: 51,883,728 B = 49.5 MiB (test/unit/findings.test.ts).
  // TensorFlow.js (tfjsStepBytes): fixed + 32 · 10 · per image: DenseNet-40 12,381,744 + 32 · 190,318,080 =
  // 6,102,560,304 B = 5.68 GiB; ResNet-20 3,247,824 + 32 · 15,198,720 = 489,606,864 B = 467 MiB.
  const cases = [
    { name: 'densenet40', pytorch: 621_399_600n, browser: 6_102_560_304n, words: ['593 MiB', '5.68 GiB', '98.0%'] },
    { name: 'resnet20', pytorch: 51_883_728n, browser: 489_606_864n, words: ['49.5 MiB', '467 MiB', '93.8%'] },
  ];
  for (const { name, pytorch, browser, words } of cases) {
    const graph = analyze(readFileSync(`examples/${name}.skipnet`, 'utf8')).models[0];
    assert.equal(trainingMemory(graph, 32, 'momentum').total, pytorch);
    assert.equal(tfjsStepBytes(graph, 32, 'momentum'), browser);
    const [py, tfjs, share] = words;
    const finding = findings(graph).find((f) => f.topic === 'training-memory')!;
    assert.equal(
      finding.text,
      `A PyTorch training step at batch 32 (momentum) needs ${py}: weights, gradients, optimizer state and what autograd keeps for the backward pass (${share} of it activations). ` +
        `The browser engine (TensorFlow.js) needs about ${tfjs}: its tape keeps every intermediate of the step.`,
    );
    assert.deepEqual([finding.values.trainingBytes, finding.values.browserBytes], [String(pytorch), String(browser)]);
    // A budget one byte short of the browser figure refuses the step and names both figures.
    assert.throws(
      () => checkMemory(graph, { batch: 32, optimizer: 'momentum' }, Number(browser) - 1),
      (error: unknown) =>
        error instanceof TrainError &&
        error.message.startsWith(`Training ${name} at batch 32 needs about ${tfjs} in the browser engine (activations `) &&
        error.message.endsWith(`TensorFlow.js's tape keeps every intermediate of a step, about 10× what PyTorch's autograd keeps: the PyTorch engine's step needs ${py}, the figure skipnet explain gives.`),
    );
  }
});

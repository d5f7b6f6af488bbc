/**
 * The DOM-free parts of the statistics overlay in plain Node: colour scales, the combination of a
 * collapsed block's layers, value formatting, and the bounded sparkline history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerStatistics } from '../../src/train/stats';
import { StatisticsHistory } from '../../webview/statistics/history';
import { combinedValue, formatValue, makeScale, rampGradient } from '../../webview/statistics/metrics';

test('scales: log for magnitudes spanning a decade, linear otherwise, fixed 0–1 for fractions, symmetric for means', () => {
  const log = makeScale('gradNorm', [0.001, 0.01, 0.1])!;
  assert.equal(log.type, 'log');
  assert.deepEqual([log.min, log.max], [0.001, 0.1]);
  assert.ok(Math.abs(log.position(0.01) - 0.5) < 1e-12);
  assert.equal(log.position(1), 1, 'clamped');
  const linear = makeScale('weightNorm', [2, 3, 4])!;
  assert.deepEqual([linear.type, linear.position(3)], ['linear', 0.5]);
  const fraction = makeScale('zeroFraction', [0.4, 0.6])!;
  assert.deepEqual([fraction.type, fraction.min, fraction.max, fraction.position(0.6)], ['linear', 0, 1, 0.6]);
  const signed = makeScale('activationMean', [-0.2, 0.1])!;
  assert.deepEqual([signed.type, signed.min, signed.max, signed.position(-0.2), signed.position(0.1)], ['diverging', -0.2, 0.2, -1, 0.5]);
  assert.equal(makeScale('gradNorm', [Number.NaN]), null);
  assert.equal(makeScale('gradNorm', [0, 1, 100])!.type, 'linear', 'a zero rules out log');
  assert.match(rampGradient(signed), /^linear-gradient\(to right, color-mix\(in srgb, var\(--stats-low\) 70%, var\(--g-node-fill\)\) 0%, .* 100%\)$/);
});

test('a collapsed block: norms combine over all its parameters, activations are its output’s', () => {
  const layer = (node: string, w?: number, g?: number, r?: number): LayerStatistics => ({ node, kind: 'conv', activationMean: node.length, activationStd: 1, weightNorm: w, gradNorm: g, updateRatio: r });
  const members = [layer('a', 3, 0.3, 0.01), layer('b', 4, 0.4, 0.02), layer('relu')];
  assert.equal(combinedValue(members, undefined, 'weightNorm'), 5);
  assert.ok(Math.abs(combinedValue(members, undefined, 'gradNorm')! - 0.5) < 1e-12);
  assert.ok(Math.abs(combinedValue(members, undefined, 'updateRatio')! - Math.sqrt(0.03 ** 2 + 0.08 ** 2) / 5) < 1e-12);
  assert.equal(combinedValue(members, members[2], 'activationMean'), 4);
  assert.equal(combinedValue([layer('relu')], undefined, 'gradNorm'), undefined);
});

test('formatting: three significant digits, exponents for the very small and large', () => {
  assert.deepEqual([0, 0.123456, 12.345, 0.00012345, 123456, -0.5].map(formatValue), ['0', '0.123', '12.3', '1.23e-4', '1.23e+5', '-0.500']);
});

test('history: the last `capacity` updates oldest first, gaps as NaN, removed layers dropped', () => {
  const history = new StatisticsHistory(4);
  const update = (step: number, entries: Record<string, Record<string, number>>): void =>
    history.append(step, new Map(Object.entries(entries).map(([owner, values]) => [owner, new Map(Object.entries(values))])));
  for (let step = 1; step <= 6; step++) update(step, { conv: step === 5 ? {} : { gradNorm: step }, relu: { zeroFraction: step / 10 } });
  assert.equal(history.length, 4);
  assert.deepEqual(history.series('conv', 'gradNorm'), [3, 4, Number.NaN, 6]);
  assert.deepEqual(history.series('relu', 'zeroFraction').map((v) => Math.round(v * 10)), [3, 4, 5, 6]);
  update(7, { conv: { gradNorm: 7, weightNorm: 1 } });
  assert.equal(history.has('relu'), false, 'a layer missing from an update is gone from the model');
  assert.deepEqual(history.series('conv', 'weightNorm'), [Number.NaN, Number.NaN, Number.NaN, 1]);
  for (let step = 8; step < 3000; step++) update(step, { conv: { gradNorm: step, weightNorm: 1 } });
  assert.equal(history.size, 2);
  assert.deepEqual(history.series('conv', 'gradNorm'), [2996, 2997, 2998, 2999]);
  history.clear();
  assert.deepEqual([history.length, history.size, history.series('conv', 'gradNorm').length], [0, 0, 0]);
});

/**
 * Train both, the pure parts: what the host plans (side A's train section for both, refusals located in
 * the side and line), the protocol checks of the new messages, and gradient norms ordered by depth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { planTrainBoth } from '../../src/compare/training';
import { analyze } from '../../src/core';
import { type TrainEvent, TrainingEngine } from '../../src/train/engine';
import { buildGraphPayload } from '../../src/protocol/payload';
import { validateCompareHostMessage, validateCompareWebviewMessage } from '../../src/protocol/compare-validate';
import type { TrainingStatistics } from '../../src/train/stats';
import { countsForDepth, depthGradients, layerDepths } from '../../webview/training/depth-gradients';

const residual = `block res() {
  r: conv(4, 3, pad=1) -> bn -> relu -> conv(4, 3, pad=1)
  add(r, in) -> relu
}
model net(8x8x1) {
  conv(4, 3, pad=1) -> relu
  res()
  gap -> dense(10)
  train { dataset: fashion_mnist; batch: 16; epochs: 2; optimizer: sgd; lr: 0.1; seed: 5 }
}
`;
const spec = (model: string, withoutSkips = false) => ({ uri: `file:///w/${model}.skipnet`, file: `${model}.skipnet`, model, withoutSkips });

test('planTrainBoth: both sides get side A train section, data set apart', () => {
  const other = residual.replace('model net', 'model other').replace(/train \{[^}]*\}/, 'train { batch: 64; seed: 99 }');
  const plan = planTrainBoth([spec('net'), spec('other')], [residual, other]);
  assert.ok(plan.ok);
  assert.deepEqual(plan.training.dataset, { kind: 'builtin', name: 'fashion-mnist' });
  assert.deepEqual(plan.shared, { epochs: 2, batch: 16, optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, seed: 5 });
});

test('planTrainBoth: a missing model or a model with errors is refused with its side and line', () => {
  const missing = planTrainBoth([spec('net'), spec('nope')], [residual, residual]);
  assert.deepEqual(missing, { ok: false, message: "Side B: nope.skipnet has no model 'nope' to train." });
  const broken = residual.replace('dense(10)', 'dense(10, bogus=1)');
  const plan = planTrainBoth([spec('net'), spec('net')], [residual, broken]);
  assert.deepEqual(plan, { ok: false, message: "Side B: net has errors (first: line 8: dense has no argument 'bogus'.); fix them before training." });
});

test('layerDepths: weighted layers on the longest path; the shortcut does not make a layer shallower', () => {
  const analysis = analyze(residual);
  const graph = buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150 });
  const depths = layerDepths(graph);
  const named = Object.fromEntries(graph.nodes.filter(countsForDepth).map((n) => [n.id, depths.get(n.id)]));
  const ids = Object.keys(named);
  assert.equal(ids.length, 4);
  assert.deepEqual(Object.values(named), [1, 2, 3, 4], JSON.stringify(named));
  const bn = graph.nodes.find((n) => n.kind === 'bn')!;
  assert.equal(bn.params, '8', 'bn over 4 channels: γ and β');
  const statistics: TrainingStatistics = {
    step: 10,
    layers: [
      ...ids.map((node, i) => ({ node, kind: 'conv', gradNorm: 10 ** -i, activationMean: 0, activationStd: 1 })).reverse(),
      { node: bn.id, kind: 'bn', gradNorm: 5, activationMean: 0, activationStd: 1 },
    ],
    merges: [],
    reuse: [],
  };
  const points = depthGradients(graph, statistics);
  assert.deepEqual(points.map((p) => [p.depth, p.layer, p.norm]), ids.map((id, i) => [i + 1, id, 10 ** -i]));
});

test('protocol: startTrainBoth and trainBothEnded are checked field by field', () => {
  const run = { model: 'net', text: residual, backend: 'cpu', statsInterval: 5, dataset: { kind: 'builtin', name: 'mnist', url: 'https://x/mnist.bin' } };
  const config = { epochs: 1, batch: 8, optimizer: 'adam', lr: 0.01, momentum: 0.9, weightDecay: 0, seed: 1 };
  const good = { type: 'startTrainBoth', revision: 3, runs: [{ run, withoutSkips: false }, { run, withoutSkips: true }], config };
  assert.deepEqual(validateCompareHostMessage(good), { ok: true, message: good });
  assert.deepEqual(validateCompareHostMessage({ ...good, runs: [good.runs[0]] }), { ok: false, error: 'startTrainBoth runs: expected two runs' });
  assert.equal(validateCompareHostMessage({ ...good, config: { ...config, batch: 0 } }).ok, false);
  assert.equal(validateCompareHostMessage({ ...good, runs: [{ run: { ...run, backend: 'tpu' }, withoutSkips: false }, good.runs[1]] }).ok, false);
  assert.deepEqual(validateCompareWebviewMessage({ type: 'trainBothEnded', state: 'stopped', message: 'Stopped.' }).ok, true);
  assert.equal(validateCompareWebviewMessage({ type: 'trainBothEnded', state: 'running', message: '' }).ok, false);
});

test('engine: a model with a branch that never reaches the output trains (its weights get no gradient) and frees its tensors', async () => {
  await tf.setBackend('cpu');
  const text = `block down() {
  r: conv(8, 3, stride=2, pad=1, bias=false) -> bn -> relu -> conv(8, 3, pad=1, bias=false) -> bn
  s: in -> conv(8, 1, stride=2, bias=false) -> bn
  r -> relu
}
model proj(8x8x1) {
  conv(4, 3, pad=1) -> relu
  down()
  gap -> dense(2)
  train { batch: 4; optimizer: sgd; lr: 0.1; seed: 2 }
}
`;
  // The no-skip ablation prunes such branches; a model written with one keeps it, and the engine must cope.
  const graph = analyze(text).models[0];
  assert.ok(graph.nodes.filter((n) => n.kind === 'conv').length === 4, 'the unused branch conv is still declared');
  const n = 16;
  const split = { count: n, labels: new Uint8Array(n).map((_, i) => i % 2), pixels: new Uint8Array(n * 64).map((_, i) => (i * 37) % 256) };
  const dataset = { name: 'pattern', height: 8, width: 8, channels: 1, classes: ['a', 'b'], train: split, test: split };
  const before = tf.memory().numTensors;
  const events: TrainEvent[] = [];
  const engine = new TrainingEngine({ graph, dataset, statsInterval: 1, maxSteps: 3, onEvent: (event) => events.push(event) });
  await engine.run();
  const finished = events.find((e) => e.type === 'finished');
  assert.equal(finished?.type === 'finished' && finished.result.reason, 'done');
  assert.equal(finished?.type === 'finished' && finished.result.steps, 3);
  assert.equal(events.filter((e) => e.type === 'statistics').length, 3);
  assert.equal(tf.memory().numTensors, before);
});

/**
 * Training the sequence (Vision Transformer) layers: examples/vit_tiny.skipnet's exact count in the core and in
 * PyTorch through the export, the weight map from SkipNet's tfjs layouts to the exported modules' parameters, and
 * one SGD step of both engines (TensorFlow.js and the PyTorch runner on the exported module) from the same weights
 * giving the same loss and per-layer statistics. Gradients against PyTorch autograd: train-reference.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { initialParameters } from '../../src/train/init';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { torchTensors } from '../../src/train/pytorch/weights';
import { SeededRandom } from '../../src/train/rng';
import { readExample } from '../support/examples';
import { assertMatchesCore, runInPyTorch } from '../support/torch';
import { compareLayerStatistics, EventLog, firstProgress, layerStatistics, relative, runBothEngines } from './torchHelpers';
import { graphOf } from './trainHelpers';

test('vit_tiny has 205,066 parameters by hand, in the core and in the exported PyTorch module', () => {
  const analysis = analyze(readExample('vit_tiny.skipnet'));
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), []);
  const model = analysis.models[0];
  // patchify 64·1·7² + 64; class token 64; 17 positions × 64; per block two layernorms 2·2·64, attention
  // 4·64² + 4·64, MLP 64·256 + 256 + 256·64 + 64; final layernorm 2·64; head 64·10 + 10.
  const block = 2 * 2 * 64 + (4 * 64 * 64 + 4 * 64) + (64 * 256 + 256 + 256 * 64 + 64);
  const byHand = 64 * 49 + 64 + 64 + 17 * 64 + 4 * block + 2 * 64 + 64 * 10 + 10;
  assert.equal(byHand, 205_066);
  assert.equal(model.totals.params, BigInt(byHand));
  const result = exportPyTorch(analysis, model, 'vit_tiny.skipnet');
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const [report] = runInPyTorch([{ code: result.code, className: result.className }]);
  assert.equal(report.params, 205_066);
  assert.equal(report.grads, true);
  assertMatchesCore(model, report, 'vit_tiny');
});

test('sequence weights go to the exported modules in PyTorch layouts, torchvision names and shapes', () => {
  const graph = graphOf(`model m(2x2x2) {
  p: patchify(2, 2)
  c: cls_token()
  e: pos_embed()
  a: attention(1)
  n: layernorm
  token(0) -> dense(2)
}`);
  const ramp = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const tensors = torchTensors(graph, [
    { name: 'p/kernel', shape: [2, 2, 2, 2], values: ramp(16) },
    { name: 'c/class_token', shape: [2], values: [5, 6] },
    { name: 'e/pos_embedding', shape: [2, 2], values: ramp(4) },
    { name: 'a/in_proj_kernel', shape: [2, 6], values: ramp(12) },
    { name: 'a/out_proj_kernel', shape: [2, 2], values: ramp(4) },
    { name: 'a/out_proj_bias', shape: [2], values: [7, 8] },
    { name: 'n/gamma', shape: [2], values: [1, 2] },
  ]);
  assert.deepEqual(
    tensors.map((t) => [t.key, t.shape, Array.from(t.values)]),
    [
      // [kh, kw, cin, cout] → [cout, cin, kh, kw]: element (o, i, y, x) is tfjs's ((y·2 + x)·2 + i)·2 + o.
      ['p.proj.weight', [2, 2, 2, 2], [0, 4, 8, 12, 2, 6, 10, 14, 1, 5, 9, 13, 3, 7, 11, 15]],
      ['c.class_token', [1, 1, 2], [5, 6]],
      ['e.pos_embedding', [1, 2, 2], [0, 1, 2, 3]],
      // [D, 3D] → in_proj_weight [3D, D].
      ['a.in_proj_weight', [6, 2], [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]],
      ['a.out_proj.weight', [2, 2], [0, 2, 1, 3]],
      ['a.out_proj.bias', [2], [7, 8]],
      ['n.weight', [2], [1, 2]],
    ],
  );
  assert.throws(() => torchTensors(graph, [{ name: 'c/kernel', shape: [2], values: [1, 1] }]), /No parameter named c\/kernel in model m\./);
});

// A small ViT on the 28×28 digits: every sequence layer but mean_tokens (the reference test has it) in one block.
const VIT = `model vit(28x28x1) {
  patchify(7, 16) -> cls_token() -> pos_embed()
  ln_1: layernorm
  attention(2)
  x: add(_, ln_1)
  layernorm(eps=1e-6) -> dense(32) -> gelu -> dense(16)
  add(_, x) -> layernorm -> token(0) -> dense(10)
}`;

test('one SGD step of a ViT from the same weights: the PyTorch runner equals the TensorFlow.js engine to 1e-4', async () => {
  const analysis = analyze(VIT);
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), []);
  const graph = analysis.models[0];
  // Seeded weights, with every constant-initialised parameter (zeros, ones) made non-trivial so that each matters.
  const random = new SeededRandom(9);
  const weights: Record<string, number[]> = {};
  for (const p of initialParameters(graph, 5)) {
    const constant = p.values.every((v) => v === p.values[0]);
    weights[p.name] = Array.from(p.values, (v) => (!constant ? v : p.role === 'gamma' ? 1 + 0.3 * random.normal() : 0.2 * random.normal()));
  }
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0.05, seed: 3 }, maxSteps: 1, statsInterval: 1, evalSamples: 64, evalsPerEpoch: 1, initialWeights: weights };
  const both = await runBothEngines({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), dataset: loadBuiltinDataset('mnist'), settings });
  const [torchLog, tfLog, torchResult, tfResult] = [both.torch.log, both.tfjs.log, both.torch.result, both.tfjs.result];
  assert.deepEqual(torchLog.trace, ['started', 'progress:1', 'statistics:1', 'evaluation:1:full:64', 'finished:done:1']);
  assert.deepEqual(torchLog.trace, tfLog.trace);

  const [theirs, ours] = [firstProgress(torchLog), firstProgress(tfLog)];
  assert.ok(relative(ours.loss, theirs.loss) < 1e-4, `loss: PyTorch ${theirs.loss}, tfjs ${ours.loss}`);

  const [torchLayers, tfLayers] = [layerStatistics(torchLog), layerStatistics(tfLog)];
  assert.deepEqual([...torchLayers.keys()], [...tfLayers.keys()]);
  const { mismatches, compared } = compareLayerStatistics(torchLayers, tfLayers, ['weightNorm', 'gradNorm', 'updateRatio', 'activationStd']);
  assert.deepEqual(mismatches, []);
  // Weight, gradient and update norms of 10 parameterised layers (patchify, class token, position embedding, three
  // layernorms, attention, three dense) and the activation spread of all 14 layers after the input.
  assert.equal(compared, 10 * 3 + 14);

  // The gradient split at both adds, on sequences: the same branch flows in both engines.
  const merges = (log: EventLog) => {
    const event = log.events.find((e) => e.type === 'statistics');
    assert.ok(event?.type === 'statistics');
    return event.statistics.merges;
  };
  assert.equal(merges(tfLog).length, 2);
  const branches = (log: EventLog) => merges(log).flatMap((m) => (m.kind === 'add' ? m.branches.map((b) => ({ at: `${m.node}<-${b.input} ${b.role} ${b.layers}`, norm: b.gradNorm })) : []));
  const [tfBranches, torchBranches] = [branches(tfLog), branches(torchLog)];
  assert.deepEqual(tfBranches.map((b) => b.at), ['x<-attention1 residual 1', 'x<-ln_1 shortcut 0', 'add1<-dense2 residual 4', 'add1<-x shortcut 0']);
  assert.deepEqual(torchBranches.map((b) => b.at), tfBranches.map((b) => b.at));
  for (const [i, b] of tfBranches.entries()) assert.ok(relative(b.norm, torchBranches[i].norm) < 1e-4 && b.norm > 0, `${b.at}: tfjs ${b.norm}, PyTorch ${torchBranches[i].norm}`);

  const [a, b] = [torchResult.evaluation!, tfResult.evaluation!];
  assert.ok(relative(a.loss, b.loss) < 1e-4 && a.accuracy === b.accuracy && a.samples === 64, `PyTorch ${JSON.stringify(a)}, tfjs ${JSON.stringify(b)}`);
});

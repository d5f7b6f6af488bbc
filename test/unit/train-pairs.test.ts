/**
 * Pair sets (`dataset: mnist_pairs`) and models with two inputs, trained by both engines: the pairs drawn alike in
 * Node and Python, one SGD step equal in TensorFlow.js and PyTorch, the tied tower's one gradient (the sum over its
 * two applications, checked against PyTorch), the CLI on the Siamese example, and the located errors.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import { analyze } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { checkDataFits } from '../../src/train/dataset';
import type { TrainEvent } from '../../src/train/engine';
import { TrainingEngine } from '../../src/train/engine';
import { TfModel } from '../../src/train/model';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { pairDataset, PAIR_SEED_TEST, PAIR_SEED_TRAIN } from '../../src/train/pairs';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { torchTensors } from '../../src/train/pytorch/weights';
import { SeededRandom } from '../../src/train/rng';
import { crossEntropy } from '../../src/train/step';
import { compareLayerStatistics, DEBIAN_TORCH, firstProgress, layerStatistics, PYTHON, relative, runBothEngines } from './torchHelpers';
import { immediate } from './trainHelpers';

const runPython = (script: string): string => execFileSync(PYTHON, ['-c', script], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });

test('mnist_pairs: every pair and label for a seed is the same in Node and Python; exactly half same; a pair is same exactly when its digits agree', () => {
  const mnist = loadBuiltinDataset('mnist');
  const file = builtinDatasetFile('mnist');
  const seeds = [1, 7, 4294967295];
  const script = ['import json, sys', 'sys.path.insert(0, "python")', 'from skipnet_data import first_pairs', `print(json.dumps([first_pairs(${JSON.stringify(file)}, "mnist", seed, 10**9) for seed in ${JSON.stringify(seeds)}]))`].join('\n');
  const theirs = JSON.parse(runPython(script)) as { train: number[][]; test: number[][] }[];
  seeds.forEach((seed, s) => {
    const pairs = pairDataset(mnist, seed);
    assert.equal(pairs.name, 'mnist_pairs');
    assert.deepEqual(pairs.classes, ['different', 'same']);
    for (const [which, split, images] of [['train', pairs.train, mnist.train], ['test', pairs.test, mnist.test]] as const) {
      // One pair per image of the split, drawn from that split's images only.
      assert.equal(split.count, images.count);
      const ours = Array.from({ length: split.count }, (_, k) => [split.pairs!.first[k], split.pairs!.second[k], split.labels[k]]);
      assert.deepEqual(theirs[s][which], ours, `seed ${seed}, ${which}`);
      const same = ours.filter((p) => p[2] === 1).length;
      assert.equal(same, split.count / 2, `seed ${seed}, ${which}: ${same} same of ${split.count}`);
      const wrong = ours.filter(([a, b, label]) => (images.labels[a] === images.labels[b]) !== (label === 1));
      assert.deepEqual(wrong, [], `seed ${seed}, ${which}`);
      assert.ok(ours.every(([a, b]) => a >= 0 && b >= 0 && a < images.count && b < images.count));
    }
  });
  // The first training pair by the documented rule, drawn here step by step: image ⌊u·n⌋, then ⌊u·m⌋ of its digit's images.
  const random = new SeededRandom((7 ^ PAIR_SEED_TRAIN) >>> 0);
  const a = Math.floor(random.next() * mnist.train.count);
  const sameDigit = Array.from(mnist.train.labels.keys()).filter((i) => mnist.train.labels[i] === mnist.train.labels[a]);
  const b = sameDigit[Math.floor(random.next() * sameDigit.length)];
  assert.deepEqual(theirs[1].train[0], [a, b, 1]);
  // Another seed draws other pairs; the held-out stream is not the training one.
  assert.notDeepEqual(theirs[0].train.slice(0, 8), theirs[1].train.slice(0, 8));
  assert.notEqual(PAIR_SEED_TRAIN, PAIR_SEED_TEST);
});

test('a pair batch is [n, 2, H, W, C]: the first and second image of each pair, normalised as single images are', async () => {
  await useNodeBackend('cpu');
  const mnist = loadBuiltinDataset('mnist');
  const pairs = pairDataset(mnist, 3);
  const graph = analyze(readFileSync('examples/siamese_mnist.skipnet', 'utf8')).models[0];
  const adapter = checkDataFits(graph, pairs);
  const { makeBatch } = await import('../../src/train/data');
  const batch = makeBatch(pairs, pairs.train, [5, 0], adapter);
  const single = makeBatch(mnist, mnist.train, [pairs.train.pairs!.first[5], pairs.train.pairs!.second[5]], adapter);
  try {
    assert.deepEqual(batch.x.shape, [2, 2, 28, 28, 1]);
    assert.deepEqual(Array.from(batch.labels), [pairs.train.labels[5], pairs.train.labels[0]]);
    assert.deepEqual(Array.from(batch.x.dataSync().subarray(0, 2 * 784)), Array.from(single.x.dataSync()));
    assert.deepEqual(batch.y.arraySync(), [pairs.train.labels[5], pairs.train.labels[0]].map((l) => (l === 1 ? [0, 1] : [1, 0])));
  } finally {
    tf.dispose([batch.x, batch.y, single.x, single.y]);
  }
});

// A small Siamese pair: a tower of conv, bn, tanh, a strided conv, gelu and dense applied to both images with tied
// weights, and a head. Smooth activations on the large maps (a relu mask at float32 rounding may flip between two
// implementations, see train-pytorch-reference.test.ts); the relu sits on 8 features.
const TWIN = `
block tower() {
  conv(4, 3, stride=2, pad=1) -> bn -> tanh
  conv(8, 3, stride=2, pad=1) -> gelu
  flatten -> dense(16) -> tanh
}

model twin(a: 28x28x1, b: 28x28x1) {
  fa: a -> tower()
  fb: b -> shared(fa)
  concat(fa, fb) -> dense(8) -> relu -> dense(2)
  train { dataset: mnist_pairs }
}`;

test('one SGD step on mnist_pairs from the same weights: loss, accuracy and every layer statistic equal in PyTorch and TensorFlow.js to 1e-4', async () => {
  const analysis = analyze(TWIN);
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), []);
  const graph = analysis.models[0];
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0.05, seed: 5 }, maxSteps: 1, statsInterval: 1, evalSamples: 64, evalsPerEpoch: 1 };
  const both = await runBothEngines({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), dataset: pairDataset(loadBuiltinDataset('mnist'), 5), settings });
  const [torchLog, tfLog, torchResult, tfResult] = [both.torch.log, both.tfjs.log, both.torch.result, both.tfjs.result];
  assert.deepEqual(torchLog.trace, ['started', 'progress:1', 'statistics:1', 'evaluation:1:full:64', 'finished:done:1']);
  assert.deepEqual(torchLog.trace, tfLog.trace);

  const [ours, theirs] = [firstProgress(torchLog), firstProgress(tfLog)];
  assert.ok(relative(ours.loss, theirs.loss) < 1e-4, `loss: PyTorch ${ours.loss}, tfjs ${theirs.loss}`);
  assert.equal(ours.accuracy, theirs.accuracy);

  const [torchLayers, tfLayers] = [layerStatistics(torchLog), layerStatistics(tfLog)];
  // Both applications of the tower are reported, each with its own activations and the tied weights' norms.
  assert.deepEqual([...torchLayers.keys()], [...tfLayers.keys()]);
  assert.ok(tfLayers.has('fa/conv1') && tfLayers.has('fb/conv1'));
  const { mismatches, compared } = compareLayerStatistics(torchLayers, tfLayers, ['weightNorm', 'gradNorm', 'updateRatio', 'activationStd', 'zeroFraction']);
  assert.deepEqual(mismatches, []);
  // Parameterised layers: conv, bn, conv, dense in each application (8) and the head's two dense (weight, gradient
  // and update norms); activation spreads of the 14 tower layers that are not views (7 per application), the concat
  // and the head's 3; the relu's zero fraction.
  assert.equal(compared, 10 * 3 + 18 + 1);
  // The tied layer reports its original's weights: one variable, one set of norms.
  assert.equal(tfLayers.get('fb/conv1')!.weightNorm, tfLayers.get('fa/conv1')!.weightNorm);
  assert.notEqual(tfLayers.get('fb/conv1')!.activationStd, tfLayers.get('fa/conv1')!.activationStd);

  const [a, b] = [torchResult.evaluation!, tfResult.evaluation!];
  assert.ok(relative(a.loss, b.loss) < 1e-4 && a.accuracy === b.accuracy && a.samples === 64, `PyTorch ${JSON.stringify(a)}, tfjs ${JSON.stringify(b)}`);
});

// One tied conv on two 6×6 inputs: small enough to print every gradient.
const TIED = `model tied(a: 6x6x1, b: 6x6x1) {
  c: a -> conv(2, 3)
  d: b -> shared(c)
  concat(c, d) -> flatten -> dense(2)
}`;

test('a tied layer is one variable whose gradient is the sum of its two applications\' gradients, as PyTorch computes it', async () => {
  await useNodeBackend('cpu');
  const analysis = analyze(TIED);
  const graph = analysis.models[0];
  const model = new TfModel(graph, 11);
  try {
    // One variable each for the conv's kernel and bias, none for the tied application.
    assert.deepEqual(model.params.map((p) => p.name), ['c/kernel', 'c/bias', 'dense1/kernel', 'dense1/bias']);
    assert.equal(model.paramsByNode.get('d'), model.paramsByNode.get('c'));
    const random = new SeededRandom(4);
    const pixels = Array.from({ length: 3 * 2 * 36 }, () => random.normal());
    const labels = [1, 0, 1];
    const x = tf.tensor(pixels, [3, 2, 6, 6, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(x, { training: true }).logits, y), model.params.map((p) => p.variable));
    const gradients = model.params.map((p) => ({ name: p.name, shape: p.variable.shape, values: Array.from(grads[p.variable.name].dataSync()) }));
    const loss = value.dataSync()[0];
    tf.dispose([x, y, value, ...Object.values(grads)]);

    const exported = exportPyTorch(analysis, graph, 'tied.skipnet');
    assert.ok(exported.ok);
    const weights = torchTensors(graph, model.params.map((p) => ({ name: p.name, shape: p.variable.shape, values: Array.from(p.variable.dataSync()) })));
    const expected = torchTensors(graph, gradients);
    const script = `
import json, torch, torch.nn.functional as F
torch.set_default_dtype(torch.float32)
${exported.code}
model = ${exported.className}()
weights = json.loads(${JSON.stringify(JSON.stringify(weights.map((w) => [w.key, w.shape, Array.from(w.values)])))})
model.load_state_dict({k: torch.tensor(v, dtype=torch.float32).reshape(s) for k, s, v in weights}, strict=False)
x = torch.tensor(${JSON.stringify(pixels)}, dtype=torch.float32).reshape(3, 2, 6, 6, 1).permute(0, 1, 4, 2, 3)
y = torch.tensor(${JSON.stringify(labels)})
loss = F.cross_entropy(model(x[:, 0], x[:, 1]), y)
loss.backward()
conv = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
assert len(conv) == 1, len(conv)
conv = conv[0]
tied = {"weight": conv.weight.grad.clone(), "bias": conv.bias.grad.clone()}
# The same forward with a copy of the conv's parameters per application: each copy's gradient is that application's.
copies = [{k: p.detach().clone().requires_grad_() for k, p in (("weight", conv.weight), ("bias", conv.bias))} for _ in range(2)]
calls = [0]
def applied(inp):
    own = copies[calls[0]]
    calls[0] += 1
    return conv._conv_forward(inp, own["weight"], own["bias"])
conv.forward = applied
F.cross_entropy(model(x[:, 0], x[:, 1]), y).backward()
print(json.dumps({
    "loss": loss.item(), "calls": calls[0],
    "tied": {k: v.reshape(-1).tolist() for k, v in tied.items()},
    "sumGap": max((tied[k] - copies[0][k].grad - copies[1][k].grad).abs().max().item() for k in tied),
    "parts": [max(c[k].grad.abs().max().item() for k in c) for c in copies],
}))
`;
    const torch = JSON.parse(runPython(script).trim().split('\n').at(-1)!) as { loss: number; calls: number; tied: Record<string, number[]>; sumGap: number; parts: number[] };
    assert.equal(torch.calls, 2);
    assert.ok(relative(loss, torch.loss) < 1e-5, `loss: tfjs ${loss}, PyTorch ${torch.loss}`);
    // PyTorch's tied gradient is the sum of the two applications' (each of them non-zero).
    assert.ok(torch.sumGap < 1e-6, `tied − (first + second) = ${torch.sumGap}`);
    assert.ok(torch.parts.every((p) => p > 1e-4), JSON.stringify(torch.parts));
    // TensorFlow.js's one variable gets the same gradient.
    for (const [key, name] of [['weight', 'c.weight'], ['bias', 'c.bias']] as const) {
      const ours = Array.from(expected.find((t) => t.key === name)!.values);
      const scale = Math.max(...torch.tied[key].map(Math.abs));
      const gap = Math.max(...ours.map((v, i) => Math.abs(v - torch.tied[key][i])));
      assert.ok(gap < 1e-4 * scale, `${name}: tfjs ${ours.join(', ')}; PyTorch ${torch.tied[key].join(', ')}`);
    }
  } finally {
    model.dispose();
  }
});

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: (p) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('train writes no files') };
}

// 40 steps are near chance for a pair task (measured: held-out 50.25%, losses 0.63–0.79): this checks the run and
// what it reports, not how well it learns.
test('skipnet train examples/siamese_mnist.skipnet on wasm: 40 steps on mnist_pairs, the held-out pair accuracy reported', async () => {
  const io = capture();
  const code = await runCliAsync(['train', 'examples/siamese_mnist.skipnet', '--backend', 'wasm', '--steps', '40', '--batch', '16', '--eval-samples', '400', '--json'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const events = io.lines.map((l) => JSON.parse(l) as TrainEvent);
  const started = events[0];
  assert.ok(started.type === 'started' && started.params === 113_698 && started.totalSteps === 40, JSON.stringify(started));
  const losses = events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));
  assert.equal(losses.length, 40);
  assert.ok(losses.every(Number.isFinite), losses.join(', '));
  const evaluation = events.find((e) => e.type === 'evaluation' && e.full);
  assert.ok(evaluation?.type === 'evaluation' && evaluation.samples === 400, JSON.stringify(evaluation));
  // A fraction of the 400 held-out pairs (not of images: 2 per pair).
  assert.ok(Math.abs(evaluation.accuracy * 400 - Math.round(evaluation.accuracy * 400)) < 1e-9, `held-out pair accuracy ${evaluation.accuracy}`);
  assert.ok(evaluation.accuracy >= 0 && evaluation.accuracy <= 1 && Number.isFinite(evaluation.loss), `losses ${losses.map((l) => l.toFixed(3)).join(', ')}; held-out ${JSON.stringify(evaluation)}`);
});

const problems = (text: string): string[] =>
  analyze(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${text.slice(d.range.start, d.range.end)}: ${d.message}`);

test('inputs and data set that do not go together: located errors naming the inputs and the set, in the editor and from both engines', async () => {
  const single = 'model one(28x28x1) {\n  conv(4, 3) -> gap -> dense(2)\n  train { dataset: mnist_pairs }\n}';
  assert.deepEqual(problems(single), [
    'mnist_pairs: mnist_pairs gives two images per example (1 = same class, 0 = different), bound to two inputs in declaration order, but one has 1 input (input): declare two image inputs, e.g. model one(a: 28x28x1, b: 28x28x1).',
  ]);
  const pair = 'model two(a: 28x28x1, b: 28x28x1) {\n  concat(a, b) -> gap -> dense(10)\n  train { dataset: fashion_mnist }\n}';
  assert.deepEqual(problems(pair), [
    'fashion_mnist: two has 2 inputs (a, b) but fashion_mnist gives one image per example: train it on a pair set (dataset: fashion_mnist_pairs), whose two images go to a and b.',
  ]);
  const triple = 'model three(a: 28x28x1, b: 28x28x1, c: 28x28x1) {\n  concat(a, b, c) -> gap -> dense(2)\n  train { dataset: mnist_pairs }\n}';
  assert.deepEqual(problems(triple), [
    'mnist_pairs: mnist_pairs gives two images per example (1 = same class, 0 = different), bound to two inputs in declaration order, but three has 3 inputs (a, b, c): declare two image inputs, e.g. model three(a: 28x28x1, b: 28x28x1).',
  ]);
  // Without a train section a model names no data set: nothing to report (the Siamese example before its section).
  assert.deepEqual(problems('model two(a: 28x28x1, b: 28x28x1) {\n  concat(a, b) -> gap -> dense(2)\n}'), []);

  // The engines check the data set they are given, whatever the section says.
  const siamese = analyze(readFileSync('examples/siamese_mnist.skipnet', 'utf8')).models[0];
  const mnist = loadBuiltinDataset('mnist');
  const twoInputs = 'siamese_mnist has 2 inputs (a, b) but mnist gives one image per example: train it on a pair set (dataset: mnist_pairs), whose two images go to a and b.';
  assert.throws(() => new TrainingEngine({ graph: siamese, dataset: mnist, nextFrame: immediate, onEvent: () => undefined }), { name: 'TrainError', message: twoInputs });
  const oneInput = analyze('model one(28x28x1) {\n  conv(4, 3) -> gap -> dense(2)\n}').models[0];
  assert.throws(() => checkDataFits(oneInput, pairDataset(mnist, 1)), {
    name: 'TrainError',
    message: 'mnist_pairs gives two images per example (1 = same class, 0 = different), bound to two inputs in declaration order, but one has 1 input (input): declare two image inputs, e.g. model one(a: 28x28x1, b: 28x28x1).',
  });
  const unequal = analyze('model uneven(a: 28x28x1, b: 32x32x1) {\n  x: a -> gap\n  y: b -> gap\n  concat(x, y) -> dense(2)\n}').models[0];
  assert.throws(() => checkDataFits(unequal, pairDataset(mnist, 1)), { name: 'TrainError', message: "mnist_pairs feeds both images the same way, so uneven's inputs a and b must have one shape, not 28×28×1 and 32×32×1." });
  // The PyTorch engine refuses before starting Python: the data file is MNIST's own, read as single images.
  const text = readFileSync('examples/siamese_mnist.skipnet', 'utf8').replace('dataset: mnist_pairs', 'dataset: mnist');
  const analysis = analyze(text);
  await assert.rejects(PyTorchTraining.start({ analysis, graph: analysis.models[0], datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, onEvent: () => undefined, maxSteps: 1 }), { name: 'TrainError', message: twoInputs });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative as relativePath, resolve } from 'node:path';
import { test } from 'node:test';
import { runCliAsync, type CliIo } from '../../src/cli/main';
import { analyze } from '../../src/core';
import { initialParameters } from '../../src/train/init';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { parseRunnerLine } from '../../src/train/pytorch/protocol';
import { featureOrders, modulePath, torchTensors } from '../../src/train/pytorch/weights';
import { epochOrder, SeededRandom } from '../../src/train/rng';
import { spreadIndices } from '../../src/train/schedule';
import { ROOT } from '../support/examples';
import { compareLayerStatistics, firstProgress, layerStatistics, PYTHON, relative, runBothEngines } from './torchHelpers';
import { graphOf } from './trainHelpers';

// The PyTorch engine against the TensorFlow.js engine: same data order, same weights in PyTorch's layouts, and
// one SGD step from the same weights on the same batch giving the same loss and per-layer norms.

test('runner lines are checked field by field: each event type parses, anything else is a message', () => {
  const good = [
    '{"type":"started","backend":"pytorch 2.3.1 · cuda (NVIDIA H200)","params":19890,"totalSteps":10,"batch":8,"notes":[],"replicas":1}',
    '{"type":"progress","epoch":1,"epochs":1,"step":1,"totalSteps":10,"loss":2.3,"accuracy":0.125,"imagesPerSecond":800.5,"etaSeconds":0.1}',
    '{"type":"statistics","statistics":{"step":1,"layers":[{"node":"conv1","kind":"conv","activationMean":-0.1,"activationStd":1.2,"weightNorm":3,"gradNorm":0.5,"updateRatio":0.01}],"merges":[],"reuse":[]}}',
    '{"type":"evaluation","epoch":1,"step":4,"loss":2.1,"accuracy":0.5,"samples":256,"full":false}',
    '{"type":"paused","step":3}',
    '{"type":"resumed","step":3}',
    '{"type":"finished","result":{"reason":"non-finite","steps":2,"loss":null,"message":"Training stopped at step 2: the loss is NaN."}}',
    '{"type":"error","message":"PyTorch cannot be imported"}',
  ];
  assert.deepEqual(
    good.map((line) => {
      const parsed = parseRunnerLine(line);
      return parsed.ok ? parsed.event.type : parsed.error;
    }),
    ['started', 'progress', 'statistics', 'evaluation', 'paused', 'resumed', 'finished', 'error'],
  );
  const bad: [string, string][] = [
    ['[1, 2]', 'not a JSON object: [1, 2]'],
    ['{"type":"hello"}', 'unknown event type "hello"'],
    ['{"step":3}', 'unknown event type undefined'],
    ['{"type":"paused"}', 'paused step: missing'],
    ['{"type":"paused","step":-1}', 'paused step: below 0'],
    ['{"type":"paused","step":"3"}', 'paused step: expected a finite number'],
    ['{"type":"paused","step":3,"extra":true}', 'paused extra: unexpected field'],
    ['{"type":"progress","epoch":1,"epochs":1,"step":1,"totalSteps":10,"loss":null,"accuracy":0.1,"imagesPerSecond":1,"etaSeconds":1}', 'progress loss: expected a finite number'],
    ['{"type":"progress","epoch":1,"epochs":1,"step":1,"totalSteps":10,"loss":1,"accuracy":1.5,"imagesPerSecond":1,"etaSeconds":1}', 'progress accuracy: above 1'],
    ['{"type":"statistics","statistics":{"step":1,"layers":[{"node":"conv1","kind":"conv","activationMean":0,"activationStd":1,"gradNorm":-2}],"merges":[],"reuse":[]}}', 'statistics statistics.layers[0].gradNorm: below 0'],
    ['{"type":"finished","result":{"reason":"crashed","steps":1,"loss":1}}', 'finished result.reason: expected one of "done", "stopped", "non-finite"'],
  ];
  for (const [line, error] of bad) assert.deepEqual(parseRunnerLine(line), { ok: false, error }, line);
  const notJson = parseRunnerLine('Segmentation fault');
  assert.ok(!notJson.ok && /^not JSON \(.+\): Segmentation fault$/.test(notJson.error), JSON.stringify(notJson));
});

test('the runner draws the same data order as the TensorFlow.js engine for a seed, across epoch ends', () => {
  const mnist = loadBuiltinDataset('mnist');
  const file = builtinDatasetFile('mnist');
  // 8,000 training images in batches of 3,000: two batches an epoch, so the third comes from epoch 2.
  const seeds = [0, 1, 42, 4294967295];
  const script = [
    'import json, sys',
    'sys.path.insert(0, "python")',
    'from skipnet_data import first_batches, spread_indices',
    `print(json.dumps({"batches": [first_batches(${JSON.stringify(file)}, seed, 3000, 3) for seed in ${JSON.stringify(seeds)}], "spread": [spread_indices(2000, 256), spread_indices(7, 3), spread_indices(5, 9)]}))`,
  ].join('\n');
  const theirs = JSON.parse(execFileSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } })) as { batches: number[][][]; spread: number[][] };
  seeds.forEach((seed, k) => {
    const random = new SeededRandom(seed);
    const ours: number[][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const order = epochOrder(random, new Int32Array(mnist.train.count));
      for (let s = 0; s < 2; s++) ours.push(Array.from(order.subarray(s * 3000, (s + 1) * 3000), (i) => mnist.train.labels[i]));
    }
    assert.deepEqual(theirs.batches[k], ours.slice(0, 3), `seed ${seed}`);
  });
  assert.deepEqual(theirs.spread, [spreadIndices(2000, 256), spreadIndices(7, 3), spreadIndices(5, 9)].map((a) => Array.from(a)));
});

test('weights go to the exported module in PyTorch layouts; a flatten reorders the features after it', () => {
  const graph = graphOf(`model m(2x2x3) {
  stage: conv(2, 1x2, pad=0x1)
  flatten -> bn -> dense(2)
}`);
  assert.equal(modulePath('layer2/basic1/conv1'), 'layer2.basic1.conv1');
  assert.equal(modulePath('stage/forward'), 'stage.forward_', 'nn.Module attribute names take a _ as in the export');
  // PyTorch's feature j = c·H·W + h·W + w is SkipNet's (h·W + w)·C + c (here H = 2, W = 3, C = 2).
  assert.deepEqual(Array.from(featureOrders(graph).orders.get('flatten1')!), [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
  const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  const ramp = (shape: number[]): number[] => Array.from({ length: count(shape) }, (_, i) => i);
  const tensors = torchTensors(graph, [
    { name: 'stage/kernel', shape: [1, 2, 3, 2], values: ramp([1, 2, 3, 2]) },
    { name: 'bn1/gamma', shape: [12], values: ramp([12]) },
    { name: 'dense1/kernel', shape: [12, 2], values: ramp([12, 2]) },
  ]);
  assert.deepEqual(
    tensors.map((t) => [t.key, t.shape, Array.from(t.values)]),
    [
      // [kh, kw, cin, cout] → [cout, cin, kh, kw]
      ['stage.weight', [2, 3, 1, 2], [0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11]],
      ['bn1.weight', [12], [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]],
      // [in, out] → [out, in], inputs in PyTorch's order
      ['dense1.weight', [2, 12], [0, 4, 8, 12, 16, 20, 2, 6, 10, 14, 18, 22, 1, 5, 9, 13, 17, 21, 3, 7, 11, 15, 19, 23]],
    ],
  );
  assert.throws(() => torchTensors(graph, [{ name: 'dense1/gamma', shape: [2], values: [1, 1] }]), /No parameter named dense1\/gamma in model m\./);
  assert.throws(() => torchTensors(graph, [{ name: 'bn1/beta', shape: [12], values: [1] }]), /bn1\/beta has 12 values, not 1\./);
});

// Smooth activations where maps are large: a relu mask (or a max-pool winner) of a value within float32 rounding
// of its threshold may differ between any two float32 implementations, and one flipped element of a 28×28 map
// moves a gradient norm by more than 1e-4 (PyTorch 1.13 on two threads flips one of 25,088 relu inputs of this
// batch). The relu sits on the small 7×7 maps, where this batch has no such value.
const PARITY = `model parity(28x28x1) {
  conv(4, 3, pad=1) -> bn -> gelu
  stem: maxpool(2)
  side: stem -> conv(4, 3, pad=1, bias=false) -> bn -> tanh
  add(side, stem)
  concat(_, stem) -> conv(6, 3, stride=2, pad=1) -> relu
  flatten -> bn -> dense(10)
}`;

test('one SGD step from the same weights on the same batch: loss and per-layer norms equal the TensorFlow.js engine to 1e-4', async () => {
  const analysis = analyze(PARITY);
  const graph = analysis.models[0];
  // Seeded weights, with every bias, bn parameter and running statistic made non-trivial so that each matters.
  const random = new SeededRandom(9);
  const weights: Record<string, number[]> = {};
  for (const p of initialParameters(graph, 5)) weights[p.name] = Array.from(p.values, (v) => (p.role === 'gamma' ? 1 + 0.3 * random.normal() : p.role === 'kernel' ? v : 0.2 * random.normal()));
  for (const node of graph.nodes.filter((n) => n.kind === 'bn')) {
    const channels = node.shape!.at(-1)!;
    weights[`${node.id}/running_mean`] = Array.from({ length: channels }, () => 0.1 * random.normal());
    weights[`${node.id}/running_var`] = Array.from({ length: channels }, () => 0.5 + random.next());
  }
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0.05, seed: 3 }, maxSteps: 1, statsInterval: 1, evalSamples: 64, evalsPerEpoch: 1, initialWeights: weights };
  const both = await runBothEngines({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), dataset: loadBuiltinDataset('mnist'), settings });
  const [torchLog, tfLog, torchResult, tfResult] = [both.torch.log, both.tfjs.log, both.torch.result, both.tfjs.result];
  assert.deepEqual(torchLog.trace, ['started', 'progress:1', 'statistics:1', 'evaluation:1:full:64', 'finished:done:1']);
  assert.deepEqual(torchLog.trace, tfLog.trace);

  const [ours, theirs] = [firstProgress(torchLog), firstProgress(tfLog)];
  assert.ok(relative(ours.loss, theirs.loss) < 1e-4, `loss: PyTorch ${ours.loss}, tfjs ${theirs.loss}`);
  assert.equal(ours.accuracy, theirs.accuracy);

  const [torchLayers, tfLayers] = [layerStatistics(torchLog), layerStatistics(tfLog)];
  // Every layer, the merges included (expressions in forward(), read from their consumers' hooks).
  assert.deepEqual([...torchLayers.keys()], [...tfLayers.keys()]);
  const { mismatches, compared } = compareLayerStatistics(torchLayers, tfLayers, ['weightNorm', 'gradNorm', 'updateRatio', 'activationStd', 'zeroFraction']);
  assert.deepEqual(mismatches, []);
  // weight, gradient and update norms of 7 parameterised layers, 13 activation spreads and the relu's zero fraction.
  assert.equal(compared, 7 * 3 + 13 + 1);

  // The held-out pass after the step: running statistics updated alike, same 64 spread images.
  const [a, b] = [torchResult.evaluation!, tfResult.evaluation!];
  assert.ok(relative(a.loss, b.loss) < 1e-4 && a.accuracy === b.accuracy && a.samples === 64, `PyTorch ${JSON.stringify(a)}, tfjs ${JSON.stringify(b)}`);
});

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: (p) => readFileSync(p, 'utf8'), writeFile: () => assert.fail('train writes no files') };
}

test('skipnet train --engine pytorch prints the TensorFlow.js CLI lines; wrong choices are usage errors', async () => {
  let io = capture();
  const code = await runCliAsync(['train', 'examples/mnist_resnet.skipnet', '--engine', 'pytorch', '--python', PYTHON, '--steps', '3', '--batch', '8', '--eval-samples', '16'], io);
  assert.equal(code, 0, io.errors.join('\n'));
  assert.match(io.lines[0], /^backend pytorch 1\.13\S* · cpu · \d+ threads?, 19,890 parameters, 3 steps of batch 8$/);
  assert.match(io.lines[1], /^epoch 1\/1 step 1\/3 loss \d+\.\d{4} acc \d\.\d{3} [\d.]+ img\/s ETA \d+s$/);
  assert.match(io.lines.at(-2)!, /^held-out after epoch 1: loss \d+\.\d{4} accuracy \d+\.\d\d% \(16 images\)$/);
  assert.match(io.lines.at(-1)!, /^final held-out accuracy \d+\.\d\d% after 3 steps \(pytorch 1\.13\S* · cpu · \d+ threads?\)$/);
  for (const [args, message] of [
    [['--engine', 'jax'], /--engine must be browser \(TensorFlow\.js\) or pytorch, not 'jax'/],
    [['--engine', 'pytorch', '--backend', 'wasm'], /--backend chooses a TensorFlow\.js backend; with --engine pytorch use --device/],
    [['--python', PYTHON], /--python needs --engine pytorch/],
    [['--engine', 'pytorch', '--device', 'tpu'], /--device must be auto, cpu, cuda or mps, not 'tpu'/],
  ] as const) {
    io = capture();
    assert.equal(await runCliAsync(['train', 'examples/mnist_resnet.skipnet', ...args], io), 2);
    assert.match(io.errors[0], message);
  }
  io = capture();
  assert.equal(await runCliAsync(['train', 'examples/mnist_resnet.skipnet', '--engine', 'pytorch', '--python', '/nonexistent/python3'], io), 2);
  assert.equal(io.errors[0].split('\n').slice(0, 2).join('\n'), 'skipnet: Training with PyTorch needs a Python with PyTorch 1.13 or newer. Tried:\n  /nonexistent/python3: not found');
});

test('the Node side loads neither vscode nor TensorFlow.js: every import it reaches is relative, a node: built-in or the pickle reader', () => {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Type-only imports are erased by the build: they load nothing.
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm)) {
      const [, , typeOnly, spec] = m;
      if (typeOnly) continue;
      if (spec.startsWith('node:')) continue;
      // A pure-JS reader of the CIFAR python pickles: no vscode, no tfjs, nothing native.
      if (spec === 'pickleparser') continue;
      if (!spec.startsWith('.')) outside.push(`${relativePath(ROOT, file)} imports '${spec}'`);
      else visit([`${resolve(dirname(file), spec)}.ts`, join(resolve(dirname(file), spec), 'index.ts')].find((f) => existsSync(f))!);
    }
  };
  visit(join(ROOT, 'src', 'train', 'pytorch', 'index.ts'));
  assert.deepEqual(outside, []);
  assert.ok(seen.has(join(ROOT, 'src', 'export', 'pytorch.ts')) && seen.size >= 20, `${seen.size} files reached`);
  assert.ok(![...seen].some((f) => /src\/train\/(model|engine|data|ops|stats)\.ts$/.test(f)), 'no tfjs module of src/train');
});

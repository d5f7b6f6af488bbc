import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, exactRatio, findings, immediateDominators, stageWidths, withoutSkipConnections } from '../../src/core';
import { runFindings } from '../../src/core/findings';
import { readExample } from '../support/examples';

const resnet20 = analyze(readExample('resnet20.skipnet')).models[0];
const densenet40 = analyze(readExample('densenet40.skipnet')).models[0];

describe('findings in words', () => {
  it('ResNet-20: width per stage, depth, paths, parameters, MACs and memory', () => {
    // Parameters by hand: convs 432 (stem) + 6·2,304 + (4,608 + 5·9,216) + (18,432 + 5·36,864) = 267,696;
    // dense 64·10 + 10 = 650; 19 batch norms 2·(7·16 + 6·32 + 6·64) = 1,376. The costliest convs do
    // 32·32·16·9·16 = 2,359,296 MACs: the 6 of layer1 and the 5 unstrided of layer2 and of layer3.
    const list = findings(resnet20);
    assert.deepEqual(
      list.map((f) => f.text),
      [
        'In resnet20 each add keeps the width: 16 → 16 in layer1 (3 adds), 16 → 32 in layer2 (3 adds), 32 → 64 in layer3 (3 adds).',
        "resnet20's longest path has 20 weighted layers (19 conv, 1 dense); the shortest has 2: conv1 → dense1.",
        '512 paths; at least half (336, 65.6%) are 8–12 weighted layers long; the longest, 20 layers, is 1 path of 512; the shortest has 2 layers. Mean length 11, median 11.',
        '269,722 trainable parameters: 267,696 in 19 conv layers, 650 in 1 dense layer, 1,376 in 19 batch norms; the largest layer, layer3/basic1/conv2 and 4 more of the same size, holds 36,864 (13.7%).',
        '40,551,040 multiply-accumulates per sample (40.55 M); the costliest layer, layer1/basic1/conv1 and 15 more of the same cost, does 2,359,296 (5.8%).',
        'Layer outputs take 2.82 MiB per sample; autograd keeps 1.45 MiB of them for the backward pass; the largest output, conv1 and 26 more of the same size, is 64.0 KiB.',
        'A PyTorch training step at batch 32 (momentum) needs 49.5 MiB: weights, gradients, optimizer state and what autograd keeps for the backward pass (93.8% of it activations). The browser engine (TensorFlow.js) needs about 467 MiB: its tape keeps every intermediate of the step.',
      ],
    );
    const width = list.find((f) => f.topic === 'width')!;
    assert.deepEqual(width.nodes, [['layer1/basic1/add1', 'layer1/basic2/add1', 'layer1/basic3/add1', 'layer2/basic1/add1', 'layer2/basic2/add1', 'layer2/basic3/add1', 'layer3/basic1/add1', 'layer3/basic2/add1', 'layer3/basic3/add1']]);
    assert.deepEqual(width.values, { 'layer1.in': '16', 'layer1.out': '16', 'layer2.in': '16', 'layer2.out': '32', 'layer3.in': '32', 'layer3.out': '64' });
    assert.deepEqual(list.find((f) => f.topic === 'parameters')!.nodes, [['layer3/basic1/conv2', 'layer3/basic2/conv1', 'layer3/basic2/conv2', 'layer3/basic3/conv1', 'layer3/basic3/conv2']]);
    const depth = list.find((f) => f.topic === 'depth')!;
    assert.equal(depth.nodes[0][0], 'input');
    assert.equal(depth.nodes[0].at(-1), 'dense1');
    assert.equal(depth.nodes[0].filter((id) => id.endsWith('/shortcut')).length, 9, 'the shortest path takes every shortcut');
    assert.deepEqual(list.find((f) => f.topic === 'training-memory')!.values, { batch: '32', trainingBytes: '51883728', activationBytes: '48641408', browserBytes: '489606864' });
  });

  it('DenseNet-40: each concat adds k = 12 maps, 16 → 160 in the first block; memory-efficient figure beside the naive one', () => {
    // 16 + 12·12 = 160; the transitions keep the width (1×1 conv to `channels`), so 160 + 144 = 304, 304 + 144 = 448.
    const list = findings(densenet40);
    assert.deepEqual(
      list.map((f) => f.text),
      [
        'In densenet40 each concat grows the width: 16 → 160 in block1 (12 concats, +12 each), 160 → 304 in block2 (12 concats, +12 each), 304 → 448 in block3 (12 concats, +12 each).',
        "densenet40's longest path has 40 weighted layers (39 conv, 1 dense); the shortest has 4: conv1 → transition1/conv1 → transition2/conv1 → dense1.",
        '68,719,476,736 paths; at least half (40,885,872,720, 59.5%) are 20–24 weighted layers long; the longest, 40 layers, is 1 path of 68,719,476,736; the shortest has 4 layers. Mean length 22, median 22.',
        '1,019,722 trainable parameters: 997,136 in 39 conv layers, 4,490 in 1 dense layer, 18,096 in 39 batch norms; the largest layer, transition2/conv1, holds 92,416 (9.1%).',
        '264,812,928 multiply-accumulates per sample (264.81 M); the costliest layer, transition1/conv1, does 26,214,400 (9.9%).',
        'Layer outputs take 27.5 MiB per sample; autograd keeps 18.2 MiB of them for the backward pass; the largest output, block1/layer12/concat1 and 3 more of the same size, is 640 KiB.',
        'A PyTorch training step at batch 32 (momentum) needs 593 MiB: weights, gradients, optimizer state and what autograd keeps for the backward pass (98.0% of it activations). The browser engine (TensorFlow.js) needs about 5.68 GiB: its tape keeps every intermediate of the step.',
        'With shared buffers for concatenations and batch norms, recomputed in the backward pass (Pleiss et al. 2017), densenet40 keeps 3.22 MiB per sample instead of 18.2 MiB (0.18×); a training step at batch 32 needs 115 MiB instead of 593 MiB.',
      ],
    );
    const efficient = list.find((f) => f.topic === 'efficient-memory')!;
    assert.deepEqual(efficient.values, { savedBytes: '19031808', efficientBytes: '3372800', trainingBytes: '621399600', efficientTrainingBytes: '120311344' });
    // The step: 621,399,600 − 32·19,031,808 + 32·3,372,800 (the per-step batch statistics are the same).
    assert.equal(621_399_600 - 32 * 19_031_808 + 32 * 3_372_800, 120_311_344);
    assert.equal(efficient.nodes[0].length, 36, 'the 36 concatenations');
  });

  it('ResNet-20 against DenseNet-40: ratios from the exact counts', () => {
    const list = findings(resnet20, densenet40);
    assert.deepEqual(
      list.map((f) => f.text).slice(2, 8),
      [
        'densenet40 has 3.78× the trainable parameters of resnet20: 1,019,722 against 269,722.',
        'densenet40 has 6.53× the multiply-accumulates per sample of resnet20: 264,812,928 (264.81 M) against 40,551,040 (40.55 M).',
        'densenet40 has 9.73× the activation memory per sample of resnet20: 27.5 MiB against 2.82 MiB.',
        'densenet40 has 11.98× the training memory at batch 32 of resnet20: 593 MiB against 49.5 MiB.',
        'Longest path: 20 weighted layers in resnet20, 40 in densenet40; shortest: 2 and 4.',
        'resnet20 has 512 paths (2–20 layers long, mean 11), densenet40 68,719,476,736 paths (4–40 layers long, mean 22).',
      ],
    );
    assert.equal(list.length, 9, 'two width sentences, six comparisons, the memory-efficient DenseNet');
    assert.deepEqual(list[2].values, { a: '269722', b: '1019722', ratio: '3.78' });
    assert.equal(exactRatio(269_722n, 1_019_722n), '3.78', '1,019,722 / 269,722 = 3.7806…');
    assert.deepEqual(list[1].nodes[0], [], 'the second width sentence speaks of the second model only');
    assert.equal(list[1].nodes[1].length, 36);
    assert.equal(list[8].topic, 'efficient-memory');
    assert.deepEqual(list[8].nodes[0], []);
  });

  it('a model against its no-skip ablation: what removing the skips changes', () => {
    const plain = withoutSkipConnections(readExample('resnet20.skipnet')).models[0];
    const list = findings(resnet20, plain);
    assert.deepEqual(
      list.map((f) => f.text),
      [
        'In resnet20 each add keeps the width: 16 → 16 in layer1 (3 adds), 16 → 32 in layer2 (3 adds), 32 → 64 in layer3 (3 adds).',
        'resnet20 without skips has no add or concat: each layer sets the width, 3 → 64 channels at the last feature map (layer3/basic3/relu2).',
        'resnet20 and resnet20 without skips have the same trainable parameters: 269,722.',
        'resnet20 and resnet20 without skips have the same multiply-accumulates per sample: 40,551,040 (40.55 M).',
        'resnet20 without skips has 0.77× the activation memory per sample of resnet20: 2.17 MiB against 2.82 MiB.',
        'resnet20 and resnet20 without skips have the same training memory at batch 32: 49.5 MiB.',
        'Longest path: 20 weighted layers in resnet20, 20 in resnet20 without skips; shortest: 2 and 20.',
        'resnet20 has 512 paths (2–20 layers long, mean 11), resnet20 without skips 1 path (all 20 layers long).',
        'Removing the skip connections turns 9 adds into identities, leaves the parameters as they are and leaves 1 path of 512.',
      ],
    );
    const skips = list.at(-1)!;
    assert.deepEqual(skips.nodes[0], skips.nodes[1], 'the same ids name the adds and the identities that replace them');
    assert.equal(skips.nodes[0].length, 9);
    // DenseNet's ablation keeps only each layer's k new maps: far fewer parameters.
    const denseList = findings(densenet40, withoutSkipConnections(readExample('densenet40.skipnet')).models[0], { labels: ['DenseNet-40', 'ablation'] });
    assert.equal(denseList.at(-1)!.text, 'Removing the skip connections turns 36 concats into identities, changes the parameters by -970,840 and leaves 1 path of 68,719,476,736.');
    assert.equal(denseList[2].text, 'ablation has 0.05× the trainable parameters of DenseNet-40: 48,882 against 1,019,722.');
  });

  it('a model without merges, a mixed model, and stage widths from the dominator of the first merge', () => {
    const plain = analyze(readExample('plain20.skipnet')).models[0];
    assert.equal(findings(plain)[0].text, 'plain20 has no add or concat: each layer sets the width, 3 → 64 channels at the last feature map (layer3/plain3/relu2).');
    assert.equal(findings(plain)[1].text, "plain20's only path has 20 weighted layers (19 conv, 1 dense).");
    const mixed = analyze(
      'block res() {\n  r: conv(channels, 3, pad=1)\n  add(r, in)\n}\nblock dl(k) {\n  conv(k, 3, pad=1)\n  concat(in, _)\n}\nmodel m(8x8x3) {\n  conv(4, 3, pad=1)\n  res() -> dl(2) -> dl(3)\n  gap -> dense(2)\n}\n',
    ).models[0];
    assert.equal(findings(mixed)[0].text, 'In m each add keeps the width and each concat grows it: 4 → 9 at 8×8 (1 add, 2 concats, +2 to +3).');
    assert.deepEqual(stageWidths(mixed).map((s) => [s.label, s.entry, s.input, s.output, s.growth]), [['8×8', 'conv1', 4, 9, [2, 3]]]);
    assert.equal(immediateDominators(resnet20).get('layer2/basic1/add1'), 'layer1/basic3/relu2', 'where the residual and the shortcut split');
  });
});

it('a ratio of 0 / 0 is no ratio: "n/a (0 / 0)", not "1.00"', () => {
  assert.equal(exactRatio(0n, 0n), 'n/a (0 / 0)');
  assert.equal(exactRatio(0n, 5n), '∞');
  assert.equal(exactRatio(4n, 4n), '1.00');
});

it('run findings: accuracy per million parameters and the first/last gradient ratio, by hand', () => {
  const result = runFindings([
    { label: 'A', params: 250_000n, heldOutAccuracy: 0.9, gradients: [{ layer: 'c1', depth: 1, norm: 0.002 }, { layer: 'c2', depth: 2, norm: 0.01 }, { layer: 'fc', depth: 3, norm: 0.04 }] },
    { label: 'B', params: 1_000_000n, heldOutAccuracy: 0.92, gradients: [{ layer: 'd1', depth: 1, norm: 0.5 }, { layer: 'fc', depth: 2, norm: 0 }] },
  ]);
  assert.deepEqual(
    result.map((f) => f.text),
    [
      // 90 points / 0.25 million = 360; 92 / 1 = 92; 92 / 360 = 0.2555… → 0.26.
      'A reaches 90.0% held-out accuracy with 250,000 parameters: 360 percentage points per million parameters.',
      'B reaches 92.0% held-out accuracy with 1,000,000 parameters: 92 percentage points per million parameters.',
      'Per parameter, B earns 0.26× the held-out accuracy of A.',
      // 0.002 / 0.04 = 0.05.
      'In A the gradient norm at the first layer (c1) is 0.05× that at the last (fc): 0.002 against 0.04.',
      "In B the gradient norm at the first layer (d1) relative to the last (fc) is n/a (the last layer's gradient is 0): 0.5 against 0.",
    ],
  );
  assert.deepEqual(result[3].nodes, [['c1', 'fc'], []]);
  assert.deepEqual(result[4].nodes, [[], ['d1', 'fc']]);
  assert.deepEqual(runFindings([{ label: 'A', params: 10n, heldOutAccuracy: null, gradients: [] }]), []);
});

describe('several inputs', () => {
  it('dominators and findings end on a Siamese pair: branches from two inputs meet at no node, every example answers', () => {
    const text = 'model pair(a: 8x8x1, b: 8x8x1) {\n  fa: a -> conv(4, 3, pad=1)\n  fb: b -> conv(4, 3, pad=1)\n  j: concat(fa, fb)\n  k: conv(4, 3, pad=1)\n  s: add(k, fa)\n}';
    const analysis = analyze(text);
    assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    const model = analysis.models[0];
    const idom = immediateDominators(model);
    assert.equal(idom.get('fa'), 'a');
    assert.equal(idom.get('fb'), 'b');
    assert.equal(idom.has('j'), false, 'a concat of both inputs has no node dominating it');
    assert.equal(idom.get('k'), 'j');
    assert.equal(idom.has('s'), false);
    // The width finding falls back to the first merge's first input.
    assert.deepEqual(stageWidths(model).map((s) => [s.entry, s.input, s.output]), [['fa', 4, 4]]);
    assert.ok(findings(model).length > 0);
    const siamese = analyze(readExample('siamese_mnist.skipnet')).models[0];
    assert.ok(findings(siamese).some((f) => f.topic === 'paths'));
  });
});

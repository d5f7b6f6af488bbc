import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, centralRange, findings, describePaths, formatShare, memoryEfficientSaved, pathCounts, pathStatistics, savedForBackward, type ModelGraph } from '../../src/core';
import { example } from './helpers';

function model(text: string): ModelGraph {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), []);
  return analysis.models[0];
}

/** "length:count" pairs, shortest first. */
function distribution(graph: ModelGraph): string[] {
  return pathCounts(graph).lengths.map((l) => `${l.length}:${l.count}`);
}

const DENSE_LAYER = 'block dl(k) {\n  bn -> relu -> conv(k, 3, pad=1, bias=false)\n  concat(in, _)\n}\n';

describe('paths (Veit et al. 2016)', () => {
  it('ResNet-20 has 2^9 = 512 paths, lengths 2, 4, …, 20 counted C(9, j)', () => {
    // Weighted layers: the stem conv, 9 basic blocks of 2 convs, the dense: 20. Every path takes the stem and
    // the dense; each block adds its 2 convs or, through its option-A shortcut (zeropad: no weights), none.
    // So the count of length 2 + 2j is C(9, j), and the shortest path, stem → shortcuts → dense, is 2 long.
    const stats = pathCounts(example('resnet20.skipnet').analysis.models[0]);
    assert.deepEqual(
      stats.lengths.map((l) => [l.length, l.count]),
      [[2, 1n], [4, 9n], [6, 36n], [8, 84n], [10, 126n], [12, 126n], [14, 84n], [16, 36n], [18, 9n], [20, 1n]],
    );
    assert.equal(stats.total, 512n);
    assert.equal(stats.shortest, 2);
    assert.equal(stats.longest, 20);
    assert.equal(stats.mean, 11);
    assert.equal(stats.median, 11, 'the 256th path is 10 long, the 257th 12');
    // 10–12 holds 252 of 512 (< 50%); 8–12 and 10–14 hold 336 each, the tie going to the shorter lengths.
    assert.deepEqual(stats.ranges, [
      { percent: 50, from: 8, to: 12, count: 336n },
      { percent: 95, from: 6, to: 16, count: 492n },
    ]);
    const weighted = (ids: string[]): string[] => ids.filter((id) => /conv|dense/.test(id));
    assert.deepEqual(weighted(stats.shortestPath), ['conv1', 'dense1']);
    assert.ok(stats.shortestPath.includes('layer2/basic1/shortcut'));
    assert.equal(weighted(stats.longestPath).length, 20);
    assert.equal(describePaths(stats), '512 paths; at least half (336, 65.6%) are 8–12 weighted layers long; the longest, 20 layers, is 1 path of 512; the shortest has 2 layers.');
  });

  it('Plain-20 has one path of 20 weighted layers', () => {
    const stats = pathCounts(example('plain20.skipnet').analysis.models[0]);
    assert.deepEqual(stats.lengths, [{ length: 20, count: 1n }]);
    assert.equal(stats.median, 20);
    assert.equal(describePaths(stats), 'One path, 20 weighted layers long.');
  });

  it('a 3-layer dense block: each layer is taken or skipped through the concat, 2^3 = 8 paths', () => {
    // stem conv → 3 × (bn → relu → conv, concat(in, _)) → gap → dense: 2 + j weighted layers for the j
    // layers whose conv a path goes through, C(3, j) ways.
    const graph = model(`${DENSE_LAYER}model m(8x8x3) {\n  conv(4, 3, pad=1)\n  repeat 3 dl(2)\n  gap -> dense(10)\n}\n`);
    assert.deepEqual(distribution(graph), ['2:1', '3:3', '4:3', '5:1']);
    assert.equal(pathCounts(graph).mean, 3.5);
    assert.equal(pathCounts(graph).median, 3.5, 'the 4th path is 3 long, the 5th 4');
  });

  it('DenseNet-40: 3 blocks of 12 layers make 2^36 paths from 4 to 40 layers, C(36, j) of length 4 + j', () => {
    const stats = pathCounts(example('densenet40.skipnet').analysis.models[0]);
    assert.equal(stats.total, 68_719_476_736n);
    assert.equal(stats.lengths.length, 37);
    assert.deepEqual(stats.lengths[0], { length: 4, count: 1n }, 'stem, two transitions and the dense');
    assert.deepEqual(stats.lengths[18], { length: 22, count: 9_075_135_300n }, 'C(36, 18)');
    assert.deepEqual(stats.lengths[36], { length: 40, count: 1n });
  });

  it('counts past 2^53 stay exact: DenseNet-121 has 2^58 paths, C(58, 29) of length 63', () => {
    const stats = pathCounts(example('densenet121.skipnet').analysis.models[0]);
    assert.equal(stats.total, 288_230_376_151_711_744n);
    assert.equal(stats.total, 2n ** 58n);
    assert.deepEqual(stats.lengths.find((l) => l.length === 63), { length: 63, count: 30_067_266_499_541_040n });
    assert.equal(formatShare(stats.lengths[0].count, stats.total), '3.47e-16%');
  });

  it('projection shortcuts, bottlenecks, a merge that reads one tensor twice, and dead layers', () => {
    // Option B: the shortcut is a 1×1 conv, so a block adds 2 (residual) or 1 (shortcut) layers.
    const option = model('block b() {\n  r: conv(8, 3, pad=1) -> conv(8, 3, pad=1)\n  s: in -> conv(8, 1)\n  add(r, s)\n}\nmodel m(8x8x3) {\n  conv(4, 3, pad=1)\n  b() -> b()\n  gap -> dense(2)\n}\n');
    // (z + z²)² between the stem and the dense: lengths 4, 5, 6 counted 1, 2, 1.
    assert.deepEqual(distribution(option), ['4:1', '5:2', '6:1']);
    // DenseNet-BC's bottleneck layer (1×1 then 3×3) is taken (2 layers) or skipped: (1 + z²)².
    const bottleneck = model('block bc(k) {\n  bn -> relu -> conv(4 * k, 1) -> bn -> relu -> conv(k, 3, pad=1)\n  concat(in, _)\n}\nmodel m(8x8x3) {\n  conv(4, 3, pad=1)\n  bc(2) -> bc(2)\n  gap -> dense(2)\n}\n');
    assert.deepEqual(distribution(bottleneck), ['2:1', '4:2', '6:1']);
    const twice = model('model m(8x8x3) {\n  a: conv(4, 3, pad=1)\n  add(a, a) -> gap -> dense(2)\n}\n');
    assert.deepEqual(distribution(twice), ['2:2'], 'add(a, a) joins two edges: two paths');
    const dead = analyze('model m(8x8x3) {\n  a: conv(4, 3, pad=1)\n  side: conv(4, 1)\n  a -> gap -> dense(2)\n}\n');
    assert.deepEqual(dead.diagnostics.map((d) => d.code), ['dead-layer']);
    assert.deepEqual(distribution(dead.models[0]), ['2:1'], 'a layer that never reaches the output is on no path');
  });

  it('central ranges, shares and an empty distribution', () => {
    const lengths = [{ length: 1, count: 1n }, { length: 2, count: 2n }, { length: 9, count: 1n }];
    assert.deepEqual(centralRange(lengths, 50), { percent: 50, from: 2, to: 2, count: 2n });
    assert.deepEqual(centralRange(lengths, 75), { percent: 75, from: 1, to: 2, count: 3n });
    assert.deepEqual(centralRange(lengths, 100), { percent: 100, from: 1, to: 9, count: 4n });
    assert.throws(() => centralRange(lengths, 0), /percent must be in \(0, 100\], not 0/);
    assert.throws(() => centralRange([], 50), /no paths/);
    assert.equal(pathStatistics(lengths).median, 2);
    assert.equal(pathStatistics(lengths).mean, 3.5);
    const none = pathStatistics([]);
    assert.equal(none.total, 0n);
    assert.deepEqual(none.ranges, []);
    assert.equal(describePaths(none), 'No path joins the input to the output.');
    assert.deepEqual(
      [formatShare(1n, 512n), formatShare(1n, 1024n), formatShare(1n, 3n), formatShare(0n, 5n), formatShare(999n, 1_000_000n), formatShare(1n, 10n ** 7n)],
      ['0.2%', '0.0977%', '33.3%', '0%', '0.0999%', '1.00e-5%'],
    );
  });
});

describe('memory-efficient DenseNet (Pleiss et al. 2017)', () => {
  it('DenseNet-40 keeps the feature maps each layer makes plus two shared buffers: 3,372,800 bytes per sample', () => {
    const graph = example('densenet40.skipnet').analysis.models[0];
    const efficient = memoryEfficientSaved(graph);
    // Stored (floats): the stem conv's output 32·32·16 and the 12 new maps per layer: block1 32·32·144,
    // block2 16·16·(160 + 144), block3 8·8·(304 + 144) with the transitions' pooled outputs as block inputs;
    // each transition's avgpool input (32·32·160, 16·16·304), the input image 32·32·3 (the stem conv keeps it)
    // and the dense layer's input 448: 515,520 floats.
    const floats = 32 * 32 * 16 + 32 * 32 * 144 + 16 * 16 * 304 + 8 * 8 * 448 + 32 * 32 * 160 + 16 * 16 * 304 + 32 * 32 * 3 + 448;
    assert.equal(floats, 515_520);
    assert.equal(efficient.stored, BigInt(floats * 4));
    // Both buffers hold the largest concatenation, block1's last (32·32·160), and its batch norm's output.
    assert.equal(efficient.concatBuffer, BigInt(32 * 32 * 160 * 4));
    assert.equal(efficient.normBuffer, BigInt(32 * 32 * 160 * 4));
    assert.equal(efficient.perSample, 3_372_800n);
    assert.equal(savedForBackward(graph).perSample, 19_031_808n, 'the naive figure, what PyTorch keeps');
    assert.equal(efficient.perStep, savedForBackward(graph).perStep);
    assert.ok(efficient.recomputed.includes('block1/layer1/relu1'), "the first layer's BN-ReLU reads the block input and is recomputed too");
    assert.ok(!efficient.recomputed.includes('transition1/conv1'));
  });

  it('a model without concatenations keeps exactly what PyTorch keeps', () => {
    const graph = example('resnet20.skipnet').analysis.models[0];
    const efficient = memoryEfficientSaved(graph);
    assert.deepEqual([efficient.perSample, efficient.concatBuffer, efficient.normBuffer, efficient.recomputed], [savedForBackward(graph).perSample, 0n, 0n, []]);
  });
});

describe('every layer with a weight matrix lengthens a path: patchify, attention and convtranspose as conv and dense', () => {
  it('vit_tiny: patchify, 4 blocks of (1 + z)(1 + z²) (attention, then the MLP\'s two dense layers), the head', () => {
    const graph = example('vit_tiny.skipnet').analysis.models[0];
    // z · (1 + z + z² + z³)^4 · z: 4^4 = 256 paths; the coefficients are the ways to write k as 4 parts of 0–3.
    assert.deepEqual(distribution(graph), ['2:1', '3:4', '4:10', '5:20', '6:31', '7:40', '8:44', '9:40', '10:31', '11:20', '12:10', '13:4', '14:1']);
    const stats = pathCounts(graph);
    assert.deepEqual([stats.total, stats.shortest, stats.longest, stats.mean, stats.median], [256n, 2, 14, 8, 8]);
    assert.deepEqual(
      stats.shortestPath.filter((id) => ['patchify', 'attention', 'dense'].includes(graph.nodeById.get(id)!.kind)),
      ['conv_proj', 'heads'],
    );
    const longest = stats.longestPath.map((id) => graph.nodeById.get(id)!.kind);
    assert.deepEqual(['patchify', 'attention', 'dense'].map((kind) => longest.filter((k) => k === kind).length), [1, 4, 9]);
  });

  it('a transposed convolution counts as a convolution', () => {
    assert.deepEqual(distribution(model('model u(8x8x1) {\n  conv(4, 3, pad=1) -> convtranspose(4, 2, stride=2) -> gap -> dense(10)\n}')), ['3:1']);
  });

  it('the depth finding names every kind on the longest path', () => {
    const graph = example('vit_tiny.skipnet').analysis.models[0];
    const depth = findings(graph).find((f) => f.topic === 'depth')!;
    assert.equal(depth.text, "vit_tiny's longest path has 14 weighted layers (9 dense, 1 patchify, 4 attention); the shortest has 2: conv_proj → heads.");
  });
});

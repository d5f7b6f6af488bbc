import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, describeProvenance, formatShape, type ModelGraph } from '../../src/core';
import { exampleNames, readExample } from '../support/examples';

/** Published totals (the papers' own implementations, torchvision 0.14 for the ImageNet models; the U-Net's spec in its file). */
const PUBLISHED_PARAMS: Record<string, [string, number]> = {
  'resnet20.skipnet': ['resnet20', 269_722],
  'resnet110.skipnet': ['resnet110', 1_727_962],
  'resnet18.skipnet': ['resnet18', 11_689_512],
  'resnet50.skipnet': ['resnet50', 25_557_032],
  'densenet40.skipnet': ['densenet40', 1_019_722],
  'densenet_bc100.skipnet': ['densenet_bc100', 769_162],
  'densenet121.skipnet': ['densenet121', 7_978_856],
  'plain20.skipnet': ['plain20', 269_722],
  'mobilenet_v2.skipnet': ['mobilenet_v2', 3_504_872],
  'resnext50_32x4d.skipnet': ['resnext50_32x4d', 25_028_904],
  'wide_resnet50_2.skipnet': ['wide_resnet50_2', 68_883_240],
  'googlenet.skipnet': ['googlenet', 6_624_904],
  'unet.skipnet': ['unet', 482_466],
  'vit_b_16.skipnet': ['vit_b_16', 86_567_656],
};

function model(file: string): ModelGraph {
  const analysis = analyze(readExample(file));
  assert.deepEqual(analysis.diagnostics, [], `${file} has no problems`);
  assert.equal(analysis.models.length, 1);
  return analysis.models[0];
}

describe('examples', () => {
  for (const [file, [name, params]] of Object.entries(PUBLISHED_PARAMS)) {
    it(`${name} has exactly ${params.toLocaleString('en-US')} trainable parameters`, () => {
      const graph = model(file);
      assert.equal(graph.name, name);
      assert.equal(graph.totals.params, BigInt(params));
      assert.equal(graph.complete, true);
    });
  }

  it('every example analyses without problems and ends in class scores (per pixel for the U-Net)', () => {
    for (const file of exampleNames()) {
      const analysis = analyze(readExample(file));
      assert.deepEqual(analysis.diagnostics.map((d) => d.message), [], file);
      for (const graph of analysis.models) {
        const output = graph.nodeById.get(graph.output)!;
        if (file === 'unet.skipnet' || file === 'unet_mnist.skipnet') {
          assert.equal(output.kind, 'conv');
          assert.equal(formatShape(output.shape), file === 'unet.skipnet' ? '64×64×2' : '32×32×11');
          continue;
        }
        assert.equal(output.kind, 'dense', `${file}: output is a dense layer`);
        if (file === 'siamese_mnist.skipnet') {
          // Two images in, one answer out: the same digit or not.
          assert.equal(formatShape(output.shape), '2');
          continue;
        }
        assert.ok([[10], [1000]].some((s) => formatShape(s) === formatShape(output.shape)), `${file}: ${formatShape(output.shape)}`);
      }
    }
  });

  it('MACs of the ImageNet ResNets match the published counts (conv + fc)', () => {
    assert.equal(model('resnet18.skipnet').totals.macs, 1_814_073_344n);
    assert.equal(model('resnet50.skipnet').totals.macs, 4_089_184_256n);
    assert.equal(model('resnet20.skipnet').totals.macs, 40_551_040n);
  });

  it('BN running statistics are buffers, not parameters', () => {
    const graph = model('resnet20.skipnet');
    const bnChannels = graph.nodes.filter((n) => n.kind === 'bn').reduce((sum, n) => sum + n.shape![2], 0);
    assert.equal(graph.totals.buffers, BigInt(2 * bnChannels));
    assert.equal(graph.totals.buffers, 1_376n);
  });

  it('ResNet-20 stages halve the size and double the channels; ids follow the block path', () => {
    const graph = model('resnet20.skipnet');
    const shape = (id: string): string => formatShape(graph.nodeById.get(id)?.shape);
    assert.equal(shape('layer1/basic3/relu2'), '32×32×16');
    assert.equal(shape('layer2/basic1/shortcut'), '16×16×32');
    assert.equal(shape('layer3/basic3/relu2'), '8×8×64');
    assert.equal(shape('gap1'), '64');
    const shortcut = graph.nodeById.get('layer2/basic1/shortcut')!;
    assert.equal(shortcut.kind, 'zeropad');
    assert.equal(shortcut.params, 0n);
    // Option A: 16 real channels in the middle, 8 zero channels each side.
    assert.deepEqual(shortcut.provenance, [
      { source: '', channels: 8 },
      { source: 'layer1/basic3/add1', channels: 16 },
      { source: '', channels: 8 },
    ]);
    const group = graph.groupById.get('layer2/basic1')!;
    assert.equal(group.block, 'basic');
    assert.equal(group.parent, 'layer2');
    assert.equal(group.params, BigInt(9 * 16 * 32 + 32 * 2 + 9 * 32 * 32 + 32 * 2));
  });

  it('DenseNet-121 feature maps carry their provenance through every concatenation', () => {
    const graph = model('densenet121.skipnet');
    const concat = graph.nodeById.get('denseblock1/denselayer6/concat1')!;
    assert.equal(formatShape(concat.shape), '56×56×256');
    assert.deepEqual(
      concat.provenance.map((s) => [s.source, s.channels]),
      [['conv0', 64], ...[1, 2, 3, 4, 5, 6].map((i) => [`denseblock1/denselayer${i}/conv2`, 32])],
    );
    assert.equal(
      describeProvenance(concat),
      '256 = conv0 64 + denselayer1/conv2 32 + denselayer2/conv2 32 + denselayer3/conv2 32 + denselayer4/conv2 32 + denselayer5/conv2 32 + denselayer6/conv2 32',
    );
    // Compression θ = 0.5 with floor(θ·channels): 256 → 128, 512 → 256, 1024 → 512.
    assert.equal(formatShape(graph.nodeById.get('transition1/avgpool1')?.shape), '28×28×128');
    assert.equal(formatShape(graph.nodeById.get('transition3/avgpool1')?.shape), '7×7×512');
    assert.equal(formatShape(graph.nodeById.get('norm5')?.shape), '7×7×1024');
    assert.equal(graph.nodeById.get('norm5')!.provenance.length, 17);
    assert.equal(graph.nodeById.get('classifier')!.params, BigInt(1024 * 1000 + 1000));
  });

  it('nodes keep their source range and block nesting', () => {
    const text = readExample('densenet121.skipnet');
    const graph = analyze(text).models[0];
    const conv = graph.nodeById.get('denseblock2/denselayer3/conv2')!;
    assert.equal(text.slice(conv.range.start, conv.range.end), 'conv(k, 3, pad=1, bias=false)');
    assert.equal(conv.group, 'denseblock2/denselayer3');
    const layer = graph.groupById.get('denseblock2/denselayer3')!;
    assert.equal(layer.parent, 'denseblock2');
    assert.equal(text.slice(layer.callRange.start, layer.callRange.end), 'denselayer(k)');
    const block = graph.groupById.get('denseblock2')!;
    assert.equal(text.slice(block.callRange.start, block.callRange.end), 'denseblock(12)');
    assert.equal(block.nodes.length, 0, 'a dense block holds layer groups, not nodes directly');
    assert.equal(graph.groups.filter((g) => g.parent === 'denseblock2').length, 12);
  });

  it('plain-20 is ResNet-20 without its adds', () => {
    const plain = model('plain20.skipnet');
    const residual = model('resnet20.skipnet');
    assert.equal(plain.nodes.filter((n) => n.kind === 'add').length, 0);
    assert.equal(residual.nodes.filter((n) => n.kind === 'add').length, 9);
    assert.equal(plain.totals.macs, residual.totals.macs);
  });

  it('small MNIST examples are small and carry a train section', () => {
    for (const file of ['mnist_resnet.skipnet', 'mnist_densenet.skipnet']) {
      const graph = model(file);
      assert.ok(graph.totals.params < 50_000, `${file}: ${graph.totals.params}`);
      assert.equal(graph.hasTrainSection, true);
      assert.deepEqual(graph.inputShape, [28, 28, 1]);
    }
    assert.deepEqual(model('mnist_densenet.skipnet').training.dataset, { kind: 'builtin', name: 'fashion-mnist' });
    assert.equal(model('mnist_resnet.skipnet').training.optimizer, 'adam');
  });
});

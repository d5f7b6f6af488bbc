import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { hoverAt, MAX_HOVER_ROWS } from '../../src/core/language';
import { describeGroup } from '../../src/drawing/describe';
import { buildGraphPayload } from '../../src/protocol';
import { example, offsetOf, slice } from './helpers';

test('hover on the concat of densenet121 denselayer lists the feature maps of all 58 instances', () => {
  const { text, analysis } = example('densenet121.skipnet');
  const hover = hoverAt(analysis, offsetOf(text, 'concat(in, _)', 2))!;
  assert.equal(slice(text, hover.range), 'concat');
  const rows = hover.markdown.split('\n').filter((line) => line.startsWith('| `'));
  assert.equal(rows.length, 58);
  assert.ok(hover.markdown.includes('58 instances; together 0 parameters, 0 MACs:'));
  assert.equal(rows[0], '| `denseblock1/denselayer1/concat1` | 56×56×96 | 96 = conv0 64 + denselayer1/conv2 32 | 0 | 0 | 1.15 MiB |');
  assert.equal(rows[1], '| `denseblock1/denselayer2/concat1` | 56×56×128 | 128 = conv0 64 + denselayer1/conv2 32 + denselayer2/conv2 32 | 0 | 0 | 1.53 MiB |');
  assert.equal(rows[6], '| `denseblock2/denselayer1/concat1` | 28×28×160 | 160 = transition1/conv1 128 + denselayer1/conv2 32 | 0 | 0 | 490 KiB |');
  assert.match(rows[57], /^\| `denseblock4\/denselayer16\/concat1` \| 7×7×1024 \| 1024 = transition3\/conv1 512 \+ .* \| 0 \| 0 \| 196 KiB \|$/);
});

test('hover on a block-call label shows the instance totals (denseblock1: 335,040 parameters)', () => {
  const { text, analysis } = example('densenet121.skipnet');
  const hover = hoverAt(analysis, offsetOf(text, 'denseblock1:', 3))!;
  assert.equal(slice(text, hover.range), 'denseblock1');
  const lines = hover.markdown.split('\n');
  assert.equal(lines[0], '**denseblock1**: label');
  assert.ok(lines.includes('- Output: `56×56×256`'));
  assert.ok(lines.includes('- Parameters: 335,040'));
  assert.ok(lines.includes('- MACs: 1,040,449,536 (1.04 G)'));
  // Says which figure it is: the graph tooltip gives the output alone (3.06 MiB), labelled as such.
  assert.ok(lines.includes("- Activation memory, all 42 layers' outputs: 63.2 MiB per sample (the block's output alone: 3.06 MiB)"), lines.join('\n'));
  assert.ok(lines.includes('- Layers: 42'));
  // Provenance relative to the block instance: the six new layers of growth 32 on top of the 64 input maps.
  assert.ok(
    lines.includes(
      '- Feature maps: 256 = conv0 64 + denselayer1/conv2 32 + denselayer2/conv2 32 + denselayer3/conv2 32 + denselayer4/conv2 32 + denselayer5/conv2 32 + denselayer6/conv2 32',
    ),
  );
});

test('hover on a block definition gives the totals of each instance', () => {
  const { text, analysis } = example('densenet121.skipnet');
  const hover = hoverAt(analysis, offsetOf(text, 'block denseblock', 8))!;
  assert.equal(slice(text, hover.range), 'denseblock');
  assert.ok(hover.markdown.startsWith('Block `denseblock(n, k=32)`\n\n4 instances; together 6,250,560 parameters:'));
  const rows = hover.markdown.split('\n').filter((line) => line.startsWith('| `'));
  assert.deepEqual(
    rows.map((row) => row.split(' | ').filter((_, i) => i !== 2)),
    [
      ['| `denseblock1`', '56×56×256', '335,040', '1,040,449,536', '63.2 MiB |'],
      ['| `denseblock2`', '28×28×512', '919,680', '712,900,608', '48.8 MiB |'],
      ['| `denseblock3`', '14×14×1024', '2,837,760', '549,126,144', '41.6 MiB |'],
      ['| `denseblock4`', '7×7×1024', '2,158,080', '104,366,080', '8.09 MiB |'],
    ],
  );
});

test('hover on a model-level layer shows one instance as a list', () => {
  const { text, analysis } = example('densenet121.skipnet');
  const hover = hoverAt(analysis, offsetOf(text, 'conv(64, 7', 1))!;
  assert.equal(
    hover.markdown,
    [
      '```skipnet',
      'conv(64, 7, stride=2, pad=3, bias=false)',
      '```',
      '',
      '**conv**: 2-D convolution: conv(filters, kernel, stride=1, pad=0, groups=1, bias=true, dilation=1).',
      '',
      '`conv0`',
      '',
      '- Output: `112×112×64`',
      '- Feature maps: 64 (new)',
      '- Parameters: 9,408',
      '- MACs: 118,013,952 (118.01 M)',
      '- Activation memory: 3.06 MiB per sample',
    ].join('\n'),
  );
});

test('hover on a reference shows the tensor it stands for in each instance', () => {
  const { text, analysis } = example('resnet20.skipnet');
  const hover = hoverAt(analysis, offsetOf(text, 'add(residual, shortcut)', 14))!;
  assert.equal(slice(text, hover.range), 'shortcut');
  assert.ok(hover.markdown.startsWith('**shortcut**: tensor labelled on line 7\n\n9 instances:'));
  const rows = hover.markdown.split('\n').filter((line) => line.startsWith('| `'));
  assert.equal(rows.length, 9);
  assert.equal(rows[3], '| `layer2/basic1/shortcut` | 16×16×32 | 32 = zeros 8 + layer1/basic3/add1 16 + zeros 8 | 0 | 0 | 32.0 KiB |');

  const input = hoverAt(analysis, offsetOf(text, 'in -> zeropad', 0))!;
  assert.ok(input.markdown.startsWith("**in**: the block's input\n\n9 instances:"));
  const inputs = input.markdown.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split(' | ')[0].slice(3, -1));
  // Each basic block reads the output of the one before it; the first reads the stem's relu.
  assert.deepEqual(inputs, ['relu1', 'layer1/basic1/relu2', 'layer1/basic2/relu2', 'layer1/basic3/relu2', 'layer2/basic1/relu2', 'layer2/basic2/relu2', 'layer2/basic3/relu2', 'layer3/basic1/relu2', 'layer3/basic2/relu2']);
});

test('hover on a model name summarises the model', () => {
  const { text, analysis } = example('resnet20.skipnet');
  const hover = hoverAt(analysis, offsetOf(text, 'resnet20(', 2))!;
  const lines = hover.markdown.split('\n');
  assert.equal(lines[0], '**model resnet20**: input `32×32×3`, output `10`');
  assert.ok(lines.includes('- Parameters: 269,722 (+ 1,376 buffers)'));
  assert.ok(lines.includes('- MACs: 40,551,040 (40.55 M)'));
  assert.ok(
    lines.includes('- Training memory at batch 32: 49.5 MiB (weights 1.03 MiB, buffers 5.52 KiB, gradients 1.03 MiB, optimizer 1.03 MiB, activations kept for backward 46.4 MiB)'),
    hover.markdown,
  );
});

test('hover on arguments, parameters and train settings explains them', () => {
  const { text, analysis } = example('resnet20.skipnet');
  assert.equal(hoverAt(analysis, offsetOf(text, 'stride=stride', 1))!.markdown, '**stride**: argument of `conv`: step of the kernel (default `1`)');
  assert.equal(hoverAt(analysis, offsetOf(text, 'stride=stride', 9))!.markdown, '**stride**: parameter of block `basic` (default `1`)');
  assert.equal(hoverAt(analysis, offsetOf(text, 'block basic(planes', 13))!.markdown, '**planes**: parameter of block `basic` (required)');
  assert.equal(hoverAt(analysis, offsetOf(text, '    lr: 0.05', 5))!.markdown, '**lr**: training setting: learning rate, a number > 0.');
  assert.equal(hoverAt(analysis, offsetOf(text, '# ResNet-20', 3)), undefined, 'nothing to say inside a comment');
});

test('hover on a layer whose input is broken says its shape is unknown', () => {
  const text = 'model broken(8x8x3) {\n  conv(4, 3) -> dense(10) -> relu\n}\n';
  const analysis = analyze(text);
  const hover = hoverAt(analysis, offsetOf(text, 'relu', 1))!;
  assert.ok(hover.markdown.includes('- Output: `?`'));
  assert.ok(hover.markdown.includes('- Feature maps: unknown (an error upstream)'));
});

test('hovers of blocks used thousands of times stay bounded', () => {
  const text = 'block unit(c) {\n  conv(c, 1)\n}\nmodel big(4x4x1) {\n  repeat 500 unit(2)\n}\n';
  const hover = hoverAt(analyze(text), offsetOf(text, 'conv', 1))!;
  assert.equal(hover.markdown.split('\n').filter((line) => line.startsWith('| `')).length, MAX_HOVER_ROWS);
  assert.ok(hover.markdown.endsWith('…and 400 more.'));
});

test('the graph tooltip of a block names its memory figure as the output alone, apart from the hover\'s sum over layers', () => {
  const { analysis } = example('densenet121.skipnet');
  const payload = buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: [analysis.models[0].name] });
  const group = payload.groups.find((g) => g.id === 'denseblock1')!;
  const rows = describeGroup(group, payload.nodes.find((n) => n.id === group.output), false).rows;
  assert.equal(rows.find((r) => r.key === 'Output activation memory')?.value, "3.06 MiB per sample (the block's output only)");
  assert.equal(rows.filter((r) => r.key === 'Activation memory').length, 0, 'no second figure under the hover\'s name');
});

test('hover on `channels` gives the count flowing into that call, per instance where they differ', () => {
  const small = example('mnist_densenet.skipnet');
  const one = hoverAt(small.analysis, offsetOf(small.text, 'channels)', 2))!;
  assert.equal(slice(small.text, one.range), 'channels');
  // 16 stem maps + 4 dense layers of growth 8 reach the one transition.
  assert.equal(one.markdown, '**channels**: the channel count flowing into `conv` at this call: **48**.');
  const big = example('densenet121.skipnet');
  const three = hoverAt(big.analysis, offsetOf(big.text, 'channels)', 2))!;
  const lines = three.markdown.split('\n');
  assert.equal(lines[0], '**channels**: the channel count flowing into `conv` at this call, per instance:');
  // 64 + 6·32, 128 + 12·32, 256 + 24·32: what each transition's 1×1 convolution halves.
  assert.deepEqual(lines.slice(2).map((l) => l.replace(/^- `[^`]*`: /, '')), ['256', '512', '1,024']);
});

/**
 * The skip-connection family's layers (upsample, convtranspose, mul, gate, relu6, silu, hardswish, hardsigmoid,
 * softmax over an axis, ceil pooling, gap keeping 1×1): shapes, parameters and MACs by hand, located errors, the
 * examples' counts through `skipnet summary`, and a model of every new layer built and run in PyTorch 1.13.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, describeProvenance, formatShape, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { lineCol, readExample } from '../support/examples';
import { assertMatchesCore, runInPyTorch } from '../support/torch';
import { runCliIn as run } from './helpers';
import { renderSvg } from '../../src/cli/render';
import { EVERY_NEW_LAYER } from '../support/familyModels';

function graph(text: string): ModelGraph {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.code !== 'dead-layer').map((d) => d.message), []);
  return analysis.models[0];
}

/** "line:col code message" of each error, as an editor shows them. */
function errors(text: string): string[] {
  return analyze(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${lineCol(text, d.range.start)} ${d.code} ${d.message}`);
}

describe('upsample, convtranspose, ceil pooling: shapes, parameters and MACs by hand', () => {
  const model = graph(EVERY_NEW_LAYER);
  const node = (id: string) => model.nodeById.get(id)!;
  it('ceil pooling rounds up, but drops a last window that would start in the right padding', () => {
    // 9×9, window 2, stride 2: ⌈7/2⌉ + 1 = 5 (floor would give 4).
    assert.equal(formatShape(node('down').shape), '5×5×8');
    // 21×21 with pad 1, window 3, stride 2: ⌈(21 + 2 − 3)/2⌉ + 1 = 11; the 11th window starts at 20 < 21 + 1.
    assert.equal(formatShape(node('b').shape), '11×11×8');
    // 20×20, window 3, stride 2, no padding: ⌈17/2⌉ + 1 = 10 (floor: 9); the 10th window starts at 18 < 20.
    assert.equal(formatShape(node('u').shape), '10×10×8');
    const last = graph('model m(5x5x1) {\n  maxpool(2, pad=1, ceil=true)\n}');
    // ⌈(5 + 2 − 2)/2⌉ + 1 = 4, but the 4th window would start at 6 ≥ 5 + 1: PyTorch gives 3.
    assert.equal(formatShape(last.nodeById.get(last.output)!.shape), '3×3×1');
  });

  it('convtranspose: (in − 1)·s − 2p + d(k − 1) + output_pad + 1, weights C_in·(F/g)·k², MACs H_in·W_in·C_in·(F/g)·k²', () => {
    assert.equal(formatShape(node('a').shape), '10×10×8'); // (5 − 1)·2 − 2 + 2 + 1 + 1
    assert.equal(node('a').params, BigInt(8 * 8 * 9 + 8));
    assert.equal(node('a').macs, BigInt(5 * 5 * 8 * 8 * 9));
    // groups 2, dilation 2, no bias: (10 − 1)·2 + 2·(2 − 1) + 1 = 21; weights 8·(8/2)·2·2.
    assert.equal(formatShape(node('convtranspose1').shape), '21×21×8');
    assert.equal(node('convtranspose1').params, BigInt(8 * 4 * 4));
    assert.equal(node('convtranspose1').macs, BigInt(10 * 10 * 8 * 4 * 4));
  });

  it('upsample multiplies height and width and keeps the provenance; it has no weights or MACs', () => {
    assert.equal(formatShape(node('n').shape), '10×10×8');
    assert.equal(node('n').params + node('n').macs, 0n);
    assert.deepEqual(node('n').provenance, node('down').provenance);
    assert.equal(describeProvenance(node('n')), '8 = conv1 8');
  });

  it('mul broadcasts a C-vector and a 1×1×C map over H×W×C and keeps the feature map’s provenance; gate makes new maps', () => {
    assert.equal(formatShape(node('up/conv1').shape), '1×1×4');
    assert.equal(formatShape(node('up/mul1').shape), '10×10×8');
    assert.deepEqual(node('up/mul1').provenance, [{ source: 'add1', channels: 8 }]);
    assert.equal(formatShape(node('v').shape), '5×5×8');
    assert.deepEqual(node('v').provenance, [{ source: 'conv1', channels: 8 }]);
    assert.equal(formatShape(node('softmax1').shape), '5×5×8');
    assert.deepEqual(node('gate1').provenance, [{ source: 'gate1', channels: 8 }]);
    assert.equal(node('gate1').params + node('v').params, 0n);
  });
});

describe('the family’s errors are located and name what to change', () => {
  it('a U-Net with an odd input size: concat names both shapes and suggests cropping or padding', () => {
    const text = 'model m(63x63x1) {\n  e: conv(4, 3, pad=1)\n  maxpool(2) -> convtranspose(4, 2, stride=2)\n  concat(e, _)\n}';
    assert.deepEqual(errors(text), [
      '4:3 spatial-mismatch concat joins channels, so the other sizes must agree, but it gets 63×63×4 and 62×62×4; crop the larger or pad the smaller to one height and width (in a U-Net, an input size divisible by 2 at every pooling keeps them equal).',
    ]);
  });

  it('mul of shapes that do not broadcast names both', () => {
    assert.deepEqual(errors('model m(8x8x4) {\n  a: conv(6, 1)\n  mul(in, a)\n}'), [
      '3:3 shape-mismatch mul multiplies element by element, but 8×8×4 and 8×8×6 do not broadcast: each axis must agree or be 1 (a flat C-vector scales an H×W×C map with the same C).',
    ]);
    assert.deepEqual(errors('model m(8x8x4) {\n  s: gap -> dense(3)\n  gate(in, s, in)\n}'), [
      '3:3 shape-mismatch gate multiplies element by element, but 8×8×4 and 3 and 8×8×4 do not broadcast: each axis must agree or be 1 (a flat C-vector scales an H×W×C map with the same C).',
    ]);
    assert.deepEqual(errors('model m(8x8x4) {\n  gate(in, _)\n}'), ['2:3 invalid-shape gate takes exactly three tensors, gate(h, t, x) = h·t + x·(1 − t), not 2.']);
  });

  it('upsample on a flat tensor, output_pad not below the stride, a softmax axis outside the tensor, a misspelt mode', () => {
    assert.deepEqual(errors('model m(8x8x4) {\n  gap -> upsample(2)\n}'), [
      '2:10 invalid-shape upsample needs an image-shaped input (H×W×C) but gets a flat vector of 4; it cannot follow gap, flatten or dense.',
    ]);
    assert.deepEqual(errors('model m(8x8x4) {\n  convtranspose(4, 3, stride=2, output_pad=2)\n}'), [
      '2:33 invalid-padding output_pad 2 must be smaller than the stride 2 (or the dilation 1) on each axis, as PyTorch requires.',
    ]);
    assert.deepEqual(errors('model m(8x8x4) {\n  convtranspose(4, 3, pad=same)\n}'), [
      '2:23 invalid-padding convtranspose takes pad as a number or HxW, not same (nn.ConvTranspose2d has no padding="same").',
    ]);
    assert.deepEqual(errors('model m(8x8x4) {\n  softmax(axis=3)\n}'), ['2:11 invalid-shape softmax: axis 3 is outside the 8×8×4 input, which has axes -3 to 2.']);
    assert.deepEqual(errors('model m(8x8x4) {\n  upsample(2, mode=bilinaer)\n}'), ["2:20 unknown-name Unknown name 'bilinaer'. Did you mean 'bilinear'?"]);
    assert.deepEqual(errors('model m(8x8x4) {\n  upsample(2, mode=3)\n}'), ['2:20 argument-type upsample: mode must be nearest or bilinear, not 3.']);
  });
});

describe('PyTorch and Keras spellings of the new layers', () => {
  it('say how SkipNet writes them, with the call rewritten as the fix', () => {
    const text = "model m(8x8x4) {\n  ConvTranspose2d(4, 8, 2, stride=2, output_padding=1)\n  Upsample(scale_factor=2, mode='bilinear', align_corners=False)\n  ReLU6()\n}";
    const fixes = analyze(text).diagnostics.map((d) => d.fix?.text);
    assert.deepEqual(fixes, ['convtranspose(8, 2, stride=2, output_pad=1)', 'upsample(scale=2, mode=bilinear)', 'relu6']);
    const fixed = analyze('model m(8x8x4) {\n  convtranspose(8, 2, stride=2, output_pad=1) -> upsample(scale=2, mode=bilinear) -> relu6\n}');
    assert.deepEqual(fixed.diagnostics, []);
    assert.equal(formatShape(fixed.models[0].nodeById.get(fixed.models[0].output)!.shape), '34×34×8');
  });
});

describe('examples of the family, counted as torchvision 0.14 does', () => {
  const expected: [string, string, string][] = [
    ['mobilenet_v2', '3,504,872', '300,774,272'],
    ['resnext50_32x4d', '25,028,904', '4,230,479,872'],
    ['wide_resnet50_2', '68,883,240', '11,398,021,120'],
    ['googlenet', '6,624,904', '1,498,376,192'],
    ['unet', '482,466', '143,851,520'],
  ];
  for (const [name, params, macs] of expected) {
    it(`skipnet summary counts ${name}: ${params} trainable parameters`, () => {
      const result = run(['summary', `examples/${name}.skipnet`]);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, new RegExp(`^Trainable params: ${params}$`, 'm'));
      assert.match(result.out, new RegExp(`^MACs per sample: ${macs} `, 'm'));
    });
  }

  it('the U-Net descends to 8×8×128 and rises back to 64×64 with 2 classes; each skip joins maps of one size', () => {
    const unet = graph(readExample('unet.skipnet'));
    const shape = (id: string): string => formatShape(unet.nodeById.get(id)!.shape);
    assert.equal(shape('bottleneck/conv2'), '8×8×128');
    assert.equal(shape('up3'), '16×16×64');
    assert.equal(shape('concat1'), '16×16×128');
    assert.equal(describeProvenance(unet.nodeById.get('concat3')!), '32 = enc1/conv2 16 + up1 16');
    assert.equal(shape('classes'), '64×64×2');
  });
});

describe('every new layer in PyTorch 1.13', () => {
  it('exports, builds and runs forward and backward with the core’s parameters, names and every layer’s shape', () => {
    const analysis = analyze(EVERY_NEW_LAYER);
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, 'every_new.skipnet');
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    assert.match(result.code, /nn\.ConvTranspose2d\(s_up\[0\], 8, 2, stride=2, groups=2, bias=False, dilation=2\)/);
    assert.match(result.code, /nn\.Upsample\(scale_factor=2, mode="bilinear", align_corners=False\)/);
    assert.match(result.code, /nn\.MaxPool2d\(2, ceil_mode=True\)/);
    const [report] = runInPyTorch([{ code: result.code, className: result.className }]);
    assertMatchesCore(model, report, 'every_new');
  });
});

describe('the U-Net drawn by elk (skipnet render, the graph view\'s layout)', () => {
  it('runs the encoder down to the bottleneck and the decoder back up beside it (a U), and no long skip through a layer', async () => {
    const result = await renderSvg(readExample('unet.skipnet'), { direction: 'down', expand: 'all', theme: 'print' });
    assert.ok(result.ok);
    const { boxes, edges } = result.drawing.layout;
    const top = (id: string): number => boxes.find((b) => b.id === id)!.y;
    // Down the encoder to the bottleneck, then up the decoder (src/drawing/ushape.ts).
    const down = ['enc1', 'enc2', 'enc3', 'bottleneck'].map(top);
    const up = ['dec3', 'dec2', 'dec1', 'classes'].map(top);
    assert.deepEqual([...down].sort((a, b) => a - b), down, `encoder tops ${down.join(', ')}`);
    assert.deepEqual([...up].sort((a, b) => b - a), up, `decoder tops ${up.join(', ')}`);
    assert.ok(Math.max(...down, ...up) === down[3], `the bottleneck is lowest: ${down.join(', ')} / ${up.join(', ')}`);
    const layers = boxes.filter((b) => result.payload.nodes.some((n) => n.id === b.id));
    const skips = edges.filter((e) => /^enc\d\/relu2->concat\d#0$/.test(e.id));
    assert.equal(skips.length, 3);
    const through: string[] = [];
    for (const edge of skips) {
      const [source, target] = edge.id.replace(/#\d+$/, '').split('->');
      for (const box of layers.filter((b) => b.id !== source && b.id !== target)) {
        // Sample every segment: a point strictly inside a layer's box is a skip drawn through it.
        const inside = edge.points.slice(1).some((q, i) => {
          const p = edge.points[i];
          return Array.from({ length: 41 }, (_, s) => [p.x + ((q.x - p.x) * s) / 40, p.y + ((q.y - p.y) * s) / 40]).some(
            ([x, y]) => x > box.x + 1 && x < box.x + box.width - 1 && y > box.y + 1 && y < box.y + box.height - 1,
          );
        });
        if (inside) through.push(`${edge.id} through ${box.id}`);
      }
    }
    assert.deepEqual(through, []);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { analyze, resolvePadding, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { TfModel } from '../../src/train/model';
import { useNodeBackend, type PortableBackend } from '../../src/train/nodeBackend';
import { SeededRandom } from '../../src/train/rng';

/** Debian's python3 with python3-torch (PyTorch 1.13), the reference for every number below. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'test/reference/check_windows.py';

/** `line:column code message` of every diagnostic, 1-based. */
function problems(text: string): string[] {
  const analysis = analyze(text);
  return analysis.diagnostics.map((d) => {
    const before = text.slice(0, d.range.start).split('\n');
    return `${before.length}:${before[before.length - 1].length + 1} ${d.code} ${d.message} [${text.slice(d.range.start, d.range.end)}]`;
  });
}

function onlyModel(text: string): { analysis: ReturnType<typeof analyze>; model: ModelGraph } {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.map((d) => d.message), [], text);
  return { analysis, model: analysis.models[0] };
}

describe('padding per axis in the core', () => {
  it("pad=same with a 1×7 kernel keeps 17×17×8: PyTorch's 23,586 parameters and 152,592 MACs", () => {
    const { model } = onlyModel('model m(17x17x8) { a: conv(8, 1x7, pad=same); flatten -> dense(10) }');
    assert.deepEqual(model.nodeById.get('a')!.shape, [17, 17, 8]);
    assert.equal(model.totals.params, 23_586n);
    assert.equal(model.totals.macs, 152_592n);
  });

  it('pad=same pads d·(k−1) per axis, the smaller half before (as torch.nn.Conv2d does); pad=HxW per axis', () => {
    const same = { symbol: 'same' };
    const sides = (value: Parameters<typeof resolvePadding>[0], k: [number, number], d = 1) => {
      const r = resolvePadding(value, k, [1, 1], d);
      return r.ok ? [r.padding.top, r.padding.bottom, r.padding.left, r.padding.right] : r.message;
    };
    assert.deepEqual(sides(same, [1, 7]), [0, 0, 3, 3]);
    assert.deepEqual(sides(same, [2, 4]), [0, 1, 1, 2]);
    assert.deepEqual(sides(same, [3, 3], 2), [2, 2, 2, 2]);
    assert.deepEqual(sides(same, [2, 2], 3), [1, 2, 1, 2]);
    assert.deepEqual(sides({ dims: [0, 3] }, [1, 7]), [0, 0, 3, 3]);
    assert.deepEqual(sides(2, [5, 5]), [2, 2, 2, 2]);
    assert.deepEqual(sides({ symbol: 'valid' }, [3, 3]), [0, 0, 0, 0]);
  });

  it('Inception-style 1×7 and 7×1 convolutions with pad=0x3 and 3x0 keep 17×17', () => {
    const { model } = onlyModel('model m(17x17x192) { in -> a: conv(192, 1x7, pad=0x3) -> b: conv(192, 7x1, pad=3x0) }');
    assert.deepEqual(model.nodeById.get('a')!.shape, [17, 17, 192]);
    assert.deepEqual(model.nodeById.get('b')!.shape, [17, 17, 192]);
    assert.equal(model.totals.params, 2n * (7n * 192n * 192n + 192n));
  });

  it('padding the core or PyTorch refuses gets a located diagnostic at the pad argument', () => {
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 3, stride=2, pad=same) }'), [
      '1:39 invalid-padding pad=same keeps the height and width, which needs stride 1 (as in PyTorch), not stride 2; give the padding as a number or HxW. [pad=same]',
    ]);
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 3, 1x2, same) }'), [
      '1:34 invalid-padding pad=same keeps the height and width, which needs stride 1 (as in PyTorch), not stride 1x2; give the padding as a number or HxW. [same]',
    ]);
    // Pooling's stride defaults to its window: `same` needs stride=1 written out.
    assert.deepEqual(problems('model m(8x8x3) { maxpool(3, pad=same) }'), [
      '1:29 invalid-padding pad=same keeps the height and width, which needs stride 1 (as in PyTorch), not stride 3; give the padding as a number or HxW. [pad=same]',
    ]);
    assert.deepEqual(problems('model m(8x8x3) { avgpool(3, stride=1, pad=2) }'), [
      "1:39 invalid-padding Padding 2 is more than half the 3×3 window (2 rows for its height 3); PyTorch's pooling allows at most half the window per axis. [pad=2]",
    ]);
    assert.deepEqual(problems('model m(8x8x3) { maxpool(3x1, stride=1, pad=1) }'), [
      "1:41 invalid-padding Padding 1 is more than half the 3×1 window (1 column for its width 1); PyTorch's pooling allows at most half the window per axis. [pad=1]",
    ]);
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 3, pad=1x2x3) }'), [
      '1:33 invalid-size conv: pad must be a whole number ≥ 0, HxW of those (e.g. 0x3), same or valid, not 1x2x3. [1x2x3]',
    ]);
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 9, pad=0x1) }'), ['1:18 invalid-shape A 9×9 kernel does not fit the 8×8 input with padding 0x1. [conv(4, 9, pad=0x1)]']);
  });

  it('a block argument that makes pad=same meet a stride is reported at the pad inside the block, with the instance', () => {
    const text = 'block b(p) { conv(4, 3, stride=2, pad=p) }\nmodel m(8x8x3) { b(same) }';
    const analysis = analyze(text);
    assert.equal(analysis.diagnostics.length, 1);
    const [d] = analysis.diagnostics;
    assert.equal(d.code, 'invalid-padding');
    assert.equal(text.slice(d.range.start, d.range.end), 'pad=p');
    assert.deepEqual(d.related?.map((r) => text.slice(r.range.start, r.range.end)), ['8x8x3', 'b(same)']);
  });

  it("the export's docstring states the core's (now right) parameter count", () => {
    const { analysis, model } = onlyModel('model m(17x17x8) { a: conv(8, 1x7, pad=same); flatten -> dense(10) }');
    const result = exportPyTorch(analysis, model, 'm.skipnet');
    assert.ok(result.ok);
    assert.match(result.code, /^Trainable parameters: 23,586 \(SkipNet's count\)\.$/m);
    assert.match(result.code, /self\.a = nn\.Conv2d\(in_shape\[0\], 8, \(1, 7\), padding="same"\)/);
  });

  it('pooling with pad=same or valid exports an explicit pad or none, never padding="same"', () => {
    const { analysis, model } = onlyModel('model m(8x8x3) { maxpool(3, stride=1, pad=same) -> avgpool(2, stride=1, pad=same) -> maxpool(2, pad=valid) }');
    const result = exportPyTorch(analysis, model, 'm.skipnet');
    assert.ok(result.ok);
    assert.doesNotMatch(result.code, /Pool2d\([^)]*padding=/);
    assert.match(result.code, /self\.maxpool1 = nn\.Sequential\(nn\.ConstantPad2d\(pad_sides\("same", 3\), -math\.inf\), nn\.MaxPool2d\(3, 1\)\)/);
    assert.match(result.code, /self\.avgpool1 = nn\.Sequential\(nn\.ConstantPad2d\(pad_sides\("same", 2\), 0\.0\), nn\.AvgPool2d\(2, 1\)\)/);
    assert.match(result.code, /self\.maxpool2 = nn\.MaxPool2d\(2\)$/m);
  });
});

/**
 * Convolution and pooling windows (kernel × stride × dilation × padding): each model is exported to
 * PyTorch and run there forward and backward; shapes, parameters, MACs and the values of layer `t` must
 * equal SkipNet's core and its TF.js training model (cpu and wasm backends).
 */
const CASES: [string, string][] = [
  ['17x17x8', 'conv(8, 1x7, pad=same)'],
  ['17x17x8', 'conv(8, 7x1, pad=same)'],
  ['17x17x8', 'conv(6, 1x7, pad=0x3)'],
  ['17x17x8', 'conv(6, 7x1, pad=3x0, bias=false)'],
  ['9x10x3', 'conv(4, 3, pad=same, dilation=2)'],
  ['9x10x3', 'conv(4, 2, pad=same)'],
  ['9x10x3', 'conv(4, 2x4, pad=same, dilation=3)'],
  ['9x10x3', 'conv(4, 3, stride=2, pad=1)'],
  ['9x10x3', 'conv(4, 3x5, stride=2x1, pad=1x2, dilation=2)'],
  ['9x10x3', 'conv(4, 4, stride=3, pad=valid)'],
  ['9x10x4', 'conv(6, 3, pad=same, groups=2)'],
  ['9x10x3', 'conv(4, 1x3, stride=1x2, pad=0x1)'],
  ['9x10x3', 'maxpool(3, stride=1, pad=same)'],
  ['9x10x3', 'maxpool(2, stride=1, pad=same)'],
  ['9x10x3', 'avgpool(2x3, stride=1, pad=same)'],
  ['9x10x3', 'avgpool(3, stride=2, pad=1)'],
  ['9x10x3', 'maxpool(3x1, stride=2x1, pad=1x0)'],
  ['9x10x3', 'maxpool(2)'],
  ['9x10x3', 'avgpool(4, stride=2, pad=2)'],
  ['9x10x3', 'maxpool(3, stride=1, pad=valid)'],
  ['9x10x3', 'window(same)'],
  ['9x10x3', 'window(1x0)'],
];
const BLOCK = 'block window(p) { maxpool(3x2, stride=1, pad=p) }\n';
const BATCH = 2;

describe('padding per axis: core = PyTorch export = TF.js training, for a table of windows', () => {
  const random = new SeededRandom(5);
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-pad-'));
  const cases = CASES.map(([input, layer], i) => {
    const text = `${BLOCK}model case${i}(${input}) { in -> t: ${layer} -> flatten -> dense(3) }`;
    const { analysis, model } = onlyModel(text);
    const result = exportPyTorch(analysis, model, `case${i}.skipnet`);
    assert.ok(result.ok, layer);
    const path = join(dir, `case${i}.py`);
    writeFileSync(path, result.code);
    const [h, w, c] = model.inputShape;
    const values = Array.from({ length: BATCH * h * w * c }, () => random.normal());
    // The node whose output PyTorch's module `t` makes: a layer, or a block instance's output.
    const node = model.nodeById.get('t') ?? model.nodeById.get(model.groupById.get('t')!.output!)!;
    return { layer, model, path, className: result.className, values, node };
  });

  it('PyTorch builds, runs forward and backward, and agrees on shapes, parameters and MACs', async () => {
    if (spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) assert.fail('PyTorch (Debian python3-torch) is missing: apt-get install -y python3-torch');
    await useNodeBackend('cpu');
    const models = cases.map((c) => new TfModel(c.model, 7));
    try {
      const spec = await Promise.all(
        cases.map(async (c, i) => {
          const exported = await models[i].exportWeights();
          const conv = c.node.kind === 'conv' ? { t: { weight: exported['t/kernel'], ...(exported['t/bias'] ? { bias: exported['t/bias'] } : {}) } } : {};
          return { path: c.path, className: c.className, input: { shape: [BATCH, ...c.model.inputShape], values: c.values }, weights: conv };
        }),
      );
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
      const run = spawnSync(PYTHON, [SCRIPT, join(dir, 'spec.json')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(run.status, 0, run.stderr);
      const torch = JSON.parse(run.stdout) as { params: number; macs: number; shapes: Record<string, number[]>; values: Record<string, number[]>; inputGrad: number[]; badGrads: string[] }[];
      for (const backend of ['cpu', 'wasm'] as PortableBackend[]) {
        await useNodeBackend(backend);
        cases.forEach((c, i) => {
          const theirs = torch[i];
          const [h, w, ch] = c.node.shape!;
          assert.deepEqual(theirs.shapes.t, [ch, h, w], `${c.layer}: shape`);
          assert.equal(BigInt(theirs.params), c.model.totals.params, `${c.layer}: parameters`);
          assert.equal(BigInt(theirs.macs), c.model.totals.macs, `${c.layer}: MACs`);
          assert.deepEqual(theirs.inputGrad, [BATCH, c.model.inputShape[2], ...c.model.inputShape.slice(0, 2)], `${c.layer}: input gradient`);
          assert.deepEqual(theirs.badGrads, [], `${c.layer}: gradients`);
          const ours = tf.tidy(() => {
            const { activations } = models[i].forward(tf.tensor4d(c.values, [BATCH, ...c.model.inputShape] as [number, number, number, number]), { training: false });
            const out = activations.get(c.node.id)!;
            return { shape: out.shape.slice(1), values: Array.from(out.dataSync()) };
          });
          assert.deepEqual(ours.shape, c.node.shape, `${backend} ${c.layer}: TF.js shape`);
          const worst = ours.values.reduce((m, v, k) => Math.max(m, Math.abs(v - theirs.values.t[k]) / Math.max(1, Math.abs(theirs.values.t[k]))), 0);
          assert.ok(worst < 1e-4, `${backend} ${c.layer}: TF.js vs PyTorch values differ by ${worst}`);
        });
      }
    } finally {
      models.forEach((m) => m.dispose());
      await useNodeBackend('cpu');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

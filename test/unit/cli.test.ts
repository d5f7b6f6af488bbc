import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main';
import { runCliIn as run } from './helpers';
import { ROOT } from '../support/examples';


describe('skipnet CLI', () => {
  it('check prints file:line:col: severity: message and exits 1 on errors', () => {
    const result = run(['check', 'broken.skipnet'], { 'broken.skipnet': 'model m(8x8x3) {\n  conv(4, 3)\n  cnv(2, 1)\n}\n' });
    assert.equal(result.code, 1);
    assert.equal(result.out, "broken.skipnet:3:3: error: Unknown layer or block 'cnv'. Did you mean 'conv'? [unknown-layer-or-block]");
  });

  it('check exits 0 on a clean file', () => {
    const result = run(['check', 'examples/resnet20.skipnet']);
    assert.equal(result.code, 0);
    assert.equal(result.out, 'examples/resnet20.skipnet: ok (1 model)');
  });

  it('summary prints a per-layer table with provenance and exact totals', () => {
    const result = run(['summary', 'examples/densenet121.skipnet', '--batch', '8']);
    assert.equal(result.code, 0, result.err);
    const lines = result.out.split('\n');
    assert.equal(lines[0], 'Model densenet121 — input 224×224×3');
    assert.match(lines[1], /^Layer\s+Op\s+Output\s+Feature maps \(provenance\)\s+Params\s+MACs\s+Memory$/);
    const concat = lines.find((l) => l.startsWith('denseblock1/denselayer2/concat1'));
    assert.match(concat ?? '', /concat\s+56×56×128\s+128 = conv0 64 \+ denselayer1\/conv2 32 \+ denselayer2\/conv2 32\s+0\s+0\s+1\.53 MiB$/);
    assert.match(result.out, /^Trainable params: 7,978,856$/m);
    assert.match(result.out, /^MACs per sample: 2,834,161,664 \(2\.83 G\)$/m);
    assert.match(result.out, /^Activations per sample: 187 MiB \(layer outputs; 124 MiB kept for the backward pass\)$/m);
    assert.match(result.out, /^Training memory at batch 8: 1\.06 GiB \(weights 30\.4 MiB, buffers 328 KiB, gradients 30\.4 MiB, optimizer 30\.4 MiB, activations 995 MiB\)$/m);
    assert.match(result.out, /^Training memory in bytes: 1,139,307,176$/m);
  });

  it('summary --json gives machine-readable rows and totals; --model picks one model', () => {
    const file = 'block b(c) { conv(c, 3, pad=1) -> relu }\nmodel one(8x8x3) { b(4) -> gap -> dense(2) }\nmodel two(10) { dense(3) }\n';
    const result = run(['summary', 'two.skipnet', '--model', 'two', '--json'], { 'two.skipnet': file });
    assert.equal(result.code, 0);
    const summary = JSON.parse(result.out);
    assert.equal(summary.model, 'two');
    assert.deepEqual(summary.rows.map((r: { id: string }) => r.id), ['input', 'dense1']);
    assert.equal(summary.totals.params, '33', 'counts are exact decimal strings in JSON');
    const both = JSON.parse(run(['summary', 'two.skipnet', '--json'], { 'two.skipnet': file }).out);
    assert.deepEqual(both.map((s: { model: string }) => s.model), ['one', 'two']);
    assert.deepEqual(both[0].rows.map((r: { id: string; shape: string }) => `${r.id} ${r.shape}`), ['input 8×8×3', 'b1/conv1 8×8×4', 'b1/relu1 8×8×4', 'gap1 4', 'dense1 2']);
  });

  it('wrong usage exits 2 with a message', () => {
    assert.equal(run(['summary']).code, 2);
    assert.match(run(['summary', 'x.skipnet', '--batch', '0'], { 'x.skipnet': 'model m(4) { dense(2) }' }).err, /--batch must be a whole number/);
    assert.match(run(['summary', 'x.skipnet', '--model', 'nope'], { 'x.skipnet': 'model m(4) { dense(2) }' }).err, /no model 'nope'; the file has m/);
    assert.match(run(['frobnicate']).err, /unknown command 'frobnicate'/);
    assert.match(run(['check', 'missing.skipnet']).err, /cannot read missing\.skipnet: ENOENT/);
  });
});

describe('skipnet export', () => {
  it('writes a PyTorch module to -o and reports the class', () => {
    const files: Record<string, string> = {};
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(['export', '--pytorch', 'examples/mnist_resnet.skipnet', '-o', 'net.py'], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      readFile: (path) => readFileSync(join(ROOT, path), 'utf8'),
      writeFile: (path, text) => {
        files[path] = text;
      },
    });
    assert.equal(code, 0);
    assert.deepEqual(err, ['wrote net.py (class MnistResnet)']);
    assert.match(files['net.py'], /^class MnistResnet\(nn\.Module\):$/m);
    assert.match(files['net.py'], /^ {8}self\.shortcut = nn\.BatchNorm2d\(s_conv3\[0\]\)$/m);
  });

  it('refuses a file with errors, naming where they are', () => {
    const result = run(['export', '--pytorch', 'bad.skipnet'], { 'bad.skipnet': 'model m(8x8x3) {\n  conv(4, 9)\n}' });
    assert.equal(result.code, 1);
    assert.equal(result.err, 'bad.skipnet:2:3: error: A 9×9 kernel does not fit the 8×8 input.');
    assert.match(run(['export', 'x.skipnet'], { 'x.skipnet': 'model m(4) { dense(2) }' }).err, /export needs a format: --pytorch/);
  });
});

describe('skipnet compare', () => {
  it('puts ResNet-20 and DenseNet-40 side by side with ratios', () => {
    const result = run(['compare', 'examples/resnet20.skipnet', 'examples/densenet40.skipnet', '--json']);
    assert.equal(result.code, 0, result.err);
    const rows = JSON.parse(result.out) as { metric: string; a: string; b: string; ratio: string }[];
    const row = (metric: string) => rows.find((r) => r.metric === metric)!;
    assert.deepEqual(row('trainable params'), { metric: 'trainable params', a: '269,722', b: '1,019,722', ratio: '3.78', values: ['269722', '1019722'] });
    assert.deepEqual([row('add merges').a, row('concat merges').b], ['9', '36']);
    assert.deepEqual(row('training memory (batch 32)'), { metric: 'training memory (batch 32)', a: '49.5 MiB', b: '593 MiB', ratio: '11.98', values: ['51883728', '621399600'] });
  });

  it('compares a model with itself without skip connections', () => {
    const result = run(['compare', 'examples/resnet20.skipnet', '--without-skips']);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^\s+resnet20\s+resnet20 without skips\s+resnet20 without skips \/ resnet20$/m);
    assert.match(result.out, /^add merges\s+9\s+0\s+0\.00$/m);
    assert.match(result.out, /^trainable params\s+269,722\s+269,722\s+1\.00$/m);
  });
});

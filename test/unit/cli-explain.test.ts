import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCliIn as run } from './helpers';


describe('skipnet paths', () => {
  it('prints length → count → share and a reading for ResNet-20', () => {
    const result = run(['paths', 'examples/resnet20.skipnet']);
    assert.equal(result.code, 0, result.err);
    assert.equal(
      result.out,
      [
        'Model resnet20: input → output paths by length (weighted layers: conv, convtranspose, dense, patchify, attention)',
        'Length  Paths  Share',
        '──────  ─────  ─────',
        '     2      1   0.2%',
        '     4      9   1.8%',
        '     6     36   7.0%',
        '     8     84  16.4%',
        '    10    126  24.6%',
        '    12    126  24.6%',
        '    14     84  16.4%',
        '    16     36   7.0%',
        '    18      9   1.8%',
        '    20      1   0.2%',
        '   all    512   100%',
        '──────  ─────  ─────',
        '512 paths; at least half (336, 65.6%) are 8–12 weighted layers long; the longest, 20 layers, is 1 path of 512; the shortest has 2 layers.',
        'Mean length 11, median 11; at least 95% (96.1%) are 6–16 layers long.',
      ].join('\n'),
    );
  });

  it('--json writes every count as decimal digits, exact past 2^53 (DenseNet-121: 2^58 paths)', () => {
    const result = run(['paths', 'examples/densenet121.skipnet', '--json']);
    assert.equal(result.code, 0, result.err);
    const json = JSON.parse(result.out);
    assert.equal(json.model, 'densenet121');
    assert.equal(json.total, '288230376151711744');
    assert.deepEqual(json.lengths[0], { length: 5, count: '1', share: '3.47e-16%' });
    assert.deepEqual(json.lengths.find((l: { length: number }) => l.length === 63), { length: 63, count: '30067266499541040', share: '10.4%' });
    assert.deepEqual(json.ranges[0], { percent: 50, from: 57, to: 67, count: '162852236308065227' });
    assert.equal(json.longestPath.at(-1), 'classifier');
  });

  it('--model picks a model; several models give a JSON array; errors are reported', () => {
    const file = 'model one(4) { dense(3) }\nmodel two(4) {\n  a: dense(4)\n  add(a, a) -> dense(2)\n}\n';
    const two = JSON.parse(run(['paths', 'm.skipnet', '--model', 'two', '--json'], { 'm.skipnet': file }).out);
    assert.deepEqual([two.model, two.total, two.lengths], ['two', '2', [{ length: 2, count: '2', share: '100.0%' }]]);
    const both = JSON.parse(run(['paths', 'm.skipnet', '--json'], { 'm.skipnet': file }).out);
    assert.deepEqual(both.map((m: { model: string; total: string }) => `${m.model} ${m.total}`), ['one 1', 'two 2']);
    const broken = run(['paths', 'b.skipnet'], { 'b.skipnet': 'model m(4) {\n  dense(3)\n  dens(2)\n}\n' });
    assert.equal(broken.code, 1);
    assert.match(broken.err, /b\.skipnet:3:3: error: Unknown layer or block 'dens'/);
    assert.match(run(['paths', 'm.skipnet', '--model', 'three'], { 'm.skipnet': file }).err, /no model 'three'; the file has one, two/);
    assert.equal(run(['paths']).code, 2);
  });
});

describe('skipnet explain', () => {
  it('one model: one finding per line', () => {
    const result = run(['explain', 'examples/densenet40.skipnet']);
    assert.equal(result.code, 0, result.err);
    const lines = result.out.split('\n');
    assert.equal(lines.length, 8);
    assert.equal(lines[0], '- In densenet40 each concat grows the width: 16 → 160 in block1 (12 concats, +12 each), 160 → 304 in block2 (12 concats, +12 each), 304 → 448 in block3 (12 concats, +12 each).');
    assert.match(lines[7], /^- With shared buffers .* densenet40 keeps 3\.22 MiB per sample instead of 18\.2 MiB \(0\.18×\)/);
  });

  it('two models, --batch, and --json with node ids per model', () => {
    const result = run(['explain', 'examples/resnet20.skipnet', 'examples/densenet40.skipnet', '--batch', '64', '--json']);
    assert.equal(result.code, 0, result.err);
    const json = JSON.parse(result.out);
    assert.deepEqual(json.models, ['resnet20', 'densenet40']);
    const memory = json.findings.find((f: { topic: string }) => f.topic === 'training-memory');
    // Batch 32 → 64 adds 32 samples of what autograd keeps: 51,883,728 + 32·1,519,872 = 100,519,632 bytes for
    // ResNet-20, 621,399,600 + 32·19,031,808 = 1,230,417,456 for DenseNet-40; their ratio is 12.2406…
    assert.deepEqual(memory.values, { a: '100519632', b: '1230417456', ratio: '12.24' });
    assert.equal(memory.text, 'densenet40 has 12.24× the training memory at batch 64 of resnet20: 1.15 GiB against 95.9 MiB.');
    const paths = json.findings.find((f: { topic: string }) => f.topic === 'paths');
    assert.deepEqual(paths.values, { a: '512', b: '68719476736' });
    assert.equal(paths.nodes[0].length, 9);
    assert.equal(paths.nodes[1].length, 36);
  });

  it('--without-skips explains a model against its ablation; wrong usage exits 2', () => {
    const result = run(['explain', 'examples/resnet20.skipnet', '--without-skips']);
    assert.equal(result.code, 0, result.err);
    assert.equal(result.out.split('\n').at(-1), '- Removing the skip connections turns 9 adds into identities, leaves the parameters as they are and leaves 1 path of 512.');
    const file = 'model one(4) { dense(3) }\nmodel two(4) { dense(5) }\n';
    assert.match(run(['explain', 'm.skipnet:two'], { 'm.skipnet': file }).out, /^- 25 trainable parameters: 25 in 1 dense layer/m);
    assert.match(run(['explain', 'm.skipnet', '--model', 'two'], { 'm.skipnet': file }).out, /^- 25 trainable parameters/m);
    assert.match(run(['explain', 'm.skipnet:three'], { 'm.skipnet': file }).err, /no model 'three' in m\.skipnet/);
    assert.match(run(['explain', 'a', 'b', 'c']).err, /explain takes one or two FILE\[:MODEL\] arguments/);
    assert.match(run(['explain', 'm.skipnet', '--batch', '0'], { 'm.skipnet': file }).err, /--batch must be a whole number ≥ 1, not '0'/);
    assert.equal(run(['explain', 'missing.skipnet']).code, 2);
  });
});

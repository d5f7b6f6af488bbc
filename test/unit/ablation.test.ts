import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, matchParameterCount, sizeKnobs, withoutSkipConnections } from '../../src/core';
import { readExample } from '../support/examples';

describe('ablation: without skip connections', () => {
  it('ResNet-20 without its adds is Plain-20: same parameters, MACs and shapes, no add left', () => {
    const ablated = withoutSkipConnections(readExample('resnet20.skipnet'));
    const plain = analyze(readExample('plain20.skipnet')).models[0];
    assert.deepEqual(ablated.diagnostics, []);
    const model = ablated.models[0];
    assert.equal(model.totals.params, plain.totals.params);
    assert.equal(model.totals.macs, plain.totals.macs);
    assert.equal(model.nodes.filter((n) => n.kind === 'add').length, 0);
    const merge = model.nodeById.get('layer2/basic1/add1')!;
    assert.equal(merge.kind, 'identity');
    assert.deepEqual(merge.inputs, ['layer2/basic1/residual']);
    assert.deepEqual(merge.args.removedSkip, { text: 'layer2/basic1/shortcut' });
  });

  it('DenseNet without concatenation re-infers every shape downstream', () => {
    const ablated = withoutSkipConnections(readExample('densenet40.skipnet')).models[0];
    // Each layer now sees only the 12 maps of the layer before it (the first sees the stem's 16).
    assert.deepEqual(ablated.nodeById.get('block1/layer6/concat1')?.shape, [32, 32, 12]);
    assert.deepEqual(ablated.nodeById.get('transition1/conv1')?.shape, [32, 32, 12]);
    const handWritten = analyze(`
block plain_layer(k) { bn -> relu -> conv(k, 3, pad=1, bias=false) }
block transition() { bn -> relu -> conv(channels, 1, bias=false) -> avgpool(2) }
model plain40(32x32x3) {
  conv(16, 3, pad=1, bias=false)
  repeat 12 plain_layer(12); transition()
  repeat 12 plain_layer(12); transition()
  repeat 12 plain_layer(12)
  bn -> relu -> gap -> dense(10)
}`).models[0];
    assert.equal(ablated.totals.params, handWritten.totals.params);
    assert.ok(ablated.totals.params < 200_000);
  });

  it('a shape that no longer fits is reported, not guessed', () => {
    const original = 'model m(8x8x6) {\n  conv(4, 1)\n  c: concat(in, _) -> conv(5, 1, groups=5)\n}';
    assert.deepEqual(analyze(original).diagnostics, [], '10 channels split into 5 groups');
    const ablated = withoutSkipConnections('model m(8x8x6) {\n  conv(4, 1)\n  c: concat(in, _) -> conv(5, 1, groups=5)\n}');
    assert.equal(ablated.diagnostics.length, 1);
    assert.equal(ablated.diagnostics[0].code, 'invalid-size');
    assert.match(ablated.diagnostics[0].message, /groups=5 must divide both the input channels \(4\)/);
  });
});

describe('parameter-matched pairs', () => {
  it('finds the knobs of a model: block parameters written as numbers', () => {
    const analysis = analyze(readExample('densenet_bc100.skipnet'));
    const knobs = sizeKnobs(analysis, 'densenet_bc100');
    const growth = knobs.find((k) => k.id === 'dense_block.k')!;
    assert.deepEqual(growth.literals.map((l) => l.value), [12, 12, 12]);
    assert.ok(knobs.some((k) => k.id === 'dense_block.n'));
  });

  it("suggests the DenseNet-BC growth rate that matches ResNet-20's parameter count within 5%", () => {
    const resnet = analyze(readExample('resnet20.skipnet')).models[0].totals.params;
    const text = readExample('densenet_bc100.skipnet');
    const match = matchParameterCount(text, 'densenet_bc100', 'dense_block.k', resnet);
    assert.ok(!('error' in match), 'error' in match ? match.error : '');
    assert.ok(Math.abs(match.difference) < 0.05, `${match.params} vs ${resnet}`);
    assert.deepEqual(match.values, [7, 7, 7]);
    // Writing the edits back gives a file with that parameter count.
    let edited = text;
    for (const edit of [...match.edits].reverse()) edited = edited.slice(0, edit.range.start) + edit.newText + edited.slice(edit.range.end);
    assert.equal(analyze(edited).models[0].totals.params, match.params);
    assert.match(edited, /block1: dense_block\(16, 7\)/);
  });

  it('scales ResNet stage widths together to match DenseNet-40', () => {
    const target = analyze(readExample('densenet40.skipnet')).models[0].totals.params;
    const match = matchParameterCount(readExample('resnet20.skipnet'), 'resnet20', 'stage.planes', target);
    assert.ok(!('error' in match));
    assert.ok(Math.abs(match.difference) < 0.05, `${match.params} vs ${target}`);
    assert.equal(match.values[1], match.values[0] * 2, 'stage 2 stays twice as wide as stage 1');
  });
});

describe('ablation drops what no longer feeds the output', () => {
  it('a projection shortcut is gone with its add: its conv and bn no longer count', () => {
    const text = readExample('mnist_resnet.skipnet');
    const full = analyze(text).models[0];
    const ablated = withoutSkipConnections(text).models[0];
    const projections = full.nodes.filter((n) => n.id.includes('/shortcut') || /basic\d\/conv3$/.test(n.id));
    const projectionParams = projections.reduce((sum, n) => sum + n.params, 0n);
    assert.ok(projectionParams > 0n);
    assert.equal(ablated.totals.params, full.totals.params - projectionParams);
    assert.equal(ablated.nodeById.has('basic2/shortcut'), false);
    assert.equal(ablated.groupById.get('basic2')!.nodes.some((id) => id.endsWith('conv3')), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits, buildCompareMessage, type SideSpec, suggestMatch } from '../../src/compare/model';
import { analyze } from '../../src/core';
import { validateCompareHostMessage, validateCompareWebviewMessage } from '../../src/protocol/compare-validate';
import { readExample } from '../support/examples';

const spec = (name: string, withoutSkips = false): SideSpec => ({ uri: `file:///w/${name}.skipnet`, file: `${name}.skipnet`, model: name, withoutSkips });
const texts = (a: string, b: string): [string, string] => [readExample(`${a}.skipnet`), readExample(`${b}.skipnet`)];
const OPTIONS = { collapseThreshold: 150, direction: 'down' as const };

describe('Compare view: host model', () => {
  it('resnet20 vs densenet40: sides, the rows of skipnet compare, knobs width-first; the message validates', () => {
    const message = buildCompareMessage([spec('resnet20'), spec('densenet40')], texts('resnet20', 'densenet40'), 7, OPTIONS);
    assert.deepEqual(message.sides.map((s) => [s.label, s.params, s.graph?.nodes.length, s.problems.length]), [
      ['resnet20', '269722', 78, 0],
      ['densenet40', '1019722', 158, 0],
    ]);
    const row = (metric: string): string[] => {
      const r = message.rows.find((x) => x.metric === metric)!;
      return [r.a, r.b, r.ratio];
    };
    assert.deepEqual(row('trainable params'), ['269,722', '1,019,722', '3.78']);
    assert.deepEqual(row('MACs per sample'), ['40,551,040 (40.55 M)', '264,812,928 (264.81 M)', '6.53']);
    assert.deepEqual(row('training memory (batch 32)'), ['49.5 MiB', '593 MiB', '11.98']);
    assert.deepEqual(message.sides[0].knobs.map((k) => k.id), ['stage.planes', 'stage.n', 'stage.stride', 'basic.stride']);
    assert.deepEqual(message.sides[1].knobs.find((k) => k.id === 'dense_block.k')?.values, [12, 12, 12]);
    const checked = validateCompareHostMessage(JSON.parse(JSON.stringify(message)));
    assert.ok(checked.ok, checked.ok ? '' : checked.error);
  });

  it('the ablation side: no add left, no knobs, the core reports what no longer fits', () => {
    const message = buildCompareMessage([spec('resnet20', true), spec('densenet40', true)], texts('resnet20', 'densenet40'), 1, OPTIONS);
    assert.equal(message.sides[0].label, 'resnet20 without skips');
    assert.equal(message.sides[0].graph!.nodes.filter((n) => n.merge === 'add').length, 0);
    assert.deepEqual(message.sides[0].knobs, []);
    assert.equal(message.sides[1].params, '48882');
    assert.deepEqual(message.rows.find((r) => r.metric === 'concat merges')?.b, '0');
    const grouped = 'model m(8x8x6) {\n  conv(4, 1)\n  c: concat(in, _) -> conv(5, 1, groups=5)\n}';
    const side: SideSpec = { uri: 'file:///g.skipnet', file: 'g.skipnet', model: 'm', withoutSkips: true };
    const broken = buildCompareMessage([side, { ...side, withoutSkips: false }], [grouped, grouped], 2, OPTIONS);
    assert.equal(broken.sides[0].problems.length, 1);
    assert.equal(broken.sides[0].problems[0].code, 'invalid-size');
    assert.equal(broken.sides[0].problems[0].line, 3);
    assert.deepEqual(broken.sides[1].problems, []);
  });

  it('a missing model is a located problem, and the table waits for both', () => {
    const message = buildCompareMessage([spec('resnet20'), { ...spec('densenet40'), model: 'nope' }], texts('resnet20', 'densenet40'), 1, OPTIONS);
    assert.equal(message.sides[1].graph, null);
    assert.match(message.sides[1].problems[0].message, /^No model 'nope' in densenet40.skipnet \(models: densenet40\)\.$/);
    assert.deepEqual(message.rows, []);
  });

  it("suggests DenseNet-40's growth rate for ResNet-20's count; its edits give that count", () => {
    const text = readExample('densenet40.skipnet');
    const answer = suggestMatch(text, spec('densenet40'), 'dense_block.k', 269_722n);
    assert.ok('suggestion' in answer, JSON.stringify(answer));
    const s = answer.suggestion;
    assert.deepEqual(s.current, [12, 12, 12]);
    assert.ok(s.withinTolerance, `${s.params} vs 269,722`);
    assert.equal(s.values.length, 3);
    assert.ok(s.values.every((v) => v === s.values[0] && v < 12));
    assert.equal(analyze(applyEdits(text, answer.edits)).models[0].totals.params.toString(), s.params);
    assert.deepEqual(suggestMatch(text, spec('densenet40', true), 'dense_block.k', 269_722n), { error: 'Turn the ablation off to resize this model: suggestions edit the model as written.' });
    assert.deepEqual(suggestMatch(text, spec('densenet40'), 'dense_block.q', 269_722n), { error: "Model 'densenet40' has no size knob 'dense_block.q'." });
  });
});

describe('Compare view: protocol validation', () => {
  it('accepts well-formed webview messages and names the field of a bad one', () => {
    assert.ok(validateCompareWebviewMessage({ type: 'applySuggestion', revision: 3, side: 1, knob: 'dense_block.k', values: [6, 6, 6] }).ok);
    const bad = (value: unknown): string => {
      const r = validateCompareWebviewMessage(value);
      return r.ok ? 'ok' : r.error;
    };
    assert.equal(bad({ type: 'setAblation', revision: 1, side: 2, withoutSkips: true }), 'setAblation side: expected one of 0, 1');
    assert.equal(bad({ type: 'applySuggestion', revision: 1, side: 0, knob: 'k', values: [0] }), 'applySuggestion values[0]: below 1');
    assert.equal(bad({ type: 'trainBoth', revision: 1, extra: 1 }), 'trainBoth extra: unexpected field');
    assert.equal(bad({ type: 'reveal', revision: 1, side: 0, id: 'x', range: { start: 5, end: 2 } }), 'reveal range: end before start');
    assert.equal(bad({ type: 'graph' }), 'type: unknown message type "graph"');
    assert.equal(bad('ready'), 'message: expected an object');
  });

  it('rejects a compare message with one side or a corrupted graph', () => {
    const message = buildCompareMessage([spec('resnet20'), spec('densenet40')], texts('resnet20', 'densenet40'), 1, OPTIONS);
    const one = validateCompareHostMessage({ ...message, sides: [message.sides[0]] });
    assert.deepEqual(one, { ok: false, error: 'compare sides: expected two sides' });
    const copy = JSON.parse(JSON.stringify(message));
    copy.sides[1].graph.nodes[3].params = '-1';
    const corrupted = validateCompareHostMessage(copy);
    assert.deepEqual(corrupted, { ok: false, error: 'compare sides[1].graph.nodes[3].params: expected a whole number as a decimal string' });
  });
});

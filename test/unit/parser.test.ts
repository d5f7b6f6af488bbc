import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, scan } from '../../src/core';

describe('scanner', () => {
  it('reads shapes, numbers, names, arrows and comments', () => {
    const tokens = scan('model m(32x32x3) { conv(16, 3x3, lr=1e-3) -> bn # comment\n _ }');
    assert.deepEqual(
      tokens.map((t) => t.kind),
      ['ident', 'ident', 'lparen', 'shape', 'rparen', 'lbrace', 'ident', 'lparen', 'number', 'comma', 'shape', 'comma', 'ident', 'equals', 'number', 'rparen', 'arrow', 'ident', 'ident', 'rbrace', 'eof'],
    );
    assert.deepEqual(tokens[3].dims, [32, 32, 3]);
    assert.equal(tokens[14].value, 0.001);
    assert.equal(tokens[18].newlineBefore, true, 'the token after a comment line starts a new line');
  });

  it('turns unreadable text into one invalid token with a reason', () => {
    const tokens = scan('conv(3x, 4) @@@ 12ab');
    const invalid = tokens.filter((t) => t.kind === 'invalid');
    assert.deepEqual(invalid.map((t) => t.text), ['3x', '@@@', '12ab']);
    assert.match(invalid[0].problem!, /not a valid number/);
  });
});

describe('parser', () => {
  it('builds blocks, models, labels, chains, repeats and the train section', () => {
    const { file, diagnostics } = parse(`
block b(c, s=1) {
  r: conv(c, 3, stride=s) -> bn
  add(r, in)
}
model net(28x28x1) {
  stem: conv(8, 3)
  stage: repeat 2 b(8)
  repeat 3 { relu; identity }
  in -> x: maxpool(2) -> gap
  train { epochs: 2; lr: 0.1 }
}`);
    assert.deepEqual(diagnostics.items, []);
    assert.equal(file.blocks[0].name, 'b');
    assert.deepEqual(file.blocks[0].params.map((p) => [p.name, p.default?.kind]), [['c', undefined], ['s', 'number']]);
    const model = file.models[0];
    assert.deepEqual(model.inputDims, [28, 28, 1]);
    assert.equal(model.body.length, 4);
    const [stem, stage, loop, branch] = model.body;
    assert.equal(stem.kind === 'chain' && stem.label, 'stem');
    assert.ok(stage.kind === 'repeat' && stage.label === 'stage' && !Array.isArray(stage.body));
    assert.ok(loop.kind === 'repeat' && Array.isArray(loop.body) && loop.body.length === 2);
    assert.ok(branch.kind === 'chain');
    assert.deepEqual(branch.elements.map((e) => [e.label, e.name]), [[undefined, 'in'], ['x', 'maxpool'], [undefined, 'gap']]);
    assert.deepEqual(model.train?.settings.map((s) => s.key), ['epochs', 'lr']);
  });

  it('parses arithmetic with precedence, floor division and functions', () => {
    const { file } = parse('model m(8) { dense(floor(0.5 * 4 + 3) // 2 - -1) }');
    const arg = file.models[0].body[0].kind === 'chain' ? file.models[0].body[0].elements[0].args![0].value : undefined;
    assert.equal(arg?.kind, 'binary');
    assert.ok(arg?.kind === 'binary' && arg.op === '-' && arg.left.kind === 'binary' && arg.left.op === '//');
  });

  const oneError: [string, string, RegExp][] = [
    ['missing comma', 'model m(32x32x3) {\n  conv(16, 3 pad=1)\n  bn\n  relu\n}', /Expected '\)' or ','.*found 'pad'/],
    ['two layers on one line', 'model m(32x32x3) {\n  conv(16, 3) bn\n  relu\n}', /line break or ';'/],
    ['unclosed body', 'model m(32x32x3) {\n  conv(16, 3)\n  bn\n', /never closed/],
    ['missing parenthesis in the header', 'model m(32x32x3 {\n  conv(16, 3)\n}\n', /Expected '\)' after the input shape/],
    ['stray character', 'model m(32x32x3) {\n  conv(16, 3) $\n  relu\n}', /Unexpected character/],
    ['misspelt keyword', 'modle m(32x32x3) {\n  conv(16, 3)\n}\n', /Expected 'block' or 'model'/],
    ['dangling arrow', 'model m(10) {\n  dense(4) ->\n}', /Expected a name/],
  ];
  for (const [name, text, message] of oneError) {
    it(`recovers from a ${name} with exactly one error`, () => {
      const { diagnostics } = parse(text);
      assert.equal(diagnostics.items.length, 1, JSON.stringify(diagnostics.items));
      assert.match(diagnostics.items[0].message, message);
    });
  }

  it('keeps parsing after an error: later statements and declarations survive', () => {
    const { file, diagnostics } = parse('model a(8) {\n  dense(3 4)\n  relu\n}\nmodel b(8) { dense(2) }');
    assert.equal(diagnostics.items.length, 1);
    assert.deepEqual(file.models.map((m) => m.name), ['a', 'b']);
    const body = file.models[0].body;
    // The broken statement stays as an empty chain (its output unknown, so nothing downstream cascades); relu survives.
    assert.deepEqual(body.map((s) => (s.kind === 'chain' ? s.elements.map((e) => e.name) : s.kind)), [[], ['relu']]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, parse } from '../../src/core';
import { lineCol } from '../support/examples';

/** "line:col-line:col code message" for each diagnostic, plus " => fix" when it carries a replacement. */
function problems(text: string): string[] {
  return analyze(text).diagnostics.map((d) => {
    const fix = d.fix ? ` => ${lineCol(text, d.fix.range.start)}-${lineCol(text, d.fix.range.end)} '${d.fix.text}'` : '';
    return `${lineCol(text, d.range.start)}-${lineCol(text, d.range.end)} ${d.code} ${d.message}${fix}`;
  });
}

const model = (body: string): string => `model m(8x8x3) {\n${body}\n}`;

describe('names outside ASCII: one error at the name, with the ASCII spelling as a fix', () => {
  it('a label with an accent', () => {
    assert.deepEqual(problems(model('  café: conv(4, 1)\n  gap')), [
      "2:3-2:7 invalid-token 'café' is not a valid name: names are written with ASCII letters, digits and _, and 'é' is not one. Did you mean 'cafe'? => 2:3-2:7 'cafe'",
    ]);
  });

  it('a name that starts with an accent, a decomposed accent, a model name, a letter with no ASCII form', () => {
    assert.deepEqual(problems(model('  élan: relu')), [
      "2:3-2:7 invalid-token 'élan' is not a valid name: names are written with ASCII letters, digits and _, and 'é' is not one. Did you mean 'elan'? => 2:3-2:7 'elan'",
    ]);
    assert.deepEqual(problems(model('  cafe\u0301: relu')), [
      "2:3-2:8 invalid-token 'cafe\u0301' is not a valid name: names are written with ASCII letters, digits and _, and '\u0301' is not one. Did you mean 'cafe'? => 2:3-2:8 'cafe'",
    ]);
    assert.deepEqual(problems('model résumé(8x8x3) {\n  relu\n}'), [
      "1:7-1:13 invalid-token 'résumé' is not a valid name: names are written with ASCII letters, digits and _, and 'é' is not one. Did you mean 'resume'? => 1:7-1:13 'resume'",
    ]);
    assert.deepEqual(problems(model('  straße: relu')), [
      "2:3-2:9 invalid-token 'straße' is not a valid name: names are written with ASCII letters, digits and _, and 'ß' is not one.",
    ]);
  });

  it('typographic arrows, multiplication signs, minus signs and curly quotes get their ASCII spelling', () => {
    assert.deepEqual(problems(model('  conv(4, 1) → relu')), ["2:14-2:15 invalid-token Unexpected '→': SkipNet writes this as '->'. => 2:14-2:15 '->'"]);
    assert.deepEqual(problems('model m(32×32×3) {\n  relu\n}'), ["1:9-1:16 invalid-token SkipNet writes sizes with the letter x: '32x32x3'. => 1:9-1:16 '32x32x3'"]);
    assert.deepEqual(problems(model('  conv(4, 1, pad=−1)')), ["2:18-2:19 invalid-token Unexpected '−': SkipNet writes this as '-'. => 2:18-2:19 '-'"]);
    assert.deepEqual(problems(model('  relu\n  train { dataset: “data/pets”; epochs: 2 }')), [
      '3:20-3:31 invalid-token Curly quotes: SkipNet writes this string as "data/pets". => 3:20-3:31 \'"data/pets"\'',
    ]);
  });

  it('no-break, thin and zero-width spaces are spaces; other symbols stay one unexpected character', () => {
    assert.deepEqual(problems(model('  conv(4,\u00a01)\u200b ->\u2009relu')), []);
    assert.deepEqual(problems(model('  relu \u{1F600}')), ["2:8-2:10 invalid-token Unexpected character '\u{1F600}'."]);
  });
});

describe('a misspelt layer in a chain is an unknown layer, not a misplaced tensor', () => {
  it('bare names after an arrow, labelled or not', () => {
    assert.deepEqual(problems(model('  conv(4, 1) -> rleu')), ["2:17-2:21 unknown-layer-or-block Unknown layer or block 'rleu'. Did you mean 'relu'? => 2:17-2:21 'relu'"]);
    assert.deepEqual(problems(model('  conv(4, 1) -> x: bnn -> relu')), ["2:20-2:23 unknown-layer-or-block Unknown layer or block 'bnn'. Did you mean 'bn'? => 2:20-2:23 'bn'"]);
    assert.deepEqual(problems(model('  conv(4, 1) -> qqqq')), ["2:17-2:21 unknown-layer-or-block Unknown layer or block 'qqqq'."]);
    assert.deepEqual(problems('block basic() {\n  relu\n}\n' + model('  conv(4, 1) -> basc')), [
      "5:17-5:21 unknown-layer-or-block Unknown layer or block 'basc'. Did you mean 'basic'? => 5:17-5:21 'basic'",
    ]);
  });

  it('a tensor name in the middle of a chain is still a misplaced tensor', () => {
    assert.deepEqual(problems(model('  a: conv(4, 3)\n  relu -> a')), ["3:11-3:12 reference-position 'a' is not a layer or block; a tensor name can only start a chain (a -> ...)."]);
    assert.deepEqual(problems(model('  relu -> in')), ["2:11-2:13 reference-position 'in' is not a layer or block; a tensor name can only start a chain (in -> ...)."]);
  });
});

describe('a label whose statement failed is reported once, never again where it is read', () => {
  const uses = '\n  add(a, in)\n  a -> relu\n  concat(a, _)';
  const cases: [string, string, string][] = [
    ['an unknown layer', '  a: foo(4)', "2:6-2:9 unknown-layer-or-block Unknown layer or block 'foo'."],
    ['an unknown bare name', '  a: qqqq', "2:6-2:10 unknown-name Unknown layer, block or tensor 'qqqq'."],
    ['a syntax error', '  a: conv(4, 3 pad=1)', "2:16-2:19 syntax Expected ')' or ',' in the argument list but found 'pad'."],
    ['a bad argument', '  a: conv(4, 3, bias=flase)', "2:22-2:27 unknown-name Unknown name 'flase'. Did you mean 'false'? => 2:22-2:27 'false'"],
    ['a labelled repeat of an unknown layer', '  a: repeat 2 foo(1)', "2:15-2:18 unknown-layer-or-block Unknown layer or block 'foo'."],
  ];
  for (const [name, statement, error] of cases) {
    it(name, () => assert.deepEqual(problems(model(statement + uses)), [error]));
  }

  it('a block call missing an argument', () => {
    assert.deepEqual(problems(`block b(c) {\n  conv(c, 1)\n}\n${model(`  a: b()${uses}`)}`), ["5:6-5:9 missing-argument Block 'b' needs a value for 'c'."]);
  });
});

describe('an error inside a block names every call site that reached it', () => {
  it('two calls that fail the same way: one error, both call sites', () => {
    const text = 'block b(c) {\n  conv(c, 3)\n  dense(3)\n}\nmodel m(8x8x3) {\n  x: b(4)\n  in -> b(4)\n}';
    const [d, ...rest] = analyze(text).diagnostics;
    assert.deepEqual(rest, []);
    assert.equal(`${lineCol(text, d.range.start)} ${d.code} ${d.message}`, '3:3 invalid-shape dense needs a flat input or a sequence but gets a 6×6×4 feature map; put gap or flatten before it.');
    assert.deepEqual(d.related?.map((r) => `${lineCol(text, r.range.start)} ${r.message}`), [
      '2:3 input 1 is 6×6×4 (from x/conv1)',
      '6:6 in block instance x',
      '7:9 in block instance b1',
    ]);
  });

  it('nested blocks: the inner call site, then the outer ones', () => {
    const text = 'block inner(c) {\n  conv(c, 9)\n}\nblock outer(c) {\n  inner(c)\n}\nmodel m(8x8x3) {\n  outer(4)\n}';
    const [d] = analyze(text).diagnostics;
    assert.equal(d.message, 'A 9×9 kernel does not fit the 8×8 input.');
    assert.deepEqual(d.related?.map((r) => `${lineCol(text, r.range.start)} ${r.message}`), [
      '7:9 input 1 is 8×8×3 (from input)',
      '5:3 in block instance outer1/inner1',
      '8:3 in block instance outer1',
    ]);
  });

  it('argument errors that depend on the call name it too', () => {
    const text = 'block b(c) {\n  conv(c - 4, 1)\n}\nmodel m(8x8x3) {\n  b(4)\n}';
    const [d] = analyze(text).diagnostics;
    assert.equal(`${lineCol(text, d.range.start)} ${d.message}`, '2:8 conv: filters must be a whole number ≥ 1, not 0.');
    assert.deepEqual(d.related?.map((r) => `${lineCol(text, r.range.start)} ${r.message}`), ['5:3 in block instance b1']);
  });
});

describe('a statement cut short by the end of its line is reported on that line', () => {
  it("an unclosed call: at the call, with a fix that adds the ')'; the next line still parses", () => {
    const text = model('  conv(4, 3\n  relu');
    assert.deepEqual(problems(text), ["2:3-2:12 syntax 'conv(' is never closed; add ')' after '3'. => 2:12-2:12 ')'"]);
    const body = parse(text).file.models[0].body;
    assert.deepEqual(body.map((s) => (s.kind === 'chain' ? s.elements.map((e) => e.name) : [])), [[], ['relu']]);
  });

  const cases: [string, string, string][] = [
    ['a function call inside arguments', '  conv(floor(4 / 2, 3\n  relu', "2:8-2:22 syntax 'floor(' is never closed; add ')' after '3'. => 2:22-2:22 ')'"],
    ['a parenthesis in an expression', '  dense(2 * (4 + 2\n  relu', "2:13-2:19 syntax '(' is never closed; add ')' after '2'. => 2:19-2:19 ')'"],
    ["an arrow where ')' belongs", '  conv(4, 3 -> relu', "2:3-2:12 syntax 'conv(' is never closed; add ')' after '3'. => 2:12-2:12 ')'"],
    ["a ';' where ')' belongs", '  conv(4, 3; relu', "2:3-2:12 syntax 'conv(' is never closed; add ')' after '3'. => 2:12-2:12 ')'"],
    ['a dangling arrow', '  conv(4, 3) ->', "2:14-2:16 syntax Expected a name (a layer, block or tensor name) after '->', before the end of the line."],
    ['a train setting without its value', '  relu\n  train { epochs:\n    batch: 4 }', "3:17-3:18 syntax Expected a value after ':', before the end of the line."],
  ];
  for (const [name, body, error] of cases) {
    it(name, () => assert.deepEqual(problems(model(body)), [error]));
  }

  it('at the end of the file: the call and the body are both unfinished', () => {
    assert.deepEqual(problems('model m(8x8x3) {\n  conv(4, 3'), [
      "1:16-1:17 syntax This '{' is never closed; add a '}'.",
      "2:3-2:12 syntax 'conv(' is never closed; add ')' after '3'. => 2:12-2:12 ')'",
    ]);
  });

  it("a '}' where ')' belongs", () => {
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 3 }'), ["1:18-1:27 syntax 'conv(' is never closed; add ')' after '3'. => 1:27-1:27 ')'"]);
  });

  it("a missing comma is still reported where the comma belongs", () => {
    assert.deepEqual(problems(model('  conv(16, 3 pad=1)')), ["2:14-2:17 syntax Expected ')' or ',' in the argument list but found 'pad'."]);
  });

  it('a broken statement leaves what follows unknown instead of mis-shaped (no knock-on errors)', () => {
    // Without the empty stand-in chain for the broken statement, the add would see 8×8×3 and 8×8×16 and report a second, false mismatch.
    assert.deepEqual(problems(model('  s: conv(16, 1)\n  in -> conv(16 3)\n  add(_, s)')), ["3:17-3:18 syntax Expected ')' or ',' in the argument list but found '3'."]);
  });
});

describe('misspelt words in arguments: a suggestion and its fix, wherever the word stands', () => {
  it('argument words, block parameters, channels and functions', () => {
    const text = 'block b(planes) {\n  conv(plane, 3, pad=sme, bias=flase)\n  conv(chanels // 2, 1)\n  conv(flor(planes / 2), 1)\n}\nmodel m(8x8x3) {\n  b(4)\n}';
    assert.deepEqual(problems(text), [
      "2:8-2:13 unknown-name Unknown name 'plane'. Did you mean 'planes'? => 2:8-2:13 'planes'",
      "2:22-2:25 unknown-name Unknown name 'sme'. Did you mean 'same'? => 2:22-2:25 'same'",
      "2:32-2:37 unknown-name Unknown name 'flase'. Did you mean 'false'? => 2:32-2:37 'false'",
      "3:8-3:15 unknown-name Unknown name 'chanels'. Did you mean 'channels'? => 3:8-3:15 'channels'",
      "4:8-4:12 unknown-name Unknown function 'flor'; the functions are floor, ceil, round, abs, min, max. Did you mean 'floor'? => 4:8-4:12 'floor'",
    ]);
  });

  it('keyword names of layers and blocks, tensors in merges, train settings', () => {
    const text = 'block b(planes, stride=1) {\n  conv(planes, 3, strid=stride)\n}\nmodel m(8x8x3) {\n  stem: relu\n  b(4)\n  b(4, strdie=2)\n  add(stme, in)\n  train { epoch: 2 }\n}';
    assert.deepEqual(problems(text), [
      "2:19-2:24 unknown-argument conv has no argument 'strid'. Did you mean 'stride'? => 2:19-2:24 'stride'",
      "7:8-7:14 unknown-argument Block 'b' has no parameter 'strdie'. Did you mean 'stride'? => 7:8-7:14 'stride'",
      "8:7-8:11 unknown-name Unknown tensor 'stme'. Did you mean 'stem'? => 8:7-8:11 'stem'",
      "9:11-9:16 invalid-training Unknown training setting 'epoch'; the settings are dataset, data, epochs, batch, optimizer, lr, momentum, weight_decay, seed. Did you mean 'epochs'? => 9:11-9:16 'epochs'",
    ]);
  });
});

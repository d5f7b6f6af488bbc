import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { lineCol } from '../support/examples';

/** Analyses a snippet and returns "line:col code message" for each diagnostic. */
function problems(text: string): string[] {
  return analyze(text).diagnostics.map((d) => `${lineCol(text, d.range.start)} ${d.code} ${d.message}`);
}

describe('diagnostics', () => {
  it('unknown layer, with a suggestion', () => {
    assert.deepEqual(problems('model m(8x8x3) {\n  cnv(4, 3)\n}'), ["2:3 unknown-layer-or-block Unknown layer or block 'cnv'. Did you mean 'conv'?"]);
  });

  it('unknown reference and misplaced reference', () => {
    assert.deepEqual(problems('model m(8x8x3) {\n  a: conv(4, 3)\n  add(a, b)\n}'), ["3:10 unknown-name Unknown tensor 'b'. Did you mean 'a'?"]);
    assert.deepEqual(problems('model m(8x8x3) {\n  a: conv(4, 3)\n  relu -> a\n}'), [
      "3:11 reference-position 'a' is not a layer or block; a tensor name can only start a chain (a -> ...).",
    ]);
  });

  it('wrong argument count, unknown keyword, wrong type, missing argument', () => {
    assert.deepEqual(problems('model m(8x8x3) { conv(1, 1, 1, 0, 1, true, 1, 9) }'), [
      '1:47 argument-count conv takes at most 7 argument(s): filters, kernel, stride, pad, groups, bias, dilation.',
    ]);
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 3, strid=2) }'), ["1:29 unknown-argument conv has no argument 'strid'. Did you mean 'stride'?"]);
    assert.deepEqual(problems('model m(8x8x3) { conv(4, 3, bias=1) }'), ['1:34 argument-type conv: bias must be true or false, not 1.']);
    assert.deepEqual(problems('model m(8x8x3) { conv(4) }'), ["1:18 missing-argument conv needs 'kernel' (kernel size, e.g. 3 or 1x7)."]);
    assert.deepEqual(problems('block b(c) { conv(c, 1) }\nmodel m(8x8x3) { b() }'), ["2:18 missing-argument Block 'b' needs a value for 'c'."]);
    assert.deepEqual(problems('block b(c) { conv(c, 1) }\nmodel m(8x8x3) { b(1, 2) }'), ["2:23 argument-count Block 'b' takes at most 1 argument(s)."]);
  });

  it('non-positive and non-integer sizes', () => {
    assert.deepEqual(problems('model m(8x8x3) { conv(2.5, 3) }'), ['1:23 invalid-size conv: filters must be a whole number ≥ 1, not 2.5.']);
    assert.deepEqual(problems('model m(8x8x3) { conv(4 - 4, 3) }'), ['1:23 invalid-size conv: filters must be a whole number ≥ 1, not 0.']);
    assert.deepEqual(problems('model m(8x8x0) { relu }'), ['1:9 invalid-size The input shape must be H×W×C (e.g. 32x32x3) or a single size, all whole numbers from 1 to 9,007,199,254,740,991.']);
    assert.deepEqual(problems('model m(8x8x3) { repeat -1 relu }'), ['1:25 invalid-size repeat needs a whole number ≥ 0, not -1.']);
  });

  it('add of mismatched shapes points at both inputs and the block instance', () => {
    const text = 'block b(c) {\n  conv(c, 3, pad=1)\n  add(_, in)\n}\nmodel m(8x8x3) {\n  stem: conv(4, 1)\n  b(8)\n}';
    const analysis = analyze(text);
    assert.equal(analysis.diagnostics.length, 1);
    const [d] = analysis.diagnostics;
    assert.equal(d.code, 'shape-mismatch');
    assert.equal(d.message, 'add needs inputs of one shape but gets 8×8×8 and 8×8×4.');
    assert.equal(lineCol(text, d.range.start), '3:3');
    assert.deepEqual(
      d.related?.map((r) => `${lineCol(text, r.range.start)} ${r.message}`),
      ["2:3 input 1 '_' is 8×8×8 (from b1/conv1)", "6:9 input 2 'in' is 8×8×4 (from stem)", '7:3 in block instance b1'],
    );
  });

  it('concat of mismatched spatial sizes', () => {
    assert.deepEqual(problems('model m(8x8x3) {\n  a: conv(4, 3)\n  concat(a, in)\n}'), [
      '3:3 spatial-mismatch concat joins channels, so the other sizes must agree, but it gets 6×6×4 and 8×8×3; crop the larger or pad the smaller to one height and width (in a U-Net, an input size divisible by 2 at every pooling keeps them equal).',
    ]);
  });

  it('impossible shapes', () => {
    assert.deepEqual(problems('model m(4x4x3) { conv(8, 5) }'), ['1:18 invalid-shape A 5×5 kernel does not fit the 4×4 input.']);
    assert.deepEqual(problems('model m(4x4x3) { dense(8) }'), ['1:18 invalid-shape dense needs a flat input or a sequence but gets a 4×4×3 feature map; put gap or flatten before it.']);
    assert.deepEqual(problems('model m(4x4x6) { conv(8, 1, groups=4) }'), ['1:18 invalid-size groups=4 must divide both the input channels (6) and the filters (8).']);
  });

  it('recursive blocks, directly and through another block', () => {
    assert.deepEqual(problems('block a() { a() }\nmodel m(8) { a() }'), ["1:13 recursive-block Block 'a' calls itself (a → a); a network must be finite."]);
    assert.deepEqual(problems('block a() { b() }\nblock b() { a() }\nmodel m(8) { a() }'), [
      "2:13 recursive-block Block 'a' calls itself (a → b → a); a network must be finite.",
    ]);
  });

  // The work bound, not a clock, is what is tested: 10^9 layers unbounded would run for hours (the timeout is a hang guard).
  it('a model too large to analyse stops at the work bound with a located error', { timeout: 120_000 }, () => {
    const text = 'model m(8) {\n  repeat 1000 { repeat 1000 { repeat 1000 { relu } } }\n}';
    const result = problems(text);
    assert.equal(result.length, 1);
    assert.match(result[0], /^2:\d+ model-too-large Model 'm' expands to more than 50,000 layers/);
  });

  it('duplicate names and built-in names', () => {
    assert.deepEqual(problems('model m(8x8x3) {\n  a: relu\n  a: relu\n}'), ["3:3 duplicate-name The name 'a' is already used in this scope."]);
    assert.deepEqual(problems('block conv() { relu }\nmodel m(8) { relu }'), ["1:7 reserved-name 'conv' is a built-in name; choose another name for this block."]);
  });

  it('training settings are checked', () => {
    assert.deepEqual(problems('model m(8) {\n  dense(2)\n  train { epochs: 0; optimiser: adam; dataset: cifar }\n}'), [
      '3:19 invalid-training epochs must be a positive whole number, not 0.',
      "3:22 invalid-training Unknown training setting 'optimiser'; the settings are dataset, data, epochs, batch, optimizer, lr, momentum, weight_decay, seed. Did you mean 'optimizer'?",
      '3:48 invalid-training dataset must be one of mnist, fashion_mnist, cifar10, cifar100, mnist_segmentation, mnist_pairs, fashion_mnist_pairs or a folder path in quotes, not cifar.',
    ]);
  });

  it('an error upstream does not cascade into errors downstream', () => {
    assert.deepEqual(problems('model m(8x8x3) {\n  conv(4, 3, bias=flase)\n  dense(3)\n  add(_, in)\n}'), ["2:19 unknown-name Unknown name 'flase'. Did you mean 'false'?"]);
  });
});

describe('no knock-on errors', () => {
  it('an unknown shape upstream leaves channels-based sizes silent inside blocks', () => {
    const text = 'block t() {\n  conv(floor(channels / 2), 1)\n}\nmodel m(8x8x4) {\n  bnn\n  t()\n  dense(3)\n}';
    assert.deepEqual(problems(text), ["5:3 unknown-name Unknown layer, block or tensor 'bnn'. Did you mean 'bn'?"]);
  });
});

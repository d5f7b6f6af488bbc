import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, scan } from '../../src/core';
import { SeededRandom } from '../../src/train/rng';
import { exampleNames, readExample } from '../support/examples';

/** Seeded, so every run fuzzes the same inputs and a failure can be replayed. */
function random(seed: number): () => number {
  const source = new SeededRandom(seed);
  return () => source.next();
}

const FRAGMENTS = ['(', ')', '{', '}', ',', ':', ';', '=', '->', '-', '*', '//', '#', '"', '\n', 'repeat', 'block', 'model', 'train',
  'in', '_', 'concat(in, _)', 'add(_, in)', 'conv(', 'bn', '0', '-1', '2.5', '99999', '3x3', '1e309', 'floor(', 'channels', 'x:', '@', '\u0000', '\u{1F600}'];

function mutate(text: string, next: () => number): string {
  const pick = (n: number): number => Math.floor(next() * n);
  const at = pick(text.length + 1);
  switch (pick(6)) {
    case 0: // delete a span
      return text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + pick(40)));
    case 1: // insert a fragment
      return text.slice(0, at) + FRAGMENTS[pick(FRAGMENTS.length)] + text.slice(at);
    case 2: // truncate
      return text.slice(0, at);
    case 3: { // duplicate a span elsewhere
      const from = pick(text.length);
      const span = text.slice(from, from + 1 + pick(80));
      return text.slice(0, at) + span + text.slice(at);
    }
    case 4: { // replace one token by another token of the file
      const tokens = scan(text).filter((t) => t.kind !== 'eof');
      if (tokens.length === 0) return text;
      const target = tokens[pick(tokens.length)];
      const source = tokens[pick(tokens.length)];
      return text.slice(0, target.start) + source.text + text.slice(target.end);
    }
    default: { // swap two characters
      const i = pick(Math.max(1, text.length - 1));
      return text.slice(0, i) + text.charAt(i + 1) + text.charAt(i) + text.slice(i + 2);
    }
  }
}

describe('fuzz', () => {
  it('thousands of mutated and truncated examples all return located diagnostics; none throws', () => {
    const next = random(20261127);
    let inputs = 0;
    let withErrors = 0;
    for (const name of exampleNames()) {
      const original = readExample(name);
      for (let i = 0; i < 320; i++) {
        let text = original;
        const mutations = 1 + Math.floor(next() * 4);
        for (let m = 0; m < mutations; m++) text = mutate(text, next);
        let analysis: ReturnType<typeof analyze>;
        try {
          analysis = analyze(text);
        } catch (error) {
          assert.fail(`analyze threw on a mutation of ${name} (#${i}): ${(error as Error).stack}\n--- input ---\n${text}`);
        }
        inputs++;
        if (analysis.diagnostics.length > 0) withErrors++;
        for (const d of analysis.diagnostics) {
          assert.ok(d.range.start >= 0 && d.range.end >= d.range.start && d.range.end <= text.length, `${name} #${i}: range ${JSON.stringify(d.range)} outside the text`);
          assert.ok(d.message.length > 10 && d.code.length > 0, `${name} #${i}: ${JSON.stringify(d)}`);
        }
        for (const model of analysis.models) {
          for (const node of model.nodes) assert.ok(node.shape === null || node.shape.every((dim) => Number.isInteger(dim) && dim > 0), `${name} #${i}: ${node.id} has shape ${node.shape}`);
        }
      }
    }
    assert.ok(inputs >= 3_000, `${inputs} inputs`);
    assert.ok(withErrors > inputs / 3, `mutations should mostly break the file (${withErrors}/${inputs})`);
  });

  it('every prefix of an example parses without throwing', () => {
    const text = readExample('densenet_bc100.skipnet');
    for (let end = 0; end <= text.length; end += 3) {
      const analysis = analyze(text.slice(0, end));
      assert.ok(Array.isArray(analysis.diagnostics));
    }
  });
});

describe('pathological inputs', () => {
  const cases: [string, string, RegExp][] = [
    ['100,000 nested parentheses', `model m(8) { dense(${'('.repeat(100_000)}1${')'.repeat(100_000)}) }`, /nested more than 64 levels/],
    ['100,000 unary minus signs', `model m(8) { dense(${'-'.repeat(100_000)}1) }`, /nested more than 64 levels/],
    ['20,000 nested repeat bodies', `model m(8) { ${'repeat 1 { '.repeat(20_000)}relu${' }'.repeat(20_000)} }`, /nested more than 64 levels/],
    ['a 100,000-term sum', `model m(8) { dense(${Array(100_000).fill('1').join('+')}) }`, /at most 500 operators/],
    [
      'a chain of 20,000 blocks each calling the next',
      `${Array.from({ length: 20_000 }, (_, i) => `block b${i}() { ${i < 19_999 ? `b${i + 1}()` : 'relu'} }`).join('\n')}\nmodel m(8) { b0() }`,
      /Blocks are nested more than 256 deep/,
    ],
  ];
  for (const [name, text, message] of cases) {
    it(`${name}: one clear error, no stack overflow`, () => {
      const analysis = analyze(text);
      assert.match(analysis.diagnostics[0]?.message ?? '', message);
    });
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { applyEdits, completionsAt, quickFixesAt } from '../../src/core/language';
import { closestName, editDistance } from '../../src/core/suggest';
import { ROOT } from '../support/examples';
import { example } from './helpers';

const PYTHON = '/usr/bin/python3';
const model = (body: string, input = '8x8x3'): string => `model m(${input}) {\n${body}\n}`;

/** The one diagnostic of `text`, as "code message", and the text after its Quick Fix. */
function fixed(text: string): { message: string; after: string } {
  const { diagnostics } = analyze(text);
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics.map((d) => d.message)));
  const fixes = quickFixesAt(analyze(text), diagnostics[0].range);
  assert.equal(fixes.length, 1);
  return { message: `${diagnostics[0].code} ${diagnostics[0].message}`, after: applyEdits(text, [fixes[0].edit]) };
}

describe('suggestions: prefixes, then edit distance, in the order completion lists names', () => {
  it('ranks by case, prefix, then transposition-aware distance; short words are not stretched', () => {
    assert.equal(closestName('co', ['in', '_', 'conv', 'concat']), 'conv');
    assert.equal(closestName('co', ['in', '_']), undefined, "'co' is two edits from 'in': not a suggestion");
    assert.equal(closestName('ReLU', ['relu', 'gelu']), 'relu');
    assert.equal(closestName('rleu', ['gelu', 'relu']), 'relu', 'one swap, not two substitutions');
    assert.equal(closestName('cnov', ['conv', 'concat']), 'conv');
    assert.equal(closestName('maxpol', ['maxpool', 'avgpool']), 'maxpool');
    assert.equal(closestName('b', ['a']), 'a');
    assert.equal(closestName('denslayer', ['denselayer', 'dense']), 'denselayer');
    assert.deepEqual([editDistance('rleu', 'relu'), editDistance('co', 'in'), editDistance('kitten', 'sitting'), editDistance('', 'abc')], [1, 2, 3, 3]);
  });

  it("typing 'co' suggests conv, the first completion for 'co'", () => {
    assert.deepEqual(fixed(model('  co')), { message: "unknown-name Unknown layer, block or tensor 'co'. Did you mean 'conv'?", after: model('  conv') });
  });

  it('for every prefix of every name completion offers, the suggestion is the first completion that matches', () => {
    const { text } = example('resnet20.skipnet');
    const anchor = text.indexOf('  layer3: stage');
    const offered = completionsAt(analyze(`${text.slice(0, anchor)}  \n${text.slice(anchor)}`), anchor + 2);
    const names = new Set(offered.filter((c) => c.kind !== 'keyword').map((c) => c.label));
    let compared = 0;
    for (const name of names) {
      for (let length = 2; length < name.length; length++) {
        const typed = name.slice(0, length);
        if (names.has(typed)) continue;
        const source = `${text.slice(0, anchor)}  ${typed}\n${text.slice(anchor)}`;
        const first = completionsAt(analyze(source), anchor + 2 + length)
          .filter((c) => c.kind !== 'keyword' && c.label.toLowerCase().startsWith(typed))
          .sort((a, b) => (a.sortText < b.sortText ? -1 : a.sortText > b.sortText ? 1 : 0))[0];
        const fix = analyze(source).diagnostics.find((d) => d.range.start === anchor + 2)?.fix;
        assert.equal(fix?.text, first?.label, `typed '${typed}'`);
        compared++;
      }
    }
    assert.ok(compared > 60, `${compared} prefixes`);
  });
});

describe("PyTorch and Keras names: 'SkipNet writes this as …' with the call rewritten", () => {
  it('the whole message of a PyTorch convolution', () => {
    assert.deepEqual(fixed(model('  Conv2d(3, 16, 3, padding=1, bias=False)')), {
      message:
        "unknown-layer-or-block Unknown layer or block 'Conv2d'. 'Conv2d' is a PyTorch name; SkipNet writes this as 'conv(16, 3, pad=1, bias=false)'; SkipNet infers the input channels.",
      after: model('  conv(16, 3, pad=1, bias=false)'),
    });
  });

  const rewrites: [string, string, string?][] = [
    ['Conv2d(in_channels=3, out_channels=8, kernel_size=3, stride=2)', 'conv(filters=8, kernel=3, stride=2)'],
    ['Conv2d(8, 3)', 'conv(8, 3)'],
    ['LazyConv2d(8, 3)', 'conv(8, 3)'],
    ['Conv2D(16, 3, padding="same", use_bias=False)', 'conv(16, 3, pad=same, bias=false)'],
    ['Convolution2D(16, 3, strides=2)', 'conv(16, 3, stride=2)'],
    ['BatchNorm2d(3)', 'bn'],
    ['BatchNorm2d', 'bn'],
    ['BatchNorm2d(3, eps=0.001)', 'bn(eps=0.001)'],
    ['BatchNormalization(momentum=0.99, epsilon=0.001)', 'bn(momentum=1 - 0.99, eps=0.001)'],
    ['ReLU(inplace=True)', 'relu'],
    ['ReLU', 'relu'],
    ['LeakyReLU(negative_slope=0.2)', 'leakyrelu(alpha=0.2)'],
    ['GELU', 'gelu'],
    ['MaxPool2d(2)', 'maxpool(2)'],
    ['AvgPool2d(kernel_size=3, stride=2, padding=1)', 'avgpool(kernel=3, stride=2, pad=1)'],
    ['MaxPooling2D(pool_size=2, strides=2)', 'maxpool(kernel=2, stride=2)'],
    ['AveragePooling2D(2)', 'avgpool(2)'],
    ['AdaptiveAvgPool2d(1)', 'gap'],
    ['GlobalAveragePooling2D', 'gap'],
    ['Flatten', 'flatten'],
    ['Dropout(0.2)', 'dropout(0.2)'],
    ['Dropout(rate=0.2)', 'dropout(p=0.2)'],
    ['Identity', 'identity'],
    ['batchnorm2d', 'bn'],
    ['max_pool(2)', 'maxpool(2)'],
    ['GAP', 'gap'],
    ['Relu', 'relu'],
    ['conv2d(8, 3)', 'conv(8, 3)'],
    ['x: Conv2d(3, 4, 3)\n  cat(x, x)', 'concat(x, x)', 'x: conv(4, 3)'],
    ['x: relu\n  concatenate(x, in)', 'concat(x, in)'],
    ['x: relu\n  Concatenate(x, in, axis=-1)', 'concat(x, in)'],
    ['x: relu\n  sum(x, in)', 'add(x, in)'],
    ['x: relu\n  Add(x, in)', 'add(x, in)'],
  ];
  for (const [written, skipnet, first] of rewrites) {
    it(`${written.split('\n').pop()} → ${skipnet}`, () => {
      let text = model(`  ${written}`);
      if (first) text = applyEdits(text, quickFixesAt(analyze(text), { start: 0, end: text.length }).map((f) => f.edit).slice(0, 1));
      const { message, after } = fixed(text);
      assert.match(message, /^unknown-layer-or-block Unknown layer or block '\w+'\. .*SkipNet writes this as '/);
      assert.ok(message.includes(`SkipNet writes this as '${skipnet}'`), message);
      assert.ok(after.includes(skipnet), after);
      assert.ok(!first || after.includes(first), after);
      assert.deepEqual(analyze(after).diagnostics.map((d) => d.message), []);
    });
  }

  it('Linear with one size is the output size (dense(10)); with two, the input size is dropped', () => {
    assert.equal(fixed(model('  Linear(10)', '12')).after, model('  dense(10)', '12'));
    assert.equal(fixed(model('  Linear(12, 10)', '12')).after, model('  dense(10)', '12'));
    assert.equal(fixed(model('  Dense(10, use_bias=False)', '12')).after, model('  dense(10, bias=false)', '12'));
  });

  it('each rewrite has the parameters and output size PyTorch gives the original module', () => {
    const cases: [string, string, number[], string][] = [
      ['Conv2d(3, 16, 3, padding=1, bias=False)', 'nn.Conv2d(3, 16, 3, padding=1, bias=False)', [3, 8, 8], '8x8x3'],
      ['Conv2d(in_channels=3, out_channels=8, kernel_size=3, stride=2)', 'nn.Conv2d(in_channels=3, out_channels=8, kernel_size=3, stride=2)', [3, 8, 8], '8x8x3'],
      ['Conv2D(16, 3, padding="same", use_bias=False)', 'nn.Conv2d(3, 16, 3, padding="same", bias=False)', [3, 8, 8], '8x8x3'],
      ['Linear(12, 10)', 'nn.Linear(12, 10)', [12], '12'],
      ['BatchNorm2d(3)', 'nn.BatchNorm2d(3)', [3, 8, 8], '8x8x3'],
      ['BatchNorm1d(12)', 'nn.BatchNorm1d(12)', [12], '12'],
      ['AvgPool2d(kernel_size=3, stride=2, padding=1)', 'nn.AvgPool2d(kernel_size=3, stride=2, padding=1)', [3, 8, 8], '8x8x3'],
      ['MaxPool2d(3, 2)', 'nn.MaxPool2d(3, 2)', [3, 8, 8], '8x8x3'],
      ['AdaptiveAvgPool2d(1)', 'nn.AdaptiveAvgPool2d(1)', [3, 8, 8], '8x8x3'],
      ['Flatten()', 'nn.Flatten()', [3, 8, 8], '8x8x3'],
    ];
    const torch = JSON.parse(
      execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'module_sizes.py'), JSON.stringify(cases.map(([, constructor, shape]) => [constructor, shape]))], { encoding: 'utf8', timeout: 120_000 }),
    ) as [number, number][];
    cases.forEach(([written, , , input], i) => {
      const { after } = fixed(model(`  ${written}`, input));
      const graph = analyze(after).models[0];
      const output = graph.nodeById.get(graph.output)!;
      assert.deepEqual([Number(graph.totals.params), Number(output.outputElements)], torch[i], `${written} → ${after}`);
    });
  });
});

describe('Quick Fixes', () => {
  it('every fix in a file full of mistakes applied at once leaves no error', () => {
    const text = [
      'block basic(planes) {',
      '  Conv2d(3, planes, 3, padding=1) -> BatchNorm2d(planes) -> rleu',
      '}',
      'model net(8x8x3) {',
      '  stem: conv(4, 3, pad=1, strid=1) -> relu',
      '  basc(8)',
      '  x: maxpool(2, 2 ',
      '  GlobalAveragePooling2D -> Linear(8, 10)',
      '  train { epoch: 2 }',
      '}',
    ].join('\n');
    const fixes = quickFixesAt(analyze(text), { start: 0, end: text.length });
    assert.deepEqual(
      fixes.map((f) => f.title),
      [
        "Write 'conv(planes, 3, pad=1)'",
        "Write 'bn'",
        "Change 'rleu' to 'relu'",
        "Change 'strid' to 'stride'",
        "Change 'basc' to 'basic'",
        "Add the missing ')'",
        "Write 'gap'",
        "Write 'dense(10)'",
        "Change 'epoch' to 'epochs'",
      ],
    );
    const after = applyEdits(text, fixes.map((f) => f.edit));
    assert.deepEqual(analyze(after).diagnostics.map((d) => d.message), []);
    // stem 3·3·3·4+4, basic: conv 3·3·4·8+8 and bn 2·8, dense 8·10+10.
    assert.equal(analyze(after).models[0].totals.params, BigInt(112 + 296 + 16 + 90));
  });

  it('the cursor on one diagnostic gets only its fix; a diagnostic with no suggestion gets none', () => {
    const text = model('  conv(4, 1) -> rleu\n  qqqq(3)');
    const analysis = analyze(text);
    assert.deepEqual(quickFixesAt(analysis, { start: text.indexOf('rleu') + 2, end: text.indexOf('rleu') + 2 }).map((f) => [f.diagnostic.code, f.edit.newText]), [['unknown-layer-or-block', 'relu']]);
    assert.deepEqual(quickFixesAt(analysis, { start: text.indexOf('qqqq'), end: text.indexOf('qqqq') }), []);
    assert.deepEqual(quickFixesAt(analysis, { start: 0, end: 5 }), []);
  });
});

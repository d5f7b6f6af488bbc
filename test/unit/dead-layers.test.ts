import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { exampleNames, lineCol, readExample, ROOT } from '../support/examples';

const PYTHON = '/usr/bin/python3';

/** "line:col-line:col severity code message [related…]" for each diagnostic. */
function problems(text: string): string[] {
  return analyze(text).diagnostics.map((d) => {
    const related = d.related ? ` [${d.related.map((r) => `${lineCol(text, r.range.start)} ${r.message}`).join('; ')}]` : '';
    return `${lineCol(text, d.range.start)}-${lineCol(text, d.range.end)} ${d.severity} ${d.code} ${d.message}${related}`;
  });
}

const model = (body: string): string => `model m(8x8x3) {\n${body}\n}`;

describe('layers that never reach the output: one warning per dead chain, totals as PyTorch counts them', () => {
  it('a label nobody reads', () => {
    const text = model('  a: conv(4, 1)\n  in -> conv(8, 1) -> bn\n  conv(3, 1)');
    assert.deepEqual(problems(text), [
      "2:6-2:16 warning dead-layer This layer never reaches the output of model 'm': PyTorch still builds this layer, so its 16 parameters count in the totals.",
    ]);
    // conv 3·4+4 (dead) + conv 3·8+8 + bn 2·8 + conv 8·3+3
    assert.equal(analyze(text).models[0].totals.params, BigInt(16 + 32 + 16 + 27));
  });

  it('a chain of several layers gives one warning over the chain', () => {
    assert.deepEqual(problems(model('  in -> conv(4, 1) -> bn -> relu\n  in -> conv(2, 1)')), [
      "2:9-2:33 warning dead-layer This chain never reaches the output of model 'm': PyTorch still builds these 3 layers, so their 24 parameters count in the totals.",
    ]);
  });

  it('layers without parameters', () => {
    assert.deepEqual(problems(model('  in -> relu -> maxpool(2)\n  in -> conv(2, 1)')), [
      "2:9-2:27 warning dead-layer This chain never reaches the output of model 'm': PyTorch still builds these 2 layers, so they add no parameters.",
    ]);
    assert.deepEqual(problems(model('  x: relu\n  in -> conv(2, 1)')), [
      "2:6-2:10 warning dead-layer This layer never reaches the output of model 'm': PyTorch still builds this layer, so it adds no parameters.",
    ]);
  });

  it('a whole block instance is reported at its call', () => {
    const text = `block b(c) {\n  conv(c, 1) -> bn\n}\n${model('  x: b(4)\n  in -> conv(2, 1)')}`;
    assert.deepEqual(problems(text), [
      "5:6-5:10 warning dead-layer This chain never reaches the output of model 'm': PyTorch still builds these 2 layers, so their 24 parameters count in the totals.",
    ]);
  });

  it('a dead branch inside a block: one warning in the block, every call site, parameters of all instances', () => {
    const text = `block b(c) {\n  side: conv(c, 1) -> bn\n  in -> conv(c, 1)\n}\n${model('  b(4)\n  b(8)')}`;
    // b(4) on 3 channels: side 3·4+4 + 2·4; b(8) on 4 channels: side 4·8+8 + 2·8.
    assert.deepEqual(problems(text), [
      "2:9-2:25 warning dead-layer This chain never reaches the output of model 'm': PyTorch still builds these 4 layers, so their 80 parameters count in the totals. [6:3 in block instance b1; 7:3 in block instance b2]",
    ]);
  });

  it('a labelled repeat nobody reads is one warning over the repeat', () => {
    assert.deepEqual(problems(model('  r: repeat 2 { conv(4, 1) }\n  in -> conv(2, 1)')), [
      "2:3-2:29 warning dead-layer This chain never reaches the output of model 'm': PyTorch still builds these 2 layers, so their 36 parameters count in the totals.",
    ]);
  });

  it('a dead chain over two statements: one warning for each statement', () => {
    assert.deepEqual(problems(model('  x: in -> conv(4, 1)\n  x -> relu\n  in -> conv(2, 1)')), [
      "2:12-2:22 warning dead-layer This layer never reaches the output of model 'm': PyTorch still builds this layer, so its 16 parameters count in the totals.",
      "3:8-3:12 warning dead-layer This layer never reaches the output of model 'm': PyTorch still builds this layer, so it adds no parameters.",
    ]);
  });

  it('no warning where an error leaves the output unknown, and none in any example', () => {
    assert.deepEqual(problems(model('  a: conv(4, 1)\n  in -> conv(8, 1)\n  qqqq(3)')), ["4:3-4:7 error unknown-layer-or-block Unknown layer or block 'qqqq'."]);
    assert.deepEqual(problems(model('  a: conv(4, 1)\n  in -> foo(8, 1)\n  relu')), ["3:9-3:12 error unknown-layer-or-block Unknown layer or block 'foo'."]);
    for (const name of exampleNames()) assert.deepEqual(problems(readExample(name)), [], name);
  });

  it("the export builds the dead layers too: PyTorch's parameter count equals SkipNet's total", () => {
    const text = `block b(c) {\n  side: conv(c, 1) -> bn\n  in -> conv(c, 3, pad=1)\n}\nmodel dead(8x8x3) {\n  a: conv(4, 1)\n  in -> b(8) -> gap -> dense(10)\n}`;
    const analysis = analyze(text);
    assert.deepEqual(analysis.diagnostics.map((d) => d.code), ['dead-layer', 'dead-layer']);
    const result = exportPyTorch(analysis, analysis.models[0], 'dead.skipnet');
    assert.ok(result.ok);
    const path = join(mkdtempSync(join(tmpdir(), 'skipnet-dead-')), 'dead.py');
    writeFileSync(path, result.code);
    const [report] = JSON.parse(execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'check_export.py'), `${path}:${result.className}`], { encoding: 'utf8', timeout: 120_000 })) as { params: number }[];
    // a 3·4+4, side conv 3·8+8 and bn 2·8, conv 9·3·8+8, dense 8·10+10
    assert.equal(analysis.models[0].totals.params, BigInt(16 + 32 + 16 + 224 + 90));
    assert.equal(BigInt(report.params), analysis.models[0].totals.params);
  });
});

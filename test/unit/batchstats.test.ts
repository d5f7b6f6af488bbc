import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli, runCliAsync, type CliIo } from '../../src/cli/main';
import { analyze, valuesPerChannel } from '../../src/core';
import { lineCol } from '../support/examples';

/** Debian's python3 with python3-torch (PyTorch 1.13), the reference for what batch norm accepts. */
const PYTHON = '/usr/bin/python3';

/** The bug report's model, written validly: a bn after gap at batch 1. */
const REPORTED = `model m(28x28x1) {
  conv(8, 3, pad=1, bias=false) -> bn -> relu
  gap -> bn -> dense(10)
  train { dataset: mnist; batch: 1 }
}`;

const MESSAGE_FLAT_8 =
  "bn 'bn2' normalises 1 value per channel in training (batch 1 × a flat input of 8 features): its batch variance is 0, so it outputs β whatever its input and passes no gradient back (PyTorch refuses it: \"Expected more than 1 value per channel when training\"). Train with batch ≥ 2.";

function problems(text: string): string[] {
  return analyze(text).diagnostics.map((d) => `${lineCol(text, d.range.start)}-${lineCol(text, d.range.end)} ${d.code} ${d.message}`);
}

function capture(files: Record<string, string>): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readFile: (p) => files[p] ?? readFileSync(p, 'utf8'), writeFile: () => assert.fail('no files are written') };
}

describe('bn with a single value per channel (bn-single-value)', () => {
  it('the reported model: one error at the bn after gap, naming the layer and the batch, related to the batch setting', () => {
    const analysis = analyze(REPORTED);
    assert.deepEqual(problems(REPORTED), [`3:10-3:12 bn-single-value ${MESSAGE_FLAT_8}`]);
    const related = analysis.diagnostics[0].related!;
    assert.deepEqual(related.map((r) => `${lineCol(REPORTED, r.range.start)} ${r.message}`), ['4:34 batch 1 is set here']);
    assert.equal(analysis.diagnostics[0].severity, 'error');
  });

  it('siblings: bn after flatten, after dense and on a 1×1 feature map at batch 1; none at batch 2 or on a 2×2 map', () => {
    // A label names its chain's last node: bn a, b, c, d.
    const model = (batch: number) => `model s(4x4x2) {
  a: flatten -> bn
  b: in -> flatten -> dense(6) -> bn
  c: in -> conv(3, 4) -> bn
  d: in -> conv(5, 3) -> bn
  train { batch: ${batch} }
}`;
    assert.deepEqual(
      // Only the bn check: chains a–c do not reach the output, which is also (rightly) a dead-layer warning each.
      analyze(model(1)).diagnostics.filter((d) => d.code === 'bn-single-value').map((d) => `${lineCol(model(1), d.range.start)} ${d.code} ${d.message.slice(0, d.message.indexOf(':'))}`),
      [
        "2:17 bn-single-value bn 'a' normalises 1 value per channel in training (batch 1 × a flat input of 32 features)",
        "3:35 bn-single-value bn 'b' normalises 1 value per channel in training (batch 1 × a flat input of 6 features)",
        "4:26 bn-single-value bn 'c' normalises 1 value per channel in training (batch 1 × a 1×1 feature map)",
      ],
    );
    assert.deepEqual(problems(model(2)).filter((p) => !p.includes(' dead-layer ')), []);
    // Without a train section the default batch (32) applies.
    assert.deepEqual(problems('model t(4) { dense(3) -> bn }'), []);
  });

  it('a bn in a block body is reported once, with every offending block instance in the related information', () => {
    const text = `block head(k) {
  gap -> bn -> dense(k)
}
model h(6x6x2) {
  x: head(4)
  y: in -> head(4)
  add(x, y)
  train { batch: 1 }
}`;
    const diagnostics = analyze(text).diagnostics;
    assert.deepEqual(diagnostics.map((d) => `${lineCol(text, d.range.start)} ${d.code}`), ['2:10 bn-single-value']);
    assert.match(diagnostics[0].message, /^bn 'bn1' normalises 1 value per channel in training \(batch 1 × a flat input of 2 features\)/);
    assert.deepEqual(diagnostics[0].related!.map((r) => `${lineCol(text, r.range.start)} ${r.message}`), ['5:6 in block instance x', '6:12 in block instance y', '8:18 batch 1 is set here']);
  });

  it('the rule is PyTorch\'s: F.batch_norm in training refuses exactly the shapes with one value per channel', () => {
    // [N, C, H, W] or [N, C] shapes in PyTorch's layout, and our NHWC shapes without the batch.
    const cases: { torch: number[]; ours: number[] }[] = [
      { torch: [1, 8], ours: [8] },
      { torch: [2, 8], ours: [8] },
      { torch: [1, 3, 1, 1], ours: [1, 1, 3] },
      { torch: [1, 3, 1, 2], ours: [1, 2, 3] },
      { torch: [3, 3, 1, 1], ours: [1, 1, 3] },
    ];
    const script = `
import json, sys, torch
out = []
for shape in json.loads(sys.argv[1]):
    x = torch.randn(*shape)
    try:
        torch.nn.functional.batch_norm(x, None, None, training=True)
        out.append("ok")
    except ValueError as e:
        out.append(str(e))
print(json.dumps(out))`;
    const run = spawnSync(PYTHON, ['-c', script, JSON.stringify(cases.map((c) => c.torch))], { encoding: 'utf8' });
    assert.equal(run.status, 0, `PyTorch (Debian python3-torch) is needed: ${run.stderr}`);
    const answers = JSON.parse(run.stdout) as string[];
    cases.forEach((c, i) => {
      const single = valuesPerChannel({ shape: c.ours } as Parameters<typeof valuesPerChannel>[0], c.torch[0]) === 1;
      assert.equal(answers[i] !== 'ok', single, `${JSON.stringify(c.torch)}: PyTorch says ${answers[i]}`);
      if (single) assert.match(answers[i], /^Expected more than 1 value per channel when training/);
    });
  });

  it('skipnet check prints it located; skipnet train --batch checks the batch that trains, not the train section\'s', async () => {
    const files = { 'reported.skipnet': REPORTED, 'eight.skipnet': REPORTED.replace('batch: 1', 'batch: 8') };
    let io = capture(files);
    assert.equal(runCli(['check', 'reported.skipnet'], io), 1);
    assert.deepEqual(io.lines, [`reported.skipnet:3:10: error: ${MESSAGE_FLAT_8} [bn-single-value]`]);

    io = capture(files);
    assert.equal(await runCliAsync(['train', 'eight.skipnet', '--batch', '1', '--steps', '1'], io), 1);
    assert.deepEqual(io.errors, [`eight.skipnet:3:10: error: ${MESSAGE_FLAT_8.replace('(batch 1 ×', '(batch 1 (from --batch) ×')} [bn-single-value]`]);
    assert.deepEqual(io.lines, []);

    // --batch 2 replaces the train section's batch 1: the model trains (one step, a few held-out images).
    io = capture(files);
    assert.equal(await runCliAsync(['train', 'reported.skipnet', '--batch', '2', '--steps', '1', '--eval-samples', '4'], io), 0, io.errors.join('\n'));
    assert.deepEqual(io.errors, []);
    assert.match(io.lines[0], /^backend cpu, [\d,]+ parameters, 1 step of batch 2$/);
    assert.match(io.lines.at(-1)!, /^final held-out accuracy \d+\.\d\d% after 1 step \(cpu\)$/);
  });
});

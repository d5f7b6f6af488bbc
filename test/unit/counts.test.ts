import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main';
import { analyze, formatBytes, formatCompact, formatCount, formatMacs, formatMacsExact, trainingMemory } from '../../src/core';
import { hoverAt } from '../../src/core/language';
import { describeGroup, describeNode } from '../../src/drawing/describe';
import { buildGraphPayload } from '../../src/protocol/payload';
import { validateHostMessage } from '../../src/protocol/validate';

/**
 * A model past 2^53 MACs made of big shapes, not many layers: odd sizes, so a double would round every
 * total. The expected figures below are the textbook formulas in BigInt, independent of the core.
 */
const H = 99_991;
const W = 99_989;
const C0 = 3;
const F = 4_093;
const TEXT = `block wide(f) {
  conv(f, 3, pad=1, bias=false) -> relu
}
model huge(${H}x${W}x${C0}) {
  first: conv(${F}, 3, pad=1)
  repeat 2 wide(${F})
  gap -> dense(1000)
  train { batch: 999; optimizer: sgd }
}
`;

const b = BigInt;
const pixels = b(H) * b(W);
const firstMacs = pixels * b(F) * 9n * b(C0);
const wideMacs = pixels * b(F) * 9n * b(F);
const denseMacs = b(F) * 1000n;
const MACS = firstMacs + 2n * wideMacs + denseMacs;
const PARAMS = 9n * b(C0) * b(F) + b(F) + 2n * 9n * b(F) * b(F) + b(F) * 1000n + 1000n;
/** Outputs per sample: input, first conv, 2 × (conv + relu), gap, dense. */
const OUTPUT_BYTES = 4n * (pixels * b(C0) + 5n * pixels * b(F) + b(F) + 1000n);

function cli(args: string[]): { code: number; out: string } {
  const out: string[] = [];
  const code = runCli(args, { out: (line) => out.push(line), err: () => undefined, writeFile: () => undefined, readFile: () => TEXT });
  return { code, out: out.join('\n') };
}

describe('counts past 2^53 stay exact', () => {
  const analysis = analyze(TEXT);
  const model = analysis.models[0];

  it('the test model really is past 2^53, where doubles round these totals', () => {
    assert.deepEqual(analysis.diagnostics, []);
    assert.ok(MACS > b(Number.MAX_SAFE_INTEGER));
    assert.notEqual(b(Number(MACS)), MACS, 'a double cannot hold this MAC count');
    const total = trainingMemory(model).total;
    assert.notEqual(b(Number(total)), total, 'nor the bytes of a training step at batch 999');
  });

  it('the core totals equal the BigInt formulas', () => {
    assert.equal(model.totals.macs, MACS);
    assert.equal(model.totals.params, PARAMS);
    assert.equal(model.totals.activationElements * 4n, OUTPUT_BYTES);
    assert.equal(model.nodeById.get('wide1/conv1')!.macs, wideMacs);
    assert.equal(model.groupById.get('wide2')!.macs, wideMacs);
  });

  it('skipnet summary prints every digit, and --json carries them as decimal strings', () => {
    const text = cli(['summary', 'huge.skipnet']);
    assert.equal(text.code, 0);
    assert.match(text.out, new RegExp(`^MACs per sample: ${formatCount(MACS)} \\(${formatMacs(MACS).replace('.', '\\.')}\\)$`, 'm'));
    assert.equal(formatCount(MACS), '3,015,978,643,482,254,107');
    assert.match(text.out, /^MACs per sample: 3,015,978,643,482,254,107 \(3\.02 E\)$/m);
    assert.match(text.out, new RegExp(`^Trainable params: ${formatCount(PARAMS)}$`, 'm'));
    const memory = trainingMemory(model);
    assert.match(text.out, new RegExp(`^Training memory in bytes: ${formatCount(memory.total)}$`, 'm'));
    const json = JSON.parse(cli(['summary', 'huge.skipnet', '--json']).out);
    assert.equal(json.totals.macs, MACS.toString());
    assert.equal(json.totals.params, PARAMS.toString());
    assert.equal(json.totals.activationBytesPerSample, OUTPUT_BYTES.toString());
    assert.equal(json.totals.training.total, memory.total.toString());
    assert.equal(json.rows.find((r: { id: string }) => r.id === 'wide2/conv1').macs, wideMacs.toString());
  });

  it('skipnet compare shows and carries the exact counts', () => {
    const rows = JSON.parse(cli(['compare', 'huge.skipnet', '--without-skips', '--json']).out) as { metric: string; a: string; values: [string, string]; ratio: string }[];
    const macs = rows.find((r) => r.metric === 'MACs per sample')!;
    assert.equal(macs.a, '3,015,978,643,482,254,107 (3.02 E)');
    assert.deepEqual(macs.values, [MACS.toString(), MACS.toString()]);
    assert.equal(macs.ratio, '1.00');
    assert.equal(rows.find((r) => r.metric === 'trainable params')!.a, formatCount(PARAMS));
  });

  it('the model hover and a layer hover print every digit', () => {
    const model = hoverAt(analysis, TEXT.indexOf('huge') + 1)!;
    assert.ok(model.markdown.split('\n').includes(`- MACs: ${formatMacsExact(MACS)}`), model.markdown);
    const layer = hoverAt(analysis, TEXT.indexOf('first:') + 1)!;
    assert.ok(layer.markdown.split('\n').includes(`- MACs: ${formatCount(firstMacs)} (${formatMacs(firstMacs)})`), layer.markdown);
  });

  it('the graph payload carries decimal digits and the tooltips print them', () => {
    const payload = buildGraphPayload(model, analysis.lines, { collapseThreshold: 150 });
    assert.equal(payload.totals.macs, MACS.toString());
    assert.equal(payload.totals.activationBytes, OUTPUT_BYTES.toString());
    const node = payload.nodes.find((n) => n.id === 'wide1/conv1')!;
    const rows = describeNode(node).rows;
    assert.equal(rows.find((r) => r.key === 'MACs')!.value, `${formatCount(wideMacs)} (${formatMacs(wideMacs)})`);
    assert.equal(rows.find((r) => r.key === 'Activation memory')!.value, `${formatBytes(pixels * b(F) * 4n)} per sample`);
    const group = payload.groups.find((g) => g.id === 'wide1')!;
    assert.equal(describeGroup(group, node, false).rows.find((r) => r.key === 'Parameters')!.value, formatCount(9n * b(F) * b(F)));
    // Through JSON, as postMessage carries it, the payload still validates and still has every digit.
    const diagnostics = { errors: 0, warnings: 0, firstError: '', firstErrorLine: 0 };
    const crossed = JSON.parse(JSON.stringify({ type: 'graph', uri: 'file:///huge.skipnet', version: 1, graph: payload, diagnostics }));
    const checked = validateHostMessage(crossed);
    assert.ok(checked.ok, checked.ok ? '' : checked.error);
    assert.equal(BigInt(crossed.graph.totals.macs), MACS);
    const numeric = validateHostMessage({ ...crossed, graph: { ...crossed.graph, totals: { ...crossed.graph.totals, macs: Number(MACS) } } });
    assert.deepEqual(numeric, { ok: false, error: 'graph graph.totals.macs: expected a whole number as a decimal string' });
  });
});

describe('formatting counts and sizes', () => {
  it('MACs climb through K M G T P E Z Y R Q, then scientific; rounding moves up a unit', () => {
    assert.equal(formatMacs(999n), '999');
    assert.equal(formatMacs(1_320n), '1.3 K');
    assert.equal(formatMacs(999_999n), '1.00 M');
    assert.equal(formatMacs(1_814_073_344n), '1.81 G');
    assert.equal(formatMacs(10_093_555_400_000_000n), '10.09 P');
    assert.equal(formatMacs(2n ** 53n), '9.01 P');
    assert.equal(formatMacs(10n ** 30n * 999n), '999.00 Q');
    assert.equal(formatMacs(10n ** 33n), '1.00e33');
    assert.equal(formatMacs(123_456n * 10n ** 40n), '1.23e45');
    assert.equal(formatMacs(99_951n * 10n ** 40n), '1.00e45');
  });

  it('bytes climb through KiB … YiB with three significant figures, then scientific', () => {
    assert.equal(formatBytes(512n), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(150n * 1024n * 1024n), '150 MiB');
    assert.equal(formatBytes(1024n ** 4n * 3n), '3.00 TiB');
    assert.equal(formatBytes(1024n ** 5n * 12n + 1024n ** 4n * 300n), '12.3 PiB');
    assert.equal(formatBytes(102_350n), '100 KiB', '99.95 KiB rounds to 100, written without decimals');
    assert.equal(formatBytes(1024n ** 8n * 1023n), '1023 YiB');
    assert.equal(formatBytes(1024n ** 9n), '1.24e27 B');
  });

  it('counts keep every digit', () => {
    assert.equal(formatCount(0n), '0');
    assert.equal(formatCount(269_722), '269,722');
    assert.equal(formatCount(2n ** 64n), '18,446,744,073,709,551,616');
  });
});

describe('sizes a double cannot hold exactly are refused where they are written', () => {
  it('an input dimension past 2^53 − 1', () => {
    const text = 'model m(9007199254740993x1x1) { gap -> dense(2) }';
    const [error] = analyze(text).diagnostics;
    assert.equal(error.code, 'invalid-size');
    assert.equal(text.slice(error.range.start, error.range.end), '9007199254740993x1x1');
    assert.match(error.message, /from 1 to 9,007,199,254,740,991/);
  });

  it('a layer argument past 2^53 − 1', () => {
    const text = 'model m(4) { dense(2 * 9007199254740991) }';
    const [error] = analyze(text).diagnostics;
    assert.equal(error.code, 'invalid-size');
    assert.equal(text.slice(error.range.start, error.range.end), '2 * 9007199254740991');
    assert.equal(error.message, 'dense: units must be a whole number ≤ 9,007,199,254,740,991 (2^53 − 1), not 18014398509481982.');
  });

  it('an output dimension past 2^53 − 1 (flatten of a huge image, concat of huge channel counts)', () => {
    const flatten = 'model m(100000x100000x1000000) {\n  flatten -> dense(2)\n}';
    const [error] = analyze(flatten).diagnostics;
    assert.equal(error.code, 'invalid-shape');
    assert.equal(flatten.slice(error.range.start, error.range.end), 'flatten');
    assert.equal(error.message, 'flatten would make a dimension of about 1.000e+16, more than 9,007,199,254,740,991 (2^53 − 1), the largest size computed exactly.');
    const concat = 'model m(1x1x4503599627370496) {\n  a: identity\n  concat(a, in)\n}';
    const [merged] = analyze(concat).diagnostics;
    assert.equal(merged.code, 'invalid-shape');
    assert.equal(concat.slice(merged.range.start, merged.range.end), 'concat(a, in)');
  });
});

describe('formatCompact', () => {
  it('labels a heat-map cell in about four characters, never "1.3e+2"', () => {
    assert.deepEqual([130, 1.3, 0.053, 1284, 2.5e6, 0, 4.2e-5, -75].map(formatCompact), ['130', '1.3', '0.053', '1.3K', '2.5M', '0', '4.2e-5', '-75']);
  });
});

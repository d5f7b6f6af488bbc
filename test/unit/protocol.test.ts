import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { buildGraphPayload, StalenessFilter, validateHostMessage, validateWebviewMessage, visibleCount, type GraphPayload } from '../../src/protocol';
import { residualTower } from '../support/generated';

function payloadOf(example: string, threshold = 150): GraphPayload {
  const analysis = analyze(readFileSync(join('examples', `${example}.skipnet`), 'utf8'));
  return buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: threshold });
}

const reveal = { type: 'reveal', uri: 'file:///a.skipnet', version: 3, id: 'layer1/basic1/conv1', range: { start: 10, end: 20 } };

test('a well-formed reveal message passes and keeps its fields', () => {
  const result = validateWebviewMessage(reveal);
  assert.equal(result.ok, true);
  if (result.ok && result.message.type === 'reveal') assert.deepEqual(result.message.range, { start: 10, end: 20 });
});

test('malformed webview messages are rejected with the path of the problem', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    ['reveal', /expected an object/],
    [{ ...reveal, type: 'rm -rf' }, /unknown message type/],
    [{ ...reveal, type: '__proto__' }, /unknown message type/],
    [{ ...reveal, range: { start: -1, end: 2 } }, /range\.start: below 0/],
    [{ ...reveal, range: { start: 1.5, end: 2 } }, /range\.start: expected an integer/],
    [{ ...reveal, range: { start: 5, end: 2 } }, /end before start/],
    [{ ...reveal, version: Number.NaN }, /version: expected a finite number/],
    [{ ...reveal, extra: 1 }, /extra: unexpected field/],
    [{ type: 'reveal', uri: 'x', version: 1, range: { start: 1, end: 2 } }, /id: missing/],
    [{ type: 'exportResult', uri: 'x', version: 1, requestId: 1, format: 'gif', data: '' }, /format: expected one of "svg", "png"/],
    [{ type: 'trainingProgress', uri: 'x', version: 1, progress: { epoch: 1 } }, /progress\.epochs: missing/],
  ];
  for (const [value, pattern] of cases) {
    const result = validateWebviewMessage(value);
    assert.equal(result.ok, false, JSON.stringify(value));
    if (!result.ok) assert.match(result.error, pattern);
  }
});

test('host messages with a real payload validate; a corrupted one names the field', () => {
  const graph = payloadOf('resnet20');
  const diagnostics = { errors: 0, warnings: 0, firstError: '', firstErrorLine: 0 };
  assert.equal(validateHostMessage({ type: 'graph', uri: 'u', version: 1, graph, diagnostics }).ok, true);
  const broken = structuredClone(graph);
  (broken.nodes[3] as unknown as Record<string, unknown>).params = 'many';
  const result = validateHostMessage({ type: 'graph', uri: 'u', version: 1, graph: broken, diagnostics });
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.error, /graph\.nodes\[3\]\.params: expected a whole number as a decimal string/);
});

test('staleness: older versions and other documents are dropped', () => {
  const filter = new StalenessFilter();
  assert.equal(filter.accept({ uri: 'a', version: 2 }), true);
  assert.equal(filter.accept({ uri: 'a', version: 1 }), false);
  assert.equal(filter.accept({ uri: 'a', version: 2 }), true);
  assert.equal(filter.accept({ uri: 'a', version: 5 }), true);
  assert.equal(filter.accept({ uri: 'b', version: 9 }, 'a'), false);
  assert.equal(filter.accept({ uri: 'b', version: 1 }), true);
  assert.deepEqual(filter.current, { uri: 'b', version: 1 });
});

test('resnet20 payload: nodes, add merges, channels on edges, nothing collapsed', () => {
  const graph = payloadOf('resnet20');
  assert.equal(graph.nodes.length, 78);
  assert.equal(graph.groups.length, 12);
  assert.equal(graph.nodes.filter((n) => n.merge === 'add').length, 9);
  assert.equal(graph.groups.filter((g) => g.collapsed).length, 0);
  assert.equal(graph.totals.params, '269722', 'counts cross postMessage as exact decimal digits');
  const add = graph.nodes.find((n) => n.id === 'layer2/basic1/add1')!;
  assert.deepEqual(add.shape, [16, 16, 32]);
  const intoAdd = graph.edges.filter((e) => e.target === add.id);
  assert.deepEqual(intoAdd.map((e) => e.channels), [32, 32]);
  assert.equal(graph.groups.find((g) => g.id === 'layer1')!.size, 24);
  assert.equal(add.line, 8);
});

test('densenet121 payload: provenance text, dense edges from every preceding layer, glyph, default collapse', () => {
  const graph = payloadOf('densenet121');
  const concat6 = graph.nodes.find((n) => n.id === 'denseblock1/denselayer6/concat1')!;
  assert.equal(concat6.merge, 'concat');
  assert.equal(concat6.featureMaps, 256);
  assert.match(concat6.provenanceText, /^256 = conv0 64 \+ denselayer1\/conv2 32 \+ /);
  assert.equal(concat6.provenance.length, 7);
  const intoConcat6 = graph.edges.filter((e) => e.target === concat6.id);
  // Its two real inputs (the previous concat, kept for layout as 'chain', and its own conv2), then one dense
  // edge from the block input and from each earlier layer.
  assert.deepEqual(intoConcat6.map((e) => `${e.kind} ${e.source} ${e.channels}`), [
    'chain denseblock1/denselayer5/concat1 224',
    'data denseblock1/denselayer6/conv2 32',
    'dense pool0 64',
    ...[1, 2, 3, 4, 5].map((l) => `dense denseblock1/denselayer${l}/conv2 32`),
  ]);
  assert.equal(graph.edges.filter((e) => e.kind === 'dense').length, 20 + 77 + 299 + 135); // n(n+1)/2 − 1 per block of n layers
  const block = graph.groups.find((g) => g.id === 'denseblock1')!;
  assert.ok(block.dense);
  assert.deepEqual(block.dense.sources, ['pool0', 'denselayer1', 'denselayer2', 'denselayer3', 'denselayer4', 'denselayer5', 'denselayer6']);
  assert.deepEqual(block.dense.channels[0], [64, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(block.dense.channels[5], [64, 32, 32, 32, 32, 32, 0]);
  assert.equal(graph.groups.find((g) => g.id === 'transition1')!.dense, null);
  // 427 nodes > 150: the layer level collapses, which is enough.
  assert.equal(graph.nodes.length, 427);
  assert.equal(block.collapsed, false);
  assert.equal(graph.groups.find((g) => g.id === 'denseblock1/denselayer1')!.collapsed, true);
  assert.ok(visibleCount(graph.groups, graph.nodes.length) <= 150);
  const transition = graph.groups.find((g) => g.id === 'transition1')!;
  assert.equal(transition.collapsed, false); // it has no inner groups to collapse
  assert.deepEqual(transition.outputShape, [28, 28, 128]);
});

test('a high threshold keeps everything expanded; a low one collapses to the top level', () => {
  assert.equal(payloadOf('densenet121', 10_000).groups.filter((g) => g.collapsed).length, 0);
  const tiny = payloadOf('densenet121', 5);
  assert.equal(tiny.groups.filter((g) => g.collapsed).length, tiny.groups.length);
  assert.equal(visibleCount(tiny.groups, tiny.nodes.length), 8 + 8); // 8 model-level nodes + 4 dense blocks + 4 transitions
});

test('answers: resnet20 payload carries its findings and the exact path counts; corrupted answers are named', () => {
  const payload = payloadOf('resnet20');
  assert.deepEqual(
    payload.answers!.paths.map((p) => [p.length, p.count]),
    [[2, '1'], [4, '9'], [6, '36'], [8, '84'], [10, '126'], [12, '126'], [14, '84'], [16, '36'], [18, '9'], [20, '1']],
  );
  assert.ok(payload.answers!.findings.some((f) => f.topic === 'paths' && f.values.total === '512'));
  const message = { type: 'graph', uri: 'file:///a.skipnet', version: 1, graph: payload, diagnostics: { errors: 0, warnings: 0, firstError: '', firstErrorLine: 0 } };
  assert.equal(validateHostMessage(message).ok, true);
  const corrupt = (answers: unknown): string => {
    const result = validateHostMessage({ ...message, graph: { ...payload, answers } });
    return result.ok ? 'ok' : result.error;
  };
  assert.match(corrupt({ ...payload.answers, paths: [{ length: 2, count: 1 }] }), /graph\.answers\.paths\[0\]\.count: expected a whole number as a decimal string/);
  assert.match(corrupt({ ...payload.answers, paths: [{ length: 2, count: '1e3' }] }), /count: expected a whole number/);
  assert.match(corrupt({ ...payload.answers, findings: [{ ...payload.answers!.findings[0], topic: 'gossip' }] }), /graph\.answers\.findings\[0\]\.topic: expected one of/);
  assert.match(corrupt({ ...payload.answers, findings: [{ ...payload.answers!.findings[0], nodes: [[1]] }] }), /findings\[0\]\.nodes\[0\]\[0\]: expected a string/);
  // DenseNet-121's path count is past 2^53: the digits are exact.
  const dense = payloadOf('densenet121').answers!.paths;
  const total = dense.reduce((s, p) => s + BigInt(p.count), 0n);
  assert.ok(total > 2n ** 53n, String(total));
});

test('compare message: pair findings validate, with node ids per side; a malformed finding is rejected', async () => {
  const { buildCompareMessage } = await import('../../src/compare/model');
  const { validateCompareHostMessage } = await import('../../src/protocol/compare-validate');
  const text = readFileSync(join('examples', 'resnet20.skipnet'), 'utf8');
  const spec = (withoutSkips: boolean) => ({ uri: 'file:///r.skipnet', file: 'r.skipnet', model: 'resnet20', withoutSkips });
  const message = buildCompareMessage([spec(false), spec(true)], [text, text], 1, { collapseThreshold: 150, direction: 'down' });
  const skips = message.findings!.find((f) => f.topic === 'skips')!;
  assert.equal(skips.values.removed, '9');
  assert.equal(skips.nodes.length, 2);
  assert.equal(validateCompareHostMessage(message).ok, true);
  const bad = validateCompareHostMessage({ ...message, findings: [{ ...skips, values: { removed: 9 } }] });
  assert.ok(!bad.ok && /findings\[0\]\.values\.removed: expected a string/.test(bad.error), JSON.stringify(bad));
});

test('mnist_densenet: `block1: repeat 4 dense_layer(8)` is one group block1 of copies block1_1 … block1_4 with a dense glyph', () => {
  const graph = payloadOf('mnist_densenet');
  const block1 = graph.groups.find((g) => g.id === 'block1')!;
  assert.equal(block1.block, 'repeat');
  assert.equal(block1.parent, null);
  assert.deepEqual(graph.groups.filter((g) => g.parent === 'block1').map((g) => g.id), ['block1_1', 'block1_2', 'block1_3', 'block1_4']);
  assert.deepEqual(graph.groups.filter((g) => g.parent === 'block2').map((g) => g.id), ['block2_1', 'block2_2', 'block2_3', 'block2_4']);
  // Ids keep the scope's path (PyTorch's module names): no id starts with the wrapper's name and a slash.
  assert.ok(graph.nodes.some((n) => n.id === 'block1_2/conv1' && n.group === 'block1_2'));
  assert.ok(!graph.nodes.some((n) => n.id.startsWith('block1/') || /^block1[1-4]\//.test(n.id)));
  // The glyph: 16 stem channels, then 8 new ones per layer; layer ℓ reads the input and the ℓ−1 before it.
  assert.deepEqual(block1.dense?.sources, ['conv1', 'block1_1', 'block1_2', 'block1_3', 'block1_4']);
  assert.deepEqual(block1.dense?.channels, [
    [16, 0, 0, 0, 0],
    [16, 8, 0, 0, 0],
    [16, 8, 8, 0, 0],
    [16, 8, 8, 8, 0],
  ]);
  assert.equal(block1.output, 'block1_4/concat1');
  assert.deepEqual(block1.outputShape, [28, 28, 48]);
  // 4 layers × (bn 2·16…40 + conv 9·C·8) summed by the core: the group holds its copies' parameters.
  const copies = graph.groups.filter((g) => g.parent === 'block1').reduce((sum, g) => sum + BigInt(g.params), 0n);
  assert.equal(BigInt(block1.params), copies);
  assert.equal(block1.size, 4 * 4);
});

test('copy names: a label ending in a digit gets an underscore, others keep torchvision’s numbering', () => {
  const ids = (text: string): string[] => analyze(text).models[0].nodes.map((n) => n.id).filter((id) => id !== 'input');
  assert.deepEqual(ids('model m(4x4x1) {\n  conv: repeat 3 conv(2, 1)\n}\n'), ['conv1', 'conv2', 'conv3']);
  assert.deepEqual(ids('model m(4x4x1) {\n  stage2: repeat 12 relu\n}\n').slice(0, 2).concat(ids('model m(4x4x1) {\n  stage2: repeat 12 relu\n}\n').slice(-2)), ['stage2_1', 'stage2_2', 'stage2_11', 'stage2_12']);
  // A label that could be read as another copy is claimed: `b1_2` beside `b1: repeat 2 …` is reported, not renamed.
  const clash = analyze('model m(4x4x1) {\n  b1: repeat 2 relu\n  b1_2: relu\n}\n');
  assert.ok(clash.diagnostics.some((d) => d.severity === 'error' && /b1_2/.test(d.message)), clash.diagnostics.map((d) => d.message).join('\n'));
});

test('answers: path counts of hundreds of digits cross the protocol (the 5,000-layer tower: C(714, k) paths of each length)', () => {
  const analysis = analyze(residualTower(714));
  const payload = buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: [analysis.models[0].name] });
  const counts = payload.answers!.paths.map((p) => BigInt(p.count));
  let binomial = 1n;
  const expected = [binomial];
  for (let k = 1; k <= 714; k++) expected.push((binomial = (binomial * BigInt(714 - k + 1)) / BigInt(k)));
  assert.deepEqual(counts, expected);
  assert.equal(String(expected[357]).length, 214);
  const message = { type: 'graph', uri: 'file:///huge.skipnet', version: 1, graph: payload, diagnostics: { errors: 0, warnings: 0, firstError: '', firstErrorLine: 0 } };
  const result = validateHostMessage(message);
  assert.equal(result.ok ? 'ok' : result.error, 'ok');
  // The bound is on the digits, not the value: a million and one digits are refused with the reason.
  const corrupt = validateHostMessage({ ...message, graph: { ...payload, answers: { ...payload.answers, paths: [{ length: 2, count: '1'.repeat(1_000_001) }] } } });
  assert.match(corrupt.ok ? 'ok' : corrupt.error, /graph\.answers\.paths\[0\]\.count: a whole number of more than 1,000,000 digits/);
});

test('Train both on PyTorch: side-tagged runner lines, per-side controls and experiments, the engine asked for; malformed ones name the field', async () => {
  const { validateCompareHostMessage, validateCompareWebviewMessage } = await import('../../src/protocol/compare-validate');
  const line = JSON.stringify({ type: 'progress', epoch: 1, epochs: 1, step: 3, totalSteps: 250, loss: 2.1, accuracy: 0.25, imagesPerSecond: 90, etaSeconds: 20 });
  const event = { type: 'trainBothEvent', side: 1, run: 4, line };
  const checked = validateCompareHostMessage(event);
  assert.deepEqual(checked.ok && checked.message, event);
  assert.equal(validateCompareHostMessage({ type: 'trainingState', revision: 2, state: 'error', message: 'PyTorch engine: torch 1.13 or newer not found', offerBrowser: true }).ok, true);
  const dataset = { kind: 'builtin', name: 'mnist', url: 'https://x/mnist.bin' };
  const run = (runId: number) => ({ run: { model: 'm', text: 'model m(28x28x1) {}', backend: 'auto', statsInterval: 25, dataset, engine: 'pytorch', runId }, withoutSkips: false });
  const config = { epochs: 1, batch: 32, optimizer: 'momentum', lr: 0.1, momentum: 0.9, weightDecay: 0.0001, seed: 1 };
  assert.equal(validateCompareHostMessage({ type: 'startTrainBoth', revision: 2, runs: [run(1), run(1)], config, plan: 'PyTorch 1.13 · cpu · both at once, 1 thread each: about …' }).ok, true);
  const controls: unknown[] = [
    { type: 'trainBothControl', side: 0, run: 1, action: 'stop' },
    { type: 'trainBothControl', side: 1, run: 1, action: 'experiment', experiment: { command: 'lesion', samples: 500, draws: 5, seed: 1 } },
    { type: 'trainBoth', revision: 3, engine: 'browser' },
    { type: 'trainBoth', revision: 3 },
    { type: 'trainBothData', runs: [3, 5], data: 'U0tORA==' },
  ];
  for (const message of controls) assert.equal(validateCompareWebviewMessage(message).ok, true, JSON.stringify(message));
  const host: [unknown, RegExp][] = [
    [{ ...event, side: 2 }, /^trainBothEvent side: expected one of 0, 1/],
    [{ ...event, run: 0 }, /^trainBothEvent run: below 1/],
    [{ ...event, line: 7 }, /^trainBothEvent line: expected a string/],
    [{ type: 'trainingState', revision: 2, state: 'error', message: 'x', offerBrowser: 'yes' }, /^trainingState offerBrowser: expected a boolean/],
    [{ type: 'startTrainBoth', revision: 2, runs: [run(1), run(1)], config, plan: 3 }, /^startTrainBoth plan: expected a string/],
  ];
  for (const [value, pattern] of host) {
    const result = validateCompareHostMessage(value);
    assert.match(result.ok ? 'ok' : result.error, pattern, JSON.stringify(value));
  }
  const webview: [unknown, RegExp][] = [
    [{ type: 'trainBothControl', side: 0, run: 1, action: 'restart' }, /^trainBothControl action: expected one of "pause", "resume", "stop"/],
    [{ type: 'trainBothControl', side: 0, run: 1.5, action: 'stop' }, /^trainBothControl run: expected an integer/],
    [{ type: 'trainBothControl', side: 0, run: 1, action: 'experiment', experiment: { command: 'lesion', samples: 0, draws: 5, seed: 1 } }, /^trainBothControl experiment\.samples: /],
    [{ type: 'trainBothControl', side: 0, run: 1, action: 'experiment', experiment: { command: 'rm' } }, /^trainBothControl experiment: expected an experiment/],
    [{ type: 'trainBoth', revision: 3, engine: 'tpu' }, /^trainBoth engine: expected one of "browser", "pytorch", "auto"/],
    [{ type: 'trainBothData', runs: [3], data: '' }, /^trainBothData runs: expected the two runs' ids/],
    [{ type: 'trainBothData', runs: [3, 0], data: '' }, /^trainBothData runs\[1\]: below 1/],
    [{ type: 'trainBothData', runs: [3, 5], data: 7 }, /^trainBothData data: expected a string/],
  ];
  for (const [value, pattern] of webview) {
    const result = validateCompareWebviewMessage(value);
    assert.match(result.ok ? 'ok' : result.error, pattern, JSON.stringify(value));
  }
});

test('Compare at initialisation: the host’s initialAlgebra (Train both’s runs before any run) is accepted; malformed ones name the field', async () => {
  const { validateCompareHostMessage } = await import('../../src/protocol/compare-validate');
  const dataset = { kind: 'builtin', name: 'mnist', url: 'https://x/mnist.bin' };
  const run = { run: { model: 'm', text: 'model m(28x28x1) {}', backend: 'auto', statsInterval: 1, dataset }, withoutSkips: false };
  const config = { epochs: 1, batch: 8, optimizer: 'adam', lr: 0.01, momentum: 0.9, weightDecay: 0, seed: 1 };
  const good = { type: 'initialAlgebra', revision: 4, runs: [run, { ...run, withoutSkips: true }], config };
  const checked = validateCompareHostMessage(good);
  assert.deepEqual(checked.ok && checked.message, good);
  const bad: [unknown, RegExp][] = [
    [{ ...good, runs: [run] }, /^initialAlgebra runs: expected two runs/],
    [{ ...good, runs: [run, { ...run, withoutSkips: 'no' }] }, /^initialAlgebra runs\[1\]\.withoutSkips: expected a boolean/],
    [{ ...good, config: { ...config, batch: 0 } }, /^initialAlgebra config\.batch: below 1/],
    [{ ...good, revision: -1 }, /^initialAlgebra revision: below 0/],
  ];
  for (const [value, pattern] of bad) {
    const result = validateCompareHostMessage(value);
    assert.match(result.ok ? 'ok' : result.error, pattern, JSON.stringify(value));
  }
});

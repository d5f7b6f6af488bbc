/** The training messages of the graph protocol: what passes, and what is rejected with the field named. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_FOLDER_DATA_BYTES, validateHostMessage, validateWebviewMessage } from '../../src/protocol';

const uri = 'file:///w/model.skipnet';
const builtinRun = {
  model: 'mnist_resnet',
  text: 'model mnist_resnet(28x28x1) { gap -> dense(10) }',
  backend: 'auto',
  statsInterval: 10,
  dataset: { kind: 'builtin', name: 'mnist', url: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/data/mnist.bin' },
};
const folderRun = {
  ...builtinRun,
  backend: 'wasm',
  dataset: { kind: 'folder', path: 'data/shapes', classes: ['circle', 'square'], images: [{ label: 0, name: 'circle/a.png', data: 'iVBORw0KGgo=' }] },
};

const cifarRun = { ...builtinRun, dataset: { kind: 'cifar', name: 'cifar100', url: 'https://file+.vscode-resource.vscode-cdn.net/tmp/skipnet-cifar-cache/cifar100-0123456789abcdef.bin' } };

test('startTraining with a bundled, a folder or a CIFAR data set validates', () => {
  for (const run of [builtinRun, folderRun, cifarRun]) {
    const result = validateHostMessage({ type: 'startTraining', uri, version: 4, run });
    assert.equal(result.ok, true, result.ok ? '' : result.error);
    if (result.ok && result.message.type === 'startTraining') assert.equal(result.message.run.dataset.kind, run.dataset.kind);
  }
  assert.equal(validateHostMessage({ type: 'trainingRefused', uri, version: 4, message: 'needs trust' }).ok, true);
});

test('malformed training messages are rejected with the path of the problem', () => {
  const host: [unknown, RegExp][] = [
    [{ type: 'startTraining', uri, version: 1, run: { ...builtinRun, backend: 'tpu' } }, /run\.backend: expected one of "auto", "webgpu", "webgl", "wasm", "cpu"/],
    [{ type: 'startTraining', uri, version: 1, run: { ...builtinRun, statsInterval: 0 } }, /run\.statsInterval: below 1/],
    [{ type: 'startTraining', uri, version: 1, run: { ...cifarRun, dataset: { kind: 'cifar', name: 'svhn', url: 'x' } } }, /run\.dataset\.name: expected one of "cifar10", "cifar100"/],
    [{ type: 'startTraining', uri, version: 1, run: { ...builtinRun, dataset: { kind: 'builtin', name: 'cifar10', url: 'x' } } }, /run\.dataset\.name: expected one of "mnist", "fashion-mnist"/],
    [{ type: 'startTraining', uri, version: 1, run: { ...folderRun, dataset: { ...folderRun.dataset, images: [{ label: -1, name: 'a', data: '' }] } } }, /run\.dataset\.images\[0\]\.label: below 0/],
    [{ type: 'startTraining', uri, version: 1, run: { ...builtinRun, eval: 'x' } }, /run\.eval: unexpected field/],
    [{ type: 'trainingRefused', uri, version: 1 }, /message: missing/],
  ];
  for (const [value, pattern] of host) {
    const result = validateHostMessage(value);
    assert.equal(result.ok, false, JSON.stringify(value));
    if (!result.ok) assert.match(result.error, pattern);
  }
  assert.equal(validateWebviewMessage({ type: 'trainingRequest', uri, version: 1, backend: null }).ok, true);
  assert.equal(validateWebviewMessage({ type: 'trainingRequest', uri, version: 1, backend: 'webgpu' }).ok, true);
  const bad = validateWebviewMessage({ type: 'trainingRequest', uri, version: 1, backend: 'cuda' });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.error, /backend: expected one of/);
});

test('the PyTorch engine\'s messages: engine choice, host-run events and controls validate; wrong values are named', () => {
  const good: unknown[] = [
    { type: 'startTraining', uri, version: 2, run: { ...builtinRun, engine: 'pytorch', runId: 3 } },
    { type: 'trainingEngine', uri, version: 2, info: { engine: 'pytorch', reason: 'PyTorch 1.13 at /usr/bin/python3, cpu', speed: null } },
    { type: 'trainingEvent', uri, version: 2, run: 3, line: '{"type":"paused","step":4}' },
    { type: 'trainingRefused', uri, version: 2, message: 'PyTorch engine: torch 1.13 or newer not found — tried: python3: not found (from PATH).', offerBrowser: true },
  ];
  for (const value of good) {
    const result = validateHostMessage(value);
    assert.equal(result.ok, true, result.ok ? '' : result.error);
  }
  for (const value of [
    { type: 'trainingRequest', uri, version: 1, backend: null, engine: 'pytorch' },
    { type: 'trainingRequest', uri, version: 1, backend: 'wasm', engine: null },
    { type: 'trainingControl', uri, version: 1, run: 3, action: 'stop' },
  ]) {
    const result = validateWebviewMessage(value);
    assert.equal(result.ok, true, result.ok ? '' : result.error);
  }
  const bad: [unknown, RegExp][] = [
    [{ type: 'startTraining', uri, version: 1, run: { ...builtinRun, engine: 'jax' } }, /run\.engine: expected one of "browser", "pytorch"/],
    [{ type: 'startTraining', uri, version: 1, run: { ...builtinRun, engine: 'pytorch', runId: 0 } }, /run\.runId: below 1/],
    [{ type: 'trainingEngine', uri, version: 1, info: { engine: 'cuda', reason: '', speed: null } }, /info\.engine: expected one of "browser", "pytorch", "none"/],
    [{ type: 'trainingEvent', uri, version: 1, run: 2, line: 42 }, /line: expected a string/],
  ];
  for (const [value, pattern] of bad) {
    const result = validateHostMessage(value);
    assert.ok(!result.ok && pattern.test(result.error), JSON.stringify(result));
  }
  const control = validateWebviewMessage({ type: 'trainingControl', uri, version: 1, run: 3, action: 'restart' });
  assert.ok(!control.ok && /action: expected one of "pause", "resume", "stop"/.test(control.error));
  const engine = validateWebviewMessage({ type: 'trainingRequest', uri, version: 1, backend: null, engine: 'tfjs' });
  assert.ok(!engine.ok && /engine: expected one of "browser", "pytorch", "auto"/.test(engine.error));
});

test('trainingData (a data folder decoded for the PyTorch engine) validates up to MAX_FOLDER_DATA_BYTES as base64; wrong values are named', () => {
  const good = validateWebviewMessage({ type: 'trainingData', uri, version: 1, run: 3, data: 'U0tORAEAAAA=' });
  assert.equal(good.ok, true, good.ok ? '' : good.error);
  // 256 MiB of bytes is 357,913,944 base64 characters; one more is refused before anything decodes it.
  const limit = Math.ceil(MAX_FOLDER_DATA_BYTES / 3) * 4;
  assert.equal(limit, 357_913_944);
  const bad: [unknown, string][] = [
    [{ type: 'trainingData', uri, version: 1, run: 0, data: '' }, 'trainingData run: below 1'],
    [{ type: 'trainingData', uri, version: 1, run: 3, data: 42 }, 'trainingData data: expected a string'],
    [{ type: 'trainingData', uri, version: 1, run: 3, data: 'A'.repeat(limit + 1) }, `trainingData data: longer than ${limit} characters`],
    [{ type: 'trainingData', uri, version: 1, run: 3, data: '', path: '/etc' }, 'trainingData path: unexpected field'],
  ];
  for (const [value, error] of bad) assert.deepEqual(validateWebviewMessage(value), { ok: false, error });
});

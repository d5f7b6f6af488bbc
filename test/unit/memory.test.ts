import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, formatBytes, oneLineSummary, savedForBackward, trainingMemory } from '../../src/core';

describe('memory and cost', () => {
  const text = 'model tiny(4x4x2) {\n  a: conv(3, 3, pad=1) -> bn -> relu\n  concat(a, in) -> flatten -> dense(5)\n  train { batch: 10; optimizer: adam }\n}';
  const model = analyze(text).models[0];

  it('counts parameters, buffers and MACs of each layer by hand', () => {
    const byId = (id: string) => model.nodeById.get(id)!;
    assert.equal(byId('conv1').params, BigInt(3 * 3 * 2 * 3 + 3));
    assert.equal(byId('conv1').macs, BigInt(4 * 4 * 3 * (3 * 3 * 2)));
    assert.equal(byId('bn1').params, 6n);
    assert.equal(byId('bn1').buffers, 6n);
    assert.deepEqual(byId('concat1').shape, [4, 4, 5]);
    assert.deepEqual(byId('flatten1').provenance, [{ source: 'conv1', channels: 48 }, { source: 'input', channels: 32 }]);
    assert.equal(byId('dense1').params, BigInt(80 * 5 + 5));
    assert.equal(model.totals.params, BigInt(57 + 6 + 405));
  });

  it('activation memory per sample: every non-view output', () => {
    // input 32, conv 48, bn 48, relu 48, concat 80, flatten (view) 0, dense 5
    assert.equal(model.totals.activationElements, BigInt(32 + 48 + 48 + 48 + 80 + 5));
  });

  it('training memory keeps what autograd keeps, each tensor once; BN buffers apart from the weights', () => {
    // conv1 keeps the input (32); bn1 keeps conv1's output (48) and its batch mean and inverse std (2 × 3, per
    // step); relu1 keeps its output (48); concat keeps nothing; dense keeps its input, the flattened concat (80,
    // flatten is a view). The dense layer's output and bn1's output are kept by no one.
    assert.deepEqual(savedForBackward(model), { perSample: BigInt((32 + 48 + 48 + 80) * 4), perStep: BigInt(2 * 3 * 4) });
    const memory = trainingMemory(model);
    assert.equal(memory.batch, 10);
    assert.equal(memory.weights, BigInt(468 * 4));
    assert.equal(memory.buffers, BigInt(6 * 4 + 8), 'running mean and variance, and num_batches_tracked (int64)');
    assert.equal(memory.gradients, BigInt(468 * 4));
    assert.equal(memory.optimizerState, BigInt(468 * 4 * 2), 'adam keeps two moments');
    assert.equal(memory.activations, BigInt(10 * 208 * 4 + 24));
    assert.equal(memory.total, memory.weights + memory.buffers + memory.gradients + memory.optimizerState + memory.activations);
    assert.equal(trainingMemory(model, 1, 'sgd').optimizerState, 0n);
  });

  it('sharing and requires-grad: a ReLU output read by the next conv is one tensor; layers before any weight keep nothing', () => {
    const kept = (body: string) => savedForBackward(analyze(`model m(8x8x2) {\n${body}\n}`).models[0]);
    // relu on the input keeps nothing (nothing requires grad yet); conv keeps the relu's output (128).
    assert.deepEqual(kept('relu -> conv(4, 3, pad=1)'), { perSample: 128n * 4n, perStep: 0n });
    // conv keeps the input (128); relu keeps its output (256), which the second conv keeps as its input: once.
    assert.deepEqual(kept('conv(4, 3, pad=1) -> relu -> conv(4, 3, pad=1)'), { perSample: (128n + 256n) * 4n, perStep: 0n });
    // conv keeps the input (128); max pooling its input (256) and int64 indices of its output (64); dropout a
    // float mask (64); dropout(0) is its input, whose storage GELU keeps (64); gap keeps GELU's output (64);
    // dense keeps gap's output (4).
    assert.deepEqual(kept('conv(4, 1) -> maxpool(2) -> dropout(0.5) -> dropout(0) -> gelu -> gap -> dense(3)'), {
      perSample: 128n * 4n + 256n * 4n + 64n * 8n + 64n * 4n + 64n * 4n + 64n * 4n + 4n * 4n,
      perStep: 0n,
    });
  });

  it('formats sizes and the one-line summary', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(150 * 1024 * 1024), '150 MiB');
    // 468 × 4 × 4 (weights, gradients, 2 Adam moments) + 32 buffers + 8,344 activations = 15,864 bytes.
    assert.equal(oneLineSummary(model), '468 params · 1.3 KMACs · 15.5 KiB to train at batch 10');
  });
});

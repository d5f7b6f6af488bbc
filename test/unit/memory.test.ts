import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, formatBytes, oneLineSummary, trainingMemory } from '../../src/core';

describe('memory and cost', () => {
  const text = 'model tiny(4x4x2) {\n  a: conv(3, 3, pad=1) -> bn -> relu\n  concat(a, in) -> flatten -> dense(5)\n  train { batch: 10; optimizer: adam }\n}';
  const model = analyze(text).models[0];

  it('counts parameters, buffers and MACs of each layer by hand', () => {
    const byId = (id: string) => model.nodeById.get(id)!;
    assert.equal(byId('conv1').params, 3 * 3 * 2 * 3 + 3);
    assert.equal(byId('conv1').macs, 4 * 4 * 3 * (3 * 3 * 2));
    assert.equal(byId('bn1').params, 6);
    assert.equal(byId('bn1').buffers, 6);
    assert.deepEqual(byId('concat1').shape, [4, 4, 5]);
    assert.deepEqual(byId('flatten1').provenance, [{ source: 'conv1', channels: 48 }, { source: 'input', channels: 32 }]);
    assert.equal(byId('dense1').params, 80 * 5 + 5);
    assert.equal(model.totals.params, 57 + 6 + 405);
  });

  it('activation memory: every non-view output, per sample and for a training step', () => {
    // input 32, conv 48, bn 48, relu 48, concat 80, flatten (view) 0, dense 5
    assert.equal(model.totals.activationElements, 32 + 48 + 48 + 48 + 80 + 5);
    const memory = trainingMemory(model);
    assert.equal(memory.batch, 10);
    assert.equal(memory.weights, (468 + 6) * 4);
    assert.equal(memory.gradients, 468 * 4);
    assert.equal(memory.optimizerState, 468 * 4 * 2, 'adam keeps two moments');
    assert.equal(memory.activations, 261 * 4 * 10);
    assert.equal(memory.total, memory.weights + memory.gradients + memory.optimizerState + memory.activations);
    assert.equal(trainingMemory(model, 1, 'sgd').optimizerState, 0);
  });

  it('formats sizes and the one-line summary', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(150 * 1024 * 1024), '150 MiB');
    assert.equal(oneLineSummary(model), '468 params · 1.3 KMACs · 17.5 KiB to train at batch 10');
  });
});

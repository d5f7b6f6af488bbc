import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFromTrainingWorker } from '../../webview/training/worker-protocol';

test('the page accepts only messages of the training-worker protocol', () => {
  assert.ok(isFromTrainingWorker({ type: 'ready', versions: 'tfjs 4.22.0' }));
  assert.ok(isFromTrainingWorker({ type: 'done', run: 3, tensors: 0 }));
  assert.ok(isFromTrainingWorker({ type: 'event', run: 1, event: { type: 'paused', step: 4 } }));
  assert.ok(isFromTrainingWorker({ type: 'event', run: 1, event: { type: 'error', message: 'no', code: 'failed' } }));
  for (const bad of [
    null,
    'ready',
    { type: 'ready' },
    { type: 'done', run: 1.5, tensors: 0 },
    { type: 'done', run: 1 },
    { type: 'event', run: 1, event: { type: 'explode' } },
    { type: 'event', run: '1', event: { type: 'paused', step: 1 } },
    { type: 'event', run: 1 },
    { type: 'start', run: 1, settings: {} },
  ]) {
    assert.equal(isFromTrainingWorker(bad), false, JSON.stringify(bad));
  }
});

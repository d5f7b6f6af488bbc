import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLoss, formatTrainingStatus, TrainingStatusBar, type StatusItem } from '../../src/editor/trainingStatus';

test('loss is shown with four significant digits, and divergence is named', () => {
  assert.deepEqual(
    [0.43217, 2.302585, 0.0043219, 12.5, 0, undefined, Number.NaN, Infinity].map(formatLoss),
    ['0.4322', '2.303', '0.004322', '12.5', '0', '…', 'NaN (diverged)', '∞'],
  );
});

test('the status text names the model, epoch, loss and backend', () => {
  assert.deepEqual(formatTrainingStatus({ model: 'resnet20', epoch: 1, epochs: 3, step: 120, stepsPerEpoch: 1875, loss: 0.43217, accuracy: 0.8712, backend: 'webgl' }), {
    text: '$(sync~spin) resnet20 · epoch 1/3 · loss 0.4322 · webgl',
    tooltip: 'Training resnet20 on webgl: epoch 1 of 3, step 120 of 1875, loss 0.4322, accuracy 87.1%. Click to show the graph.',
  });
  assert.deepEqual(formatTrainingStatus({ model: 'm', epoch: 2, step: 0, backend: 'cpu' }), {
    text: '$(sync~spin) m · epoch 2 · loss … · cpu',
    tooltip: 'Training m on cpu: epoch 2, step 0, loss …. Click to show the graph.',
  });
});

test('the bar shows on update, links to the graph, and hides on clear', () => {
  const calls: string[] = [];
  const item: StatusItem = {
    text: '',
    tooltip: undefined,
    command: undefined,
    show: () => calls.push('show'),
    hide: () => calls.push('hide'),
    dispose: () => calls.push('dispose'),
  };
  const bar = new TrainingStatusBar(item);
  assert.equal(bar.text, undefined);
  bar.update({ model: 'mnist_resnet', epoch: 1, epochs: 1, step: 10, loss: 1.5, backend: 'wasm' });
  assert.equal(bar.text, '$(sync~spin) mnist_resnet · epoch 1/1 · loss 1.5 · wasm');
  assert.deepEqual(item.command, { title: 'Show graph', command: 'skipnet.showGraph', arguments: [] });
  bar.clear();
  assert.equal(bar.progress, undefined);
  bar.dispose();
  assert.deepEqual(calls, ['hide', 'show', 'hide', 'dispose']);
});

/**
 * train.js: the training worker. A page starts it (from a blob: URL, see runtime-loader.ts) on the first
 * Start; it holds TensorFlow.js, the backends and the engine, runs any number of runs (Train both runs
 * two, interleaved step by step) and reports their events. Pause, resume and stop arrive as messages and
 * are heard between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bundledVersions } from './backends';
import { TrainingRun } from './runtime';
import type { FromTrainingWorker, ToTrainingWorker } from './worker-protocol';

interface WorkerScope {
  postMessage(message: FromTrainingWorker): void;
  onmessage: ((event: MessageEvent<ToTrainingWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/**
 * A macrotask without setTimeout's 4 ms clamp: the page's queued messages run before it resolves, and a
 * small model's steps are not slowed by the yield.
 */
const yieldChannel = new MessageChannel();
const yieldWaiters: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

const runs = new Map<number, TrainingRun>();
/**
 * Ended runs whose final weights stay for experiments after the end, oldest first. Two: Train both, one after the
 * other, runs both sides in one worker, and each side must stay measurable; an older run's arrays are let go.
 */
export const KEPT_ENDED_RUNS = 2;
const ended: number[] = [];

/** tf.memory().numTensors, or 0 before any backend started (asking then would start the default one). */
function tensorsAlive(): number {
  return tf.engine().backendName ? tf.memory().numTensors : 0;
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'start') {
    const id = message.run;
    const run = new TrainingRun(message.settings, (runEvent) => scope.postMessage({ type: 'event', run: id, event: runEvent }), yieldToMessages, message.peers);
    runs.set(id, run);
    void run.done.then(() => {
      ended.push(id);
      while (ended.length > KEPT_ENDED_RUNS) {
        const oldest = ended.shift()!;
        runs.get(oldest)?.release();
        runs.delete(oldest);
      }
      scope.postMessage({ type: 'done', run: id, tensors: tensorsAlive() });
    });
    return;
  }
  const run = runs.get(message.run);
  if (message.type === 'pause') run?.pause();
  else if (message.type === 'resume') run?.resume();
  else if (message.type === 'stop') run?.stop();
  else if (message.type === 'lesion') run?.lesion(message.settings);
  else if (message.type === 'lesion-cancel') run?.cancelLesion();
  else if (message.type === 'landscape') run?.landscape(message.action);
};

scope.postMessage({ type: 'ready', versions: bundledVersions() });

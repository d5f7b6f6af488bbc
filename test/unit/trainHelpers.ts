import { analyze, type ModelGraph } from '../../src/core';
import type { ImageDataset } from '../../src/train/data';
import type { TrainEvent, TrainingEngine, TrainResult } from '../../src/train/engine';
import { SeededRandom } from '../../src/train/rng';

/** Helpers shared by the training tests (not a test file itself). */

export function graphOf(text: string): ModelGraph {
  const analysis = analyze(text);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  return analysis.models[0];
}

/**
 * A small learnable data set: class c images have a bright pixel block whose position depends on c,
 * plus noise. `pixels` lets a test give exact images instead.
 */
export function syntheticDataset(options: { size: number; channels?: number; classes?: number; train: number; test: number; seed?: number }): ImageDataset {
  const { size, train, test } = options;
  const channels = options.channels ?? 1;
  const classes = options.classes ?? 10;
  const random = new SeededRandom(options.seed ?? 7);
  const make = (count: number) => {
    const labels = new Uint8Array(count);
    const pixels = new Uint8Array(count * size * size * channels);
    for (let i = 0; i < count; i++) {
      const label = i % classes;
      labels[i] = label;
      for (let p = 0; p < size * size * channels; p++) {
        const pixel = Math.floor(p / channels);
        const bright = pixel % classes === label;
        pixels[i * size * size * channels + p] = Math.min(255, Math.floor((bright ? 200 : 20) + random.next() * 40));
      }
    }
    return { count, labels, pixels };
  };
  return { name: 'synthetic', height: size, width: size, channels, classes: Array.from({ length: classes }, (_, i) => String(i)), train: make(train), test: make(test) };
}

export const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One data-parallel replica of a test run: its reported losses and events, its weights at the end, its result. */
export interface Replica {
  losses: number[];
  events: TrainEvent[];
  weights: Map<string, Float32Array>;
  result: Promise<TrainResult>;
  engine: TrainingEngine;
}

/** Every parameter and running statistic of the engine's model, by name. */
export function snapshot(engine: TrainingEngine): Map<string, Float32Array> {
  const model = engine.currentModel!;
  const out = new Map<string, Float32Array>();
  for (const p of model.params) out.set(p.name, p.variable.dataSync() as Float32Array);
  for (const [id, r] of model.running) {
    out.set(`${id}/running_mean`, r.mean.dataSync() as Float32Array);
    out.set(`${id}/running_var`, r.variance.dataSync() as Float32Array);
  }
  return out;
}

/** An onEvent that records a replica's events and losses, and its weights when it reports step `steps`. */
export function recordReplica(replica: Replica, steps: number): (event: TrainEvent) => void {
  return (event) => {
    replica.events.push(event);
    if (event.type === 'progress') {
      replica.losses.push(event.loss);
      if (event.step === steps) replica.weights = snapshot(replica.engine);
    }
  };
}

/**
 * What "Train both" trains, decided from the two texts before anything is sent: both models must exist
 * and analyse without errors (with the ablation where a side has it on), and both get side A's train
 * section (data set, epochs, batch, optimizer, learning rate, seed), so the seeded engine gives them the
 * same batches in the same order. Pure (no `vscode`).
 */
import { type Analysis, analyze, type TrainingConfig, withoutSkipConnections } from '../core';
import type { SharedTrainingConfig } from '../protocol/compare-messages';
import type { SideSpec } from './model';

export type TrainBothPlan = { ok: true; training: TrainingConfig; shared: SharedTrainingConfig } | { ok: false; message: string };

const SIDE = ['A', 'B'] as const;

export function planTrainBoth(specs: readonly [SideSpec, SideSpec], texts: readonly [string, string]): TrainBothPlan {
  let training: TrainingConfig | undefined;
  for (const index of [0, 1] as const) {
    const spec = specs[index];
    const analysis: Analysis = spec.withoutSkips ? withoutSkipConnections(texts[index]) : analyze(texts[index]);
    const model = analysis.models.find((m) => m.name === spec.model);
    if (!model) return { ok: false, message: `Side ${SIDE[index]}: ${spec.file} has no model '${spec.model}' to train.` };
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0 || !model.complete) {
      const first = errors[0] ? ` (first: line ${analysis.lines.positionAt(errors[0].range.start).line + 1}: ${errors[0].message})` : '';
      return { ok: false, message: `Side ${SIDE[index]}: ${spec.model}${spec.withoutSkips ? ' without skips' : ''} has errors${first}; fix them before training.` };
    }
    training ??= model.training;
  }
  const { dataset: _dataset, ...shared } = training!;
  return { ok: true, training: training!, shared };
}

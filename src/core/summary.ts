import type { Analysis } from './analyze';
import type { Diagnostic } from './diagnostics';
import type { ModelGraph } from './graph';
import { activationBytes, formatBytes, formatCount, formatMacs, trainingMemory } from './memory';
import { describeProvenance } from './provenance';
import { formatShape } from './values';

export interface SummaryRow {
  id: string;
  op: string;
  shape: string;
  featureMaps: string;
  params: number;
  macs: number;
  activationBytes: number;
}

export interface ModelSummary {
  model: string;
  input: string;
  rows: SummaryRow[];
  totals: {
    params: number;
    buffers: number;
    macs: number;
    activationBytesPerSample: number;
    training: ReturnType<typeof trainingMemory>;
  };
  complete: boolean;
}

/** One row per layer, like torchinfo, plus totals: the data behind `skipnet summary`. */
export function summarize(model: ModelGraph, batch = model.training.batch): ModelSummary {
  return {
    model: model.name,
    input: formatShape(model.inputShape),
    rows: model.nodes.map((node) => ({
      id: node.id,
      op: node.kind,
      shape: formatShape(node.shape),
      featureMaps: describeProvenance(node),
      params: node.params,
      macs: node.macs,
      activationBytes: activationBytes(node),
    })),
    totals: {
      params: model.totals.params,
      buffers: model.totals.buffers,
      macs: model.totals.macs,
      activationBytesPerSample: model.totals.activationElements * 4,
      training: trainingMemory(model, batch),
    },
    complete: model.complete,
  };
}

/** A one-line summary, as the CodeLens shows it. */
export function oneLineSummary(model: ModelGraph, batch = model.training.batch): string {
  const memory = trainingMemory(model, batch);
  return `${formatCount(model.totals.params)} params · ${formatMacs(model.totals.macs)}MACs · ${formatBytes(memory.total)} to train at batch ${batch}`;
}

/** `file:line:col: severity: message [code]`, 1-based, as compilers print it. */
export function formatDiagnostic(fileName: string, analysis: Analysis, diagnostic: Diagnostic): string {
  const position = analysis.lines.positionAt(diagnostic.range.start);
  return `${fileName}:${position.line + 1}:${position.character + 1}: ${diagnostic.severity}: ${diagnostic.message} [${diagnostic.code}]`;
}

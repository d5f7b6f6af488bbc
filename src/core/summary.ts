import type { Analysis } from './analyze';
import type { Diagnostic } from './diagnostics';
import type { ModelGraph } from './graph';
import { activationBytes, formatBytes, formatCount, formatMacs, savedForBackward, trainingMemory } from './memory';
import { describeProvenance } from './provenance';
import { formatShape } from './values';

export interface SummaryRow {
  id: string;
  /** The layer kind; `conv, shared with fa/conv1` for tied weights (`shared(label)`), whose parameters are counted there. */
  op: string;
  shape: string;
  featureMaps: string;
  params: bigint;
  macs: bigint;
  /** The output's bytes per sample (0 for views). */
  activationBytes: bigint;
}

export interface ModelSummary {
  model: string;
  input: string;
  rows: SummaryRow[];
  /** Counts and bytes are bigint (exact past 2^53); `summaryJson` writes them as decimal strings. */
  totals: {
    params: bigint;
    buffers: bigint;
    macs: bigint;
    /** Every non-view layer's output for one sample. */
    activationBytesPerSample: bigint;
    /** What autograd keeps per sample (the part of the training activations that scales with the batch). */
    savedBytesPerSample: bigint;
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
      op: node.sharedWith ? `${node.kind}, shared with ${node.sharedWith}` : node.kind,
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
      activationBytesPerSample: model.totals.activationElements * 4n,
      savedBytesPerSample: savedForBackward(model).perSample,
      training: trainingMemory(model, batch),
    },
    complete: model.complete,
  };
}

/**
 * JSON text of summaries (`skipnet summary --json`). JSON numbers are doubles, so every bigint (counts,
 * bytes) is written as a decimal string of its exact digits: `"params": "269722"`.
 */
export function summaryJson(value: ModelSummary | ModelSummary[]): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
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

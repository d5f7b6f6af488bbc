import type { DiagnosticSink, RelatedInformation } from './diagnostics';
import type { GraphNode, ModelGraph } from './graph';
import type { Range } from './text';
import { elementCount } from './values';

/**
 * Layers that normalise with batch statistics in training. Each channel's mean and variance are taken over
 * batch × H × W values (batch × 1 for a flat input), so at one value per channel the variance is 0, the
 * output is β whatever the input, and no gradient reaches the layers before it. PyTorch refuses this case
 * (torch.nn.functional.batch_norm: "Expected more than 1 value per channel when training").
 */
export const BATCH_STATISTICS_KINDS: ReadonlySet<string> = new Set(['bn']);

/**
 * Values each channel of a batch-statistics layer's input holds per training step at batch `batch`:
 * batch × H × W for an H×W×C input, batch for a flat [C] one. Null while the shape is unknown.
 */
export function valuesPerChannel(node: GraphNode, batch: number): number | null {
  if (!node.shape) return null;
  return batch * (elementCount(node.shape) / node.shape[node.shape.length - 1]);
}

/** The batch-statistics layers of `graph` that would see a single value per channel at batch `batch`, in graph order. */
export function singleValueNorms(graph: ModelGraph, batch: number): GraphNode[] {
  return graph.nodes.filter((node) => BATCH_STATISTICS_KINDS.has(node.kind) && valuesPerChannel(node, batch) === 1);
}

/**
 * Why one layer cannot train at `batch`: the sentence shared by the diagnostic and the engine's TrainError.
 * `name` is how the layer is named (its label in the source, or its full id), `origin` follows the batch.
 */
export function singleValueMessage(node: GraphNode, batch: number, origin = '', name = node.name): string {
  const shape = node.shape!;
  const per = shape.length === 1 ? `a flat input of ${shape[0]} features` : `a ${shape.slice(0, -1).join('×')} feature map`;
  return (
    `${node.kind} '${name}' normalises 1 value per channel in training (batch ${batch}${origin} × ${per}): its batch variance is 0, so it ` +
    `outputs β whatever its input and passes no gradient back (PyTorch refuses it: "Expected more than 1 value per channel when training"). ` +
    `Train with batch ≥ 2.`
  );
}

/**
 * Reports `bn-single-value` at each batch-statistics layer that would see one value per channel at `batch`
 * (error severity: training it is meaningless). A layer written in a block body is reported once at the body,
 * with every offending block instance in its related information; `batchRange`, when given, is where the batch
 * was set. `origin` is appended to the batch in the message (e.g. ' (from --batch)').
 */
export function checkBatchStatistics(graph: ModelGraph, batch: number, sink: DiagnosticSink, batchRange?: Range, origin = ''): void {
  const byRange = new Map<string, GraphNode[]>();
  for (const node of singleValueNorms(graph, batch)) {
    const key = `${node.range.start}:${node.range.end}`;
    byRange.set(key, [...(byRange.get(key) ?? []), node]);
  }
  for (const nodes of byRange.values()) {
    const related: RelatedInformation[] = [];
    for (const node of nodes) {
      const group = node.group ? graph.groupById.get(node.group) : undefined;
      if (group) related.push({ range: group.callRange, message: `in block instance ${group.id}` });
    }
    if (batchRange) related.push({ range: batchRange, message: `batch ${batch} is set here` });
    sink.add('bn-single-value', singleValueMessage(nodes[0], batch, origin), nodes[0].range, related);
  }
}

/**
 * The graph payload: what the webview needs to draw one model, derived from the core's `ModelGraph`.
 * Plain JSON (it crosses `postMessage`), ids identical to the core's so view state survives edits.
 * Parameter and MAC counts and byte sizes are decimal strings of the core's exact bigints (`BigInt(text)`
 * reads them back): a JSON number would round them past 2^53.
 */
import { activationBytes, describeProvenance, segmentLabel } from '../core/index';
import type { GraphNode, ModelGraph } from '../core/graph';
import type { LineIndex } from '../core/text';
import { findings, type Finding } from '../core/findings';
import { pathCounts } from '../core/paths';
import type { OffsetRange } from './messages';

/** How a merge combines its inputs: `add` sums same-shape tensors (ResNet), `concat` stacks them along channels (DenseNet). */
export type MergeKind = 'add' | 'concat';

/** One producer's slice of a node's output channels (provenance), in channel order. */
export interface PayloadSegment {
  /** Producing node id; '' for zero channels of a zeropad shortcut. */
  source: string;
  label: string;
  channels: number;
}

/**
 * One drawn layer. Shapes are NHWC without the batch axis; counts are exact decimal strings (parameters,
 * MACs per sample, bytes per sample).
 */
export interface PayloadNode {
  /** The core's node id (stable across edits, used by view state). */
  id: string;
  kind: string;
  label: string;
  /** Output shape without batch axis ([H,W,C] or [N]); null when unknown. */
  shape: number[] | null;
  featureMaps: number | null;
  /** e.g. "256 = pool0 64 + denselayer1/conv2 32 + …", the core's wording. */
  provenanceText: string;
  provenance: PayloadSegment[];
  /** Decimal digits, exact. */
  params: string;
  macs: string;
  /** Activation memory of one sample's output in bytes (0 for views), decimal digits. */
  memoryBytes: string;
  range: OffsetRange;
  /** 1-based line of `range.start`, for display. */
  line: number;
  group: string | null;
  merge: MergeKind | null;
  /**
   * Id of the node whose weights this one applies again (`shared(label)`, tied weights), or null. Its
   * `params` are then 0: the weights are counted once, at that node, as PyTorch's `parameters()` yields a
   * module called twice once.
   */
  sharedWith: string | null;
}

/** A dense block's compact glyph: which layer reads channels from which earlier source (lower triangle). */
export interface DenseGlyph {
  /** Child groups (the block's layers) in order. */
  layers: string[];
  /** Column labels: the block's input, then each layer. */
  sources: string[];
  /** channels[l][s]: channels layer l's input holds from source s (0 when none). */
  channels: number[][];
}

/** One block instance or labelled repeat, drawn as a frame (expanded) or one glyph node (collapsed). */
export interface PayloadGroup {
  /** The core's group id (stable across edits). */
  id: string;
  label: string;
  /** Block name, or 'repeat'. */
  block: string;
  parent: string | null;
  /** Collapsed by default (the model is larger than the collapse threshold). */
  collapsed: boolean;
  /** Decimal digits, exact. */
  params: string;
  macs: string;
  /** The call site of this block instance. */
  range: OffsetRange;
  line: number;
  output: string | null;
  outputShape: number[] | null;
  /** Nodes inside, at any depth. */
  size: number;
  depth: number;
  dense: DenseGlyph | null;
  /** Id of the block instance whose weights this one applies again (`shared(label)`), or null; see PayloadNode.sharedWith. */
  sharedWith: string | null;
}

/** One connection from a producing node to a consuming node. */
export interface PayloadEdge {
  id: string;
  source: string;
  target: string;
  /** Channels carried (the source's last dimension); null when unknown. */
  channels: number | null;
  /**
   * 'data': an input, laid out and drawn. 'dense': a concat input flattened to the layer that produced
   * it (DenseNet's edge from every preceding layer, Fig. 1), drawn as an arc beside the block but left
   * out of the layout (thousands of long edges would cost seconds). 'chain': a concat reading another
   * concat, which the dense edges replace on screen; kept for the layout only.
   */
  kind: EdgeKind;
}

/** How an edge is laid out and drawn; see PayloadEdge.kind. */
export type EdgeKind = 'data' | 'dense' | 'chain';

/**
 * Everything the graph view draws for one model: sent in the host's `graph` message, rebuilt on every edit
 * (throttled). `inputShape` is NHWC without the batch axis ([H, W, C], or [N] for a flat input).
 */
export interface GraphPayload {
  /** The model drawn (one of `models`). */
  model: string;
  /** Every model in the file, for the picker. */
  models: string[];
  inputShape: number[];
  /** params, macs and activationBytes (per sample) as decimal digits, exact. */
  totals: { params: string; macs: string; activationBytes: string; layers: number };
  nodes: PayloadNode[];
  groups: PayloadGroup[];
  edges: PayloadEdge[];
  complete: boolean;
  /** Findings and path counts for the answer panel (absent from payloads built without them). */
  answers?: AnswersPayload;
}

/** How a payload is built. */
export interface PayloadOptions {
  /** Above this many nodes, groups are collapsed (deepest level first) until at most this many show. */
  collapseThreshold: number;
  models?: string[];
}

/** The merge kind of a layer kind: 'add', 'concat', or null for every other layer. */
export function mergeKindOf(kind: string): MergeKind | null {
  return kind === 'add' ? 'add' : kind === 'concat' ? 'concat' : null;
}

/** Builds the payload for one model; `lines` maps offsets to the 1-based lines shown in tooltips. */
export function buildGraphPayload(model: ModelGraph, lines: LineIndex, options: PayloadOptions): GraphPayload {
  const lineOf = (offset: number): number => lines.positionAt(offset).line + 1;
  const nodes: PayloadNode[] = model.nodes.map((node) => ({
    id: node.id,
    kind: node.kind,
    label: node.name,
    shape: node.shape ? node.shape.slice() : null,
    featureMaps: node.shape ? node.shape[node.shape.length - 1] : null,
    provenanceText: describeProvenance(node),
    provenance: node.provenance.map((s) => ({ source: s.source, label: segmentLabel(s, node), channels: s.channels })),
    params: node.params.toString(),
    macs: node.macs.toString(),
    memoryBytes: activationBytes(node).toString(),
    range: { start: node.range.start, end: node.range.end },
    line: lineOf(node.range.start),
    group: node.group,
    merge: mergeKindOf(node.kind),
    sharedWith: node.sharedWith,
  }));
  const edges = buildEdges(model);
  const groups = buildGroups(model, lineOf);
  applyDefaultCollapse(groups, nodes.length, options.collapseThreshold);
  return {
    model: model.name,
    models: options.models ?? [model.name],
    inputShape: model.inputShape.slice(),
    totals: { params: model.totals.params.toString(), macs: model.totals.macs.toString(), activationBytes: (model.totals.activationElements * 4n).toString(), layers: model.totals.layers },
    nodes,
    groups,
    edges,
    complete: model.complete,
    answers: buildAnswers(model),
  };
}

function channelsOfNode(node: GraphNode | undefined): number | null {
  return node?.shape ? node.shape[node.shape.length - 1] : null;
}

/**
 * One edge per input, except that a concat reading another concat is flattened to that concat's own
 * contributors: a DenseNet layer then shows an edge from the block input and from every preceding
 * layer (the paper's Fig. 1) instead of a chain of concats.
 */
function buildEdges(model: ModelGraph): PayloadEdge[] {
  const edges: PayloadEdge[] = [];
  const contributors = new Map<string, string[]>();
  const flatten = (node: GraphNode): string[] => {
    const cached = contributors.get(node.id);
    if (cached) return cached;
    const out: string[] = [];
    for (const input of node.inputs) {
      const source = model.nodeById.get(input);
      if (source && source.kind === 'concat') out.push(...flatten(source));
      else out.push(input);
    }
    contributors.set(node.id, out);
    return out;
  };
  for (const node of model.nodes) {
    const edge = (source: string, index: number, kind: EdgeKind): void => {
      if (model.nodeById.has(source)) edges.push({ id: `${source}->${node.id}#${kind === 'dense' ? 'd' : ''}${index}`, source, target: node.id, channels: channelsOfNode(model.nodeById.get(source)), kind });
    };
    const chained = node.kind === 'concat' && node.inputs.some((i) => model.nodeById.get(i)?.kind === 'concat');
    node.inputs.forEach((source, index) => edge(source, index, chained && model.nodeById.get(source)?.kind === 'concat' ? 'chain' : 'data'));
    if (chained) {
      const direct = new Set(node.inputs);
      flatten(node).forEach((source, index) => {
        if (!direct.has(source)) edge(source, index, 'dense');
      });
    }
  }
  return edges;
}

function buildGroups(model: ModelGraph, lineOf: (offset: number) => number): PayloadGroup[] {
  const depthOf = new Map<string, number>();
  const size = new Map<string, number>();
  for (const group of model.groups) {
    let depth = 0;
    for (let p = group.parent; p; p = model.groupById.get(p)?.parent ?? null) depth++;
    depthOf.set(group.id, depth);
  }
  for (const node of model.nodes) {
    for (let g = node.group; g; g = model.groupById.get(g)?.parent ?? null) size.set(g, (size.get(g) ?? 0) + 1);
  }
  const children = new Map<string, string[]>();
  for (const group of model.groups) if (group.parent) children.set(group.parent, [...(children.get(group.parent) ?? []), group.id]);
  return model.groups.map((group) => ({
    id: group.id,
    label: group.name,
    block: group.block,
    parent: group.parent,
    collapsed: false,
    params: group.params.toString(),
    macs: group.macs.toString(),
    range: { start: group.callRange.start, end: group.callRange.end },
    line: lineOf(group.callRange.start),
    output: group.output,
    outputShape: group.output ? (model.nodeById.get(group.output)?.shape?.slice() ?? null) : null,
    size: size.get(group.id) ?? 0,
    depth: depthOf.get(group.id) ?? 0,
    dense: denseGlyph(model, children.get(group.id) ?? []),
    sharedWith: group.sharedWith,
  }));
}

/**
 * A group is a dense block when it has at least two child groups each ending in a concat whose first
 * input is the previous child's output (or, for the first, the block's input). The glyph records, from
 * provenance, how many channels of each layer's input come from each earlier source.
 */
function denseGlyph(model: ModelGraph, childIds: string[]): DenseGlyph | null {
  if (childIds.length < 2) return null;
  const layers = childIds.map((id) => model.groupById.get(id)).filter((g) => g !== undefined);
  const outputs = layers.map((g) => (g.output ? model.nodeById.get(g.output) : undefined));
  if (outputs.some((o) => !o || o.kind !== 'concat')) return null;
  for (let i = 1; i < outputs.length; i++) if (outputs[i]!.inputs[0] !== outputs[i - 1]!.id) return null;
  const blockInput = model.nodeById.get(outputs[0]!.inputs[0]);
  if (!blockInput) return null;
  // Source columns: whatever channels the block input holds, then the new channels of each layer.
  const inputSources = new Set(blockInput.provenance.map((s) => s.source));
  const layerSources = outputs.map((o) => {
    const known = new Set(model.nodeById.get(o!.inputs[0])?.provenance.map((s) => s.source));
    return new Set(o!.provenance.map((s) => s.source).filter((s) => !known.has(s)));
  });
  const channels = outputs.map((_, l) => {
    const reader = model.nodeById.get(outputs[l]!.inputs[0])!;
    const row: number[] = [];
    row.push(reader.provenance.filter((s) => inputSources.has(s.source)).reduce((sum, s) => sum + s.channels, 0));
    for (let s = 0; s < outputs.length; s++) row.push(s < l ? reader.provenance.filter((seg) => layerSources[s].has(seg.source)).reduce((sum, seg) => sum + seg.channels, 0) : 0);
    return row;
  });
  return { layers: layers.map((g) => g.id), sources: [blockInput.name, ...layers.map((g) => g.name)], channels };
}

/** Collapses the deepest level of groups, then the next, until no more than `threshold` items show. */
export function applyDefaultCollapse(groups: PayloadGroup[], nodeCount: number, threshold: number): void {
  for (const group of groups) group.collapsed = false;
  if (nodeCount <= threshold || groups.length === 0) return;
  const maxDepth = Math.max(...groups.map((g) => g.depth));
  for (let depth = maxDepth; depth >= 0; depth--) {
    for (const group of groups) if (group.depth === depth) group.collapsed = true;
    if (visibleCount(groups, nodeCount) <= threshold) return;
  }
}

/** Items drawn when the groups marked collapsed are closed: nodes outside them plus one per outermost closed group. */
export function visibleCount(groups: PayloadGroup[], nodeCount: number): number {
  const byId = new Map(groups.map((g) => [g.id, g]));
  let hidden = 0;
  let shown = 0;
  for (const group of groups) {
    if (!group.collapsed) continue;
    let outer = true;
    for (let p = group.parent; p; p = byId.get(p)?.parent ?? null) if (byId.get(p)?.collapsed) outer = false;
    if (outer) {
      hidden += group.size;
      shown++;
    }
  }
  return nodeCount - hidden + shown;
}

// ── Answers: the findings and path counts the answer panels show ──

/** One finding as it crosses postMessage: the core's `Finding` (already plain strings). */
export type FindingPayload = Finding;

/** How many input → output paths have `length` weighted layers (conv, dense); `count` as decimal digits, exact. */
export interface PathLengthPayload {
  length: number;
  count: string;
}

/**
 * What the answer panel shows for one model: the core's findings and the exact input → output path counts
 * by length (Veit, Wilber & Belongie 2016, section 4). Counts travel as decimal digits: DenseNet-121 has
 * more paths than a double holds exactly.
 */
export interface AnswersPayload {
  findings: FindingPayload[];
  /** Path counts by length, shortest first; empty when no path joins the input to the output. */
  paths: PathLengthPayload[];
}

/** Findings and path counts of one model (core `findings`, `pathCounts`). Pure. */
export function buildAnswers(model: ModelGraph): AnswersPayload {
  const paths = pathCounts(model);
  return {
    findings: findings(model, undefined, { paths }),
    paths: paths.lengths.map((l) => ({ length: l.length, count: l.count.toString() })),
  };
}

/** Findings about a pair (core `findings(a, b)`): "B has 3.78× the parameters of A", the ablation's effect, …; nodes[0] are A's ids, nodes[1] B's. */
export function buildPairFindings(a: ModelGraph, b: ModelGraph, labels: [string, string], batch: number): FindingPayload[] {
  return findings(a, b, { labels, batch });
}

import type { ChannelSegment, GraphNode, ModelGraph } from './graph';

/**
 * Label of a segment's source, without the block path it shares with the node that reads it:
 * read from `denseblock1/denselayer6/concat1`, `denseblock1/denselayer1/conv2` is `denselayer1/conv2`.
 */
export function segmentLabel(segment: ChannelSegment, reader?: GraphNode): string {
  if (segment.source === '') return 'zeros';
  if (!reader) return segment.source;
  const source = segment.source.split('/');
  const own = reader.id.split('/');
  let shared = 0;
  // Keep the reader's own block name, so a layer's channels read `denselayer6/conv2`, not a bare `conv2`.
  while (shared < source.length - 1 && shared < own.length - 2 && source[shared] === own[shared]) shared++;
  return source.slice(shared).join('/');
}

/**
 * "256 = conv0 64 + denseblock1/layer1/conv2 32 + …": where a tensor's feature maps come from.
 * Long lists keep the first and last few segments so a hover stays readable. An add reads
 * "32 = conv2 32 + zeropad 32, summed": each input is as wide as the output, and the add sums them channel by channel.
 */
export function describeProvenance(node: GraphNode, maxSegments = 12): string {
  if (!node.shape) return 'unknown';
  const total = node.provenance.reduce((sum, s) => sum + s.channels, 0);
  const parts = node.provenance.map((s) => `${segmentLabel(s, node)} ${s.channels}`);
  // Elide only when it hides two or more segments: "… 1 more" would be longer than the segment itself.
  if (parts.length > maxSegments + 1) {
    const keep = Math.floor(maxSegments / 2);
    parts.splice(keep, parts.length - 2 * keep, `… ${parts.length - 2 * keep} more`);
  }
  if (node.kind === 'input') return `${total} (the input)`;
  // An add's channels are new sums, one per channel, of equally wide inputs: name what is summed.
  if (node.kind === 'add' && node.inputs.length > 0) {
    return `${total} = ${node.inputs.map((id) => `${segmentLabel({ source: id, channels: total }, node)} ${total}`).join(' + ')}, summed`;
  }
  return parts.length === 1 && node.provenance[0].source === node.id ? `${total} (new)` : `${total} = ${parts.join(' + ')}`;
}

/** The channels of `node`'s output that `source` produced (0 when none). */
export function channelsFrom(node: GraphNode, source: string): number {
  let sum = 0;
  for (const segment of node.provenance) if (segment.source === source) sum += segment.channels;
  return sum;
}

/** Nodes whose written range contains the offset, innermost first. */
export function nodesAt(model: ModelGraph, offset: number): GraphNode[] {
  return model.nodes
    .filter((n) => n.kind !== 'input' && offset >= n.range.start && offset <= n.range.end)
    .sort((a, b) => a.range.end - a.range.start - (b.range.end - b.range.start));
}

import type { ChannelSegment, GraphNode } from './graph';
import { LAYERS, paddingProblem, type Provenance } from './layers';
import { channelsOf, exactElementCount, formatValue, isSymbol, MAX_DIMENSION, type Shape, type Value } from './values';

const MAX_DIMENSION_TEXT = MAX_DIMENSION.toLocaleString('en-US');

/* Value checks and node filling shared by the expansion (src/core/expand.ts), kept apart to keep it short. */

/**
 * Why `value` does not fit an argument of this type (`int`, `kernel`, `padding`, `bool`, `probability`,
 * otherwise any finite number), as the end of a message; undefined when it fits.
 */
export function checkType(type: string, value: Value, choices: readonly string[] = []): string | undefined {
  const wholePositive = (v: Value): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
  // Sizes are doubles: past 2^53 − 1 they are no longer exact, so larger ones are refused with their own message.
  const tooLarge = (v: Value): boolean => typeof v === 'number' && Number.isInteger(v) && v > MAX_DIMENSION;
  if ((type === 'int' || type === 'kernel' || type === 'padding') && (tooLarge(value) || (typeof value === 'object' && 'dims' in value && value.dims.some(tooLarge)))) {
    return `must be a whole number ≤ ${MAX_DIMENSION_TEXT} (2^53 − 1), not ${formatValue(value)}.`;
  }
  switch (type) {
    case 'int':
      return wholePositive(value) ? undefined : `must be a whole number ≥ 1, not ${formatValue(value)}.`;
    case 'kernel':
      if (typeof value === 'object' && 'dims' in value) return value.dims.length === 2 && value.dims.every(wholePositive) ? undefined : `must be a size like 3 or 3x3, not ${formatValue(value)}.`;
      return wholePositive(value) ? undefined : `must be a whole number ≥ 1, not ${formatValue(value)}.`;
    case 'padding':
      return paddingProblem(value);
    case 'bool':
      return typeof value === 'boolean' ? undefined : `must be true or false, not ${formatValue(value)}.`;
    case 'choice':
      return isSymbol(value) && choices.includes(value.symbol) ? undefined : `must be ${choices.join(' or ')}, not ${formatValue(value)}.`;
    case 'axis':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : `must be a whole number (negative counts from the end), not ${formatValue(value)}.`;
    case 'probability':
      return typeof value === 'number' && value >= 0 && value < 1 ? undefined : `must be a number from 0 up to (not including) 1, not ${formatValue(value)}.`;
    default:
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number, not ${formatValue(value)}.`;
  }
}

/**
 * Gives a node its output shape (NHWC without the batch axis), element count and channel provenance:
 * a new segment, its input's segments (`pass`), those of the input with the output's shape (`same`: a gated map), the inputs' segments joined (`concat`), zero segments around
 * the input's (`zeropad`), or the input's scaled by H·W (`scaled`, for flatten).
 */
export function fillNode(node: GraphNode, shape: Shape, mode: Provenance, inputs: GraphNode[]): void {
  node.shape = shape;
  node.outputElements = exactElementCount(shape);
  const channels = channelsOf(shape);
  switch (mode) {
    case 'new':
      node.provenance = [{ source: node.id, channels }];
      break;
    case 'pass':
      node.provenance = inputs[0].provenance;
      break;
    case 'same': {
      const own = inputs.find((input) => input.shape !== null && input.shape.length === shape.length && input.shape.every((d, i) => d === shape[i]));
      node.provenance = own ? own.provenance : [{ source: node.id, channels }];
      break;
    }
    case 'concat': {
      const segments: ChannelSegment[] = [];
      for (const input of inputs) {
        for (const segment of input.provenance) {
          const last = segments[segments.length - 1];
          if (last && last.source === segment.source) segments[segments.length - 1] = { source: last.source, channels: last.channels + segment.channels };
          else segments.push(segment);
        }
      }
      node.provenance = segments;
      break;
    }
    case 'zeropad': {
      const added = channels - channelsOf(inputs[0].shape!);
      const before = Math.floor(added / 2);
      node.provenance = [
        ...(before > 0 ? [{ source: '', channels: before }] : []),
        ...inputs[0].provenance,
        ...(added - before > 0 ? [{ source: '', channels: added - before }] : []),
      ];
      break;
    }
    case 'scaled': {
      const inputShape = inputs[0].shape!;
      // Each feature map (or token feature) becomes H·W (or T) flat features.
      const factor = inputShape.slice(0, -1).reduce((a, b) => a * b, 1);
      node.provenance = factor === 1 ? inputs[0].provenance : inputs[0].provenance.map((s) => ({ source: s.source, channels: s.channels * factor }));
      break;
    }
  }
}

/** What the expansion knows of a node before its shape: the rest is filled in by fillNode. */
export type NodeBase = Omit<GraphNode, 'shape' | 'provenance' | 'params' | 'buffers' | 'macs' | 'outputElements' | 'view' | 'sharedWith'>;

/** A node with no shape yet (no provenance, zero counts), `view` taken from its layer kind. */
export function emptyNode(base: NodeBase): GraphNode {
  // One literal with every field (no spread) keeps all nodes on one hidden class: analysis runs on every keystroke.
  return {
    id: base.id,
    name: base.name,
    kind: base.kind,
    inputs: base.inputs,
    args: base.args,
    range: base.range,
    group: base.group,
    shape: null,
    provenance: [],
    params: 0n,
    buffers: 0n,
    macs: 0n,
    outputElements: 0n,
    view: LAYERS.get(base.kind)?.view === true,
    sharedWith: null,
  };
}

import type { GraphNode, ModelGraph } from '../core';
import { paddingOf, pairOf } from './model';

/**
 * A model's graph as plain JSON with every argument resolved to numbers, the form the PyTorch
 * reference (test/reference/skipnet_torch.py) and the PyTorch benchmark read.
 */
export interface GraphSpecNode {
  id: string;
  kind: string;
  inputs: string[];
  args: Record<string, number | number[]>;
}

export function resolvedArgs(node: GraphNode): GraphSpecNode['args'] {
  const a = node.args;
  const num = (name: string, fallback: number) => (typeof a[name] === 'number' ? (a[name] as number) : fallback);
  switch (node.kind) {
    case 'conv': {
      const kernel = pairOf(a.kernel, 1);
      const dilation = num('dilation', 1);
      return { stride: pairOf(a.stride, 1), pad: paddingOf(a.pad, Math.max(...kernel), dilation), dilation, groups: num('groups', 1) };
    }
    case 'maxpool':
    case 'avgpool': {
      const kernel = pairOf(a.kernel, 1);
      const stride = a.stride && typeof a.stride === 'object' && 'symbol' in a.stride ? kernel : pairOf(a.stride, kernel[0]);
      return { kernel, stride, pad: paddingOf(a.pad, kernel[0], 1) };
    }
    case 'bn':
      return { eps: num('eps', 1e-5), momentum: num('momentum', 0.1) };
    case 'leakyrelu':
      return { alpha: num('alpha', 0.01) };
    case 'zeropad':
      return { channels: num('channels', 0), stride: num('stride', 1) };
    case 'dropout':
      return { p: num('p', 0.5) };
    default:
      return {};
  }
}

export function graphSpec(graph: ModelGraph): GraphSpecNode[] {
  return graph.nodes.map((n) => ({ id: n.id, kind: n.kind, inputs: n.inputs, args: resolvedArgs(n) }));
}

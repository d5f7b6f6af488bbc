import { isSymbol, type GraphNode, type ModelGraph, type Padding, type Value } from '../core';
import { paddingOf, pairOf, poolWindow } from './model';

/**
 * A model's graph as plain JSON with every argument resolved to numbers, the form the PyTorch
 * reference (test/reference/skipnet_torch.py) and the PyTorch benchmark read.
 */
export interface GraphSpecNode {
  id: string;
  kind: string;
  inputs: string[];
  /** Numbers, pairs [H, W], `pad` as [top, bottom, left, right], and `same: 1` where `pad=same` was written. */
  args: Record<string, number | number[]>;
  /** For tied weights (`shared(label)`): the node whose parameters and running statistics this one uses. */
  shares?: string;
}

export function resolvedArgs(node: GraphNode): GraphSpecNode['args'] {
  const a = node.args;
  const num = (name: string, fallback: number) => (typeof a[name] === 'number' ? (a[name] as number) : fallback);
  switch (node.kind) {
    case 'conv': {
      const dilation = num('dilation', 1);
      const stride = pairOf(a.stride, 1);
      const pad = sides(paddingOf(a.pad, pairOf(a.kernel, 1), stride, dilation));
      return { stride, pad, dilation, groups: num('groups', 1), ...same(a.pad) };
    }
    case 'maxpool':
    case 'avgpool': {
      const { kernel, stride, pad } = poolWindow(node);
      return { kernel, stride, pad: sides(pad), ceil: a.ceil === true ? 1 : 0, ...same(a.pad) };
    }
    case 'convtranspose':
      return { stride: pairOf(a.stride, 1), pad: pairOf(a.pad, 0), output_pad: pairOf(a.output_pad, 0), dilation: num('dilation', 1), groups: num('groups', 1) };
    case 'upsample':
      return { scale: pairOf(a.scale, 1), bilinear: a.mode !== undefined && isSymbol(a.mode) && a.mode.symbol === 'bilinear' ? 1 : 0 };
    case 'softmax':
      return { axis: num('axis', -1) };
    case 'gap':
      return { keep: a.keep === true ? 1 : 0 };
    case 'bn':
      return { eps: num('eps', 1e-5), momentum: num('momentum', 0.1) };
    case 'leakyrelu':
      return { alpha: num('alpha', 0.01) };
    case 'zeropad':
      return { channels: num('channels', 0), stride: num('stride', 1) };
    case 'dropout':
      return { p: num('p', 0.5) };
    case 'patchify':
      return { patch: num('patch', 1), dim: num('dim', 1) };
    case 'layernorm':
      return { eps: num('eps', 1e-5) };
    case 'attention':
      return { heads: num('heads', 1), dropout: num('dropout', 0) };
    case 'token':
      return { index: num('index', 0) };
    default:
      return {};
  }
}

const sides = (p: Padding): number[] => [p.top, p.bottom, p.left, p.right];
// The reference then asks PyTorch itself for 'same' where PyTorch defines it (convolutions).
const same = (pad: Value | undefined): { same?: number } => (pad !== undefined && isSymbol(pad) && pad.symbol === 'same' ? { same: 1 } : {});

export function graphSpec(graph: ModelGraph): GraphSpecNode[] {
  return graph.nodes.map((n) => ({ id: n.id, kind: n.kind, inputs: n.inputs, args: resolvedArgs(n), ...(n.sharedWith !== null ? { shares: n.sharedWith } : {}) }));
}

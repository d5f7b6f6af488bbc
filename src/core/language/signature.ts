import type { Analysis } from '../analyze';
import { LAYERS } from '../layers';
import { cursorContext } from './cursorContext';
import { blockSignatureInfo, functionSignature, layerSignature, type SignatureInfo } from './vocabulary';

export interface SignatureHelpResult {
  signature: SignatureInfo;
  /** Index into signature.parameters of the argument being typed. */
  activeParameter: number;
}

/**
 * Signature help inside the parentheses of a layer, block or function call: the parameters with
 * defaults, and which one the cursor is on (keyword arguments pick theirs by name).
 */
export function signatureHelpAt(analysis: Analysis, offset: number): SignatureHelpResult | undefined {
  const call = cursorContext(analysis, offset).call;
  if (!call || call.role !== 'call') return undefined;
  const spec = LAYERS.get(call.callee);
  const block = spec ? undefined : analysis.blocks.get(call.callee);
  const signature = spec ? layerSignature(spec) : block ? blockSignatureInfo(block, analysis.text) : functionSignature(call.callee);
  if (!signature) return undefined;
  const count = signature.parameters.length;
  let active: number;
  if (call.keyword) {
    const names = spec ? spec.args.map((a) => a.name) : block ? block.params.map((p) => p.name) : [];
    active = names.indexOf(call.keyword);
  } else active = signature.variadic ? Math.min(call.argumentIndex, count - 1) : call.positionalBefore;
  // Past the last parameter (too many arguments): no parameter is highlighted.
  if (active >= count) active = -1;
  return { signature, activeParameter: active };
}

/**
 * What the PyTorch export of the no-skip ablation writes differently from the model as written. The core builds the
 * ablation per expanded node (ExpansionOptions.withoutSkips, src/core/expand.ts): every merge (add, concat, mul,
 * gate) keeps only its deepest input and becomes an identity, and every node the output no longer depends on (a
 * projection shortcut, a dropped Inception branch, the tied twin of a Siamese tower) is pruned. The export writes
 * one class per block from the source text, so it needs the same decisions per source element: which argument each
 * merge keeps, and which layer, block or shared(…) call is left out. They are read from the two graphs, the model
 * as written and its ablation, whose node and block-instance ids are the same.
 */
import { analyze, type Analysis } from '../core/analyze';
import type { ModelGraph } from '../core/graph';
import type { Range } from '../core/text';
import { NamingError } from './names';

/** The ablation's decisions, keyed by a source element's start offset (`element.range.start`). */
export interface AblationPlan {
  /** Merges written as an identity of one argument: the index (0-based) of the argument kept. */
  kept: Map<number, number>;
  /** Layer, block and shared(…) calls the ablated output does not depend on: written neither in __init__ nor in forward(). */
  leftOut: Set<number>;
}

interface Instances {
  range: Range;
  /** Expansions of the element in the model as written. */
  total: number;
  /** Those the ablation still computes. */
  used: number;
  kept: Set<number>;
}

/**
 * Plans the export of `ablation`, the graph of `analysis` (withoutSkipConnections of the file) for one model.
 * Throws a NamingError (with the element's range) when one source element would need two different exports: a
 * merge that keeps a different argument in different calls of its block, or a call left out in some expansions
 * only. Such a model cannot be written as one class per block; the browser engine trains its ablation.
 */
export function planAblation(analysis: Analysis, ablation: ModelGraph): AblationPlan {
  const written = analyze(analysis.text).models.find((m) => m.name === ablation.name);
  if (!written) throw new NamingError(`Cannot export the no-skip ablation: no model '${ablation.name}' as written.`, { start: 0, end: 0 });
  const instances = new Map<number, Instances>();
  const at = (range: Range): Instances => {
    let entry = instances.get(range.start);
    if (!entry) instances.set(range.start, (entry = { range, total: 0, used: 0, kept: new Set() }));
    return entry;
  };
  const writtenGroups = new Map(written.groups.map((g) => [g.id, g]));
  const ablationGroups = new Map(ablation.groups.map((g) => [g.id, g]));
  /** Block instances the ablation still computes a node of. */
  const live = new Set<string>();
  for (const node of ablation.nodes) for (let id = node.group; id && !live.has(id); id = ablationGroups.get(id)?.parent ?? null) live.add(id);
  // A shared block instance re-applies another instance's modules: its inner nodes are no elements of its own. Inside
  // a call left out whole, nothing is written, so its elements' expansions there do not count.
  const counted = (groupId: string | null, groups: Map<string, { parent: string | null; sharedWith: string | null }>): boolean => {
    for (let id = groupId; id; id = groups.get(id)?.parent ?? null) if (groups.get(id)?.sharedWith || !live.has(id)) return false;
    return true;
  };
  for (const node of written.nodes) if (node.kind !== 'input' && counted(node.group, writtenGroups)) at(node.range).total++;
  for (const group of written.groups) if (!group.copies && counted(group.parent, writtenGroups)) at(group.callRange).total++;

  for (const node of ablation.nodes) {
    if (node.kind === 'input' || !counted(node.group, ablationGroups)) continue;
    const entry = at(node.range);
    entry.used++;
    if (node.args.removedSkip === undefined) continue;
    // Ids are the same in both graphs, and the written merge lists its inputs in argument order.
    const index = written.nodeById.get(node.id)?.inputs.indexOf(node.inputs[0]) ?? -1;
    if (index < 0) throw new NamingError(`Cannot export the no-skip ablation: the merge ${node.id} keeps an input the model as written does not give it.`, node.range);
    entry.kept.add(index);
  }
  for (const group of ablation.groups) if (!group.copies && live.has(group.id) && counted(group.parent, ablationGroups)) at(group.callRange).used++;

  const plan: AblationPlan = { kept: new Map(), leftOut: new Set() };
  for (const [start, entry] of instances) {
    if (entry.used === 0 && entry.total > 0) plan.leftOut.add(start);
    else if (entry.used < entry.total) {
      throw new NamingError(
        `Cannot export the no-skip ablation: this call is left out of ${entry.total - entry.used} of its ${entry.total} expansions and kept in the others, which one class per block cannot write. Train the ablation in the browser.`,
        entry.range,
      );
    }
    if (entry.kept.size > 1) {
      throw new NamingError(
        `Cannot export the no-skip ablation: this merge keeps argument ${[...entry.kept].map((i) => i + 1).join(' in some calls and argument ')} in others (the deepest input differs between calls), which one class per block cannot write. Train the ablation in the browser.`,
        entry.range,
      );
    }
    if (entry.kept.size === 1) plan.kept.set(start, [...entry.kept][0]);
  }
  return plan;
}

import type { BlockDecl, ModelDecl, Statement } from './ast';
import type { DiagnosticSink, RelatedInformation } from './diagnostics';
import type { Expansion } from './expand';
import type { BlockGroup } from './graph';
import type { Range } from './text';
import { formatCount } from './format';

/**
 * Warns about layers whose output never reaches the model's output (a branch nobody merges, a label
 * nobody reads, a chain the next statement does not continue): one `dead-layer` warning per source
 * statement that holds them, however many layers and block instances it stands for. A block call whose
 * whole instance is dead is reported at the call, not inside the block.
 *
 * The totals keep these layers: PyTorch builds a module for every layer written (the export does too), and
 * `sum(p.numel() for p in model.parameters())` counts them, so the warning says what they add.
 * Call only for a model expanded without errors: after an error, what reaches the output is not known.
 */
export function reportDeadLayers(model: ModelDecl, blocks: Map<string, BlockDecl>, expansion: Expansion, sink: DiagnosticSink): void {
  const live = new Set<string>();
  const pending = [expansion.output];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    pending.push(...(expansion.nodeById.get(id)?.inputs ?? []));
  }
  const dead = expansion.nodes.filter((n) => !live.has(n.id) && n.kind !== 'input');
  if (dead.length === 0) return;

  const groupById = new Map(expansion.groups.map((g) => [g.id, g]));
  const liveGroups = new Set<string>();
  for (const node of expansion.nodes) {
    if (!live.has(node.id)) continue;
    for (let id = node.group; id && !liveGroups.has(id); id = groupById.get(id)?.parent ?? null) liveGroups.add(id);
  }
  const statements = statementRanges(model, blocks);

  interface Site {
    range: Range;
    layers: number;
    params: bigint;
    calls: RelatedInformation[];
  }
  const sites = new Map<string, Site>();
  for (const node of dead) {
    // The outermost block instance that holds nothing live stands for the node: warn at its call.
    let range = node.range;
    let outer: BlockGroup | undefined;
    for (let group = node.group ? groupById.get(node.group) : undefined; group && !liveGroups.has(group.id); group = group.parent ? groupById.get(group.parent) : undefined) {
      range = group.callRange;
      outer = group;
    }
    const calls: RelatedInformation[] = [];
    for (let id = outer ? outer.parent : node.group; id; id = groupById.get(id)?.parent ?? null) {
      const group = groupById.get(id)!;
      if (group.block !== 'repeat') calls.push({ range: group.callRange, message: `in block instance ${group.id}` });
    }
    const statement = innermost(statements, range);
    const key = `${statement.start}:${statement.end}`;
    const site = sites.get(key) ?? { range, layers: 0, params: 0n, calls: [] };
    site.range = { start: Math.min(site.range.start, range.start), end: Math.max(site.range.end, range.end) };
    site.layers++;
    site.params += node.params;
    for (const call of calls) if (!site.calls.some((c) => c.range.start === call.range.start && c.range.end === call.range.end)) site.calls.push(call);
    sites.set(key, site);
  }
  for (const site of sites.values()) {
    const what = site.layers === 1 ? 'This layer never reaches' : 'This chain never reaches';
    const built = site.layers === 1 ? 'still builds this layer' : `still builds these ${site.layers} layers`;
    const their = site.layers === 1 ? 'its' : 'their';
    const cost = site.params === 0n ? `${site.layers === 1 ? 'it adds' : 'they add'} no parameters` : `${their} ${formatCount(site.params)} parameters count in the totals`;
    sink.add('dead-layer', `${what} the output of model '${model.name}': PyTorch ${built}, so ${cost}.`, site.range, site.calls, 'warning');
  }
}

/** Source ranges of every chain and repeat statement of the model and of the blocks it may call. */
function statementRanges(model: ModelDecl, blocks: Map<string, BlockDecl>): Range[] {
  const ranges: Range[] = [];
  const visit = (statements: Statement[]): void => {
    for (const statement of statements) {
      ranges.push(statement.range);
      if (statement.kind === 'repeat') {
        if (Array.isArray(statement.body)) visit(statement.body);
        else ranges.push(statement.body.range);
      }
    }
  };
  visit(model.body);
  for (const block of blocks.values()) visit(block.body);
  return ranges;
}

/** The shortest statement range holding `range` (the range itself when none does). */
function innermost(statements: Range[], range: Range): Range {
  let best: Range = range;
  let bestLength = Infinity;
  for (const statement of statements) {
    if (statement.start <= range.start && range.end <= statement.end && statement.end - statement.start < bestLength) {
      best = statement;
      bestLength = statement.end - statement.start;
    }
  }
  return best;
}

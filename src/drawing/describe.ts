/**
 * The words shown for a node or a block: on its face (short lines), in the hover tooltip and as its
 * accessible label. Pure functions over the payload; every string is later set with `textContent`,
 * never parsed as HTML.
 */
import { formatBytes, formatCount, formatMacsExact } from '../core/format';
import { formatShape } from '../core/values';
import type { GraphPayload, PayloadGroup, PayloadNode } from '../protocol/payload';

export interface DescriptionRow {
  key: string;
  value: string;
}

export interface Description {
  title: string;
  rows: DescriptionRow[];
}

/** Shortens to `max` characters with an ellipsis (the full text is in the tooltip). */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

export function featureMapText(featureMaps: number | null): string {
  return featureMaps === null ? '? maps' : `${featureMaps} map${featureMaps === 1 ? '' : 's'}`;
}

/**
 * Tied weights of a model (`shared(label)`, e.g. the twin towers of a Siamese network, Bromley et al. 1993,
 * section 2): for each node or block instance that applies another's weights, that owner; for each owner,
 * every instance that applies its weights again. Ids are payload node and group ids.
 */
export interface WeightSharing {
  owner: Map<string, { id: string; params: string }>;
  again: Map<string, string[]>;
}

export function weightSharing(payload: Pick<GraphPayload, 'nodes' | 'groups'>): WeightSharing {
  const sharing: WeightSharing = { owner: new Map(), again: new Map() };
  const params = new Map<string, string>();
  for (const item of [...payload.nodes, ...payload.groups]) params.set(item.id, item.params);
  for (const item of [...payload.nodes, ...payload.groups]) {
    if (!item.sharedWith) continue;
    sharing.owner.set(item.id, { id: item.sharedWith, params: params.get(item.sharedWith) ?? '0' });
    sharing.again.set(item.sharedWith, [...(sharing.again.get(item.sharedWith) ?? []), item.id]);
  }
  return sharing;
}

/** The "Weights" row of a node or block that owns or applies tied weights; none for the others. */
function sharingRows(id: string, params: string, sharing: WeightSharing | undefined): DescriptionRow[] {
  const owner = sharing?.owner.get(id);
  // A parameter-free layer (relu, pooling) applied again shares nothing worth a row.
  if (owner && owner.params === '0') return [];
  if (owner) return [{ key: 'Weights', value: `shared with ${owner.id}: ${formatCount(BigInt(params))} new parameters, ${formatCount(BigInt(owner.params))} counted at ${owner.id}` }];
  const again = sharing?.again.get(id);
  if (again && params !== '0') return [{ key: 'Weights', value: `applied again at ${again.join(', ')} (tied: counted once, here)` }];
  return [];
}

/** Tooltip of one layer; `sharing` (from `weightSharing`) adds where its weights are tied. */
export function describeNode(node: PayloadNode, sharing?: WeightSharing): Description {
  return {
    title: node.label === node.kind ? node.kind : `${node.label} (${node.kind})`,
    rows: [
      { key: 'Feature maps', value: node.provenanceText },
      { key: 'Output shape', value: formatShape(node.shape) },
      { key: 'Parameters', value: formatCount(BigInt(node.params)) },
      ...sharingRows(node.id, node.params, sharing),
      { key: 'MACs', value: formatMacsExact(BigInt(node.macs)) },
      { key: 'Activation memory', value: `${formatBytes(BigInt(node.memoryBytes))} per sample` },
      { key: 'Source', value: `line ${node.line} · ${node.id}` },
    ],
  };
}

/** Tooltip of one block instance; `sharing` (from `weightSharing`) adds where its weights are tied. */
export function describeGroup(group: PayloadGroup, output: PayloadNode | undefined, collapsed: boolean, sharing?: WeightSharing): Description {
  const rows: DescriptionRow[] = [
    { key: 'Block', value: `${group.block} · ${group.size} layer${group.size === 1 ? '' : 's'}${collapsed ? ' (collapsed)' : ''}` },
    { key: 'Feature maps', value: output ? output.provenanceText : 'unknown' },
    { key: 'Output shape', value: formatShape(group.outputShape) },
    { key: 'Parameters', value: formatCount(BigInt(group.params)) },
    ...sharingRows(group.id, group.params, sharing),
    { key: 'MACs', value: formatMacsExact(BigInt(group.macs)) },
  ];
  // The block's output alone; the editor's hover on the block sums the outputs of all its layers, and says so.
  if (output) rows.push({ key: 'Output activation memory', value: `${formatBytes(BigInt(output.memoryBytes))} per sample (the block's output only)` });
  if (group.dense) rows.push({ key: 'Dense connections', value: `${group.dense.layers.length} layers, each reading the block input and every earlier layer` });
  rows.push({ key: 'Source', value: `line ${group.line} · ${group.id}` });
  return { title: `${group.label} (${group.block})`, rows };
}

/** One line for screen readers: the same facts as the tooltip. */
export function accessibleText(description: Description): string {
  return [description.title, ...description.rows.map((r) => `${r.key}: ${r.value}`)].join('. ');
}

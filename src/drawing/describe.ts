/**
 * The words shown for a node or a block: on its face (short lines), in the hover tooltip and as its
 * accessible label. Pure functions over the payload; every string is later set with `textContent`,
 * never parsed as HTML.
 */
import { formatBytes, formatCount, formatMacsExact } from '../core/format';
import { formatShape } from '../core/values';
import type { PayloadGroup, PayloadNode } from '../protocol/payload';

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

export function describeNode(node: PayloadNode): Description {
  return {
    title: node.label === node.kind ? node.kind : `${node.label} (${node.kind})`,
    rows: [
      { key: 'Feature maps', value: node.provenanceText },
      { key: 'Output shape', value: formatShape(node.shape) },
      { key: 'Parameters', value: formatCount(BigInt(node.params)) },
      { key: 'MACs', value: formatMacsExact(BigInt(node.macs)) },
      { key: 'Activation memory', value: `${formatBytes(BigInt(node.memoryBytes))} per sample` },
      { key: 'Source', value: `line ${node.line} · ${node.id}` },
    ],
  };
}

export function describeGroup(group: PayloadGroup, output: PayloadNode | undefined, collapsed: boolean): Description {
  const rows: DescriptionRow[] = [
    { key: 'Block', value: `${group.block} · ${group.size} layer${group.size === 1 ? '' : 's'}${collapsed ? ' (collapsed)' : ''}` },
    { key: 'Feature maps', value: output ? output.provenanceText : 'unknown' },
    { key: 'Output shape', value: formatShape(group.outputShape) },
    { key: 'Parameters', value: formatCount(BigInt(group.params)) },
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

/**
 * Payload → drawing, the same steps the graph webview takes (visible items under a collapse state, ELK
 * input, layout, SVG tree), with the layout engine passed in: the webview runs elkjs in a worker, the
 * CLI in Node (src/cli/render.ts).
 */
import type { LayoutDirection } from '../protocol/messages';
import type { GraphPayload } from '../protocol/payload';
import { type Drawing, drawGraph } from './draw';
import { type ElkInputNode, type LayoutResult, readElkResult, toElkGraph } from './elk-graph';
import { placeUShape } from './ushape';
import { collapseState, computeVisible } from './visible';

export type ExpandMode = 'all' | 'default';

/** Runs ELK on one input graph and resolves with its JSON output. */
export type LayoutEngine = (graph: ElkInputNode) => Promise<unknown>;

export interface DrawOptions {
  direction: LayoutDirection;
  /** 'default': the payload's collapse (blocks of large models closed); 'all': every block open. */
  expand: ExpandMode;
}

/** Collapse choices that open every block (what the view's "Expand all" sets). */
export function expandAllOverrides(payload: GraphPayload): Record<string, boolean> {
  return Object.fromEntries(payload.groups.map((g) => [g.id, false]));
}

export async function drawPayload(payload: GraphPayload, options: DrawOptions, layout: LayoutEngine): Promise<Drawing & { layout: LayoutResult }> {
  const collapsed = collapseState(payload, options.expand === 'all' ? expandAllOverrides(payload) : {});
  const visible = computeVisible(payload, collapsed);
  const elk = readElkResult((await layout(toElkGraph(visible, options.direction))) as Parameters<typeof readElkResult>[0]);
  const result = placeUShape(visible, elk, options.direction);
  return { ...drawGraph({ payload, visible, layout: result, collapsed, direction: options.direction }), layout: result };
}

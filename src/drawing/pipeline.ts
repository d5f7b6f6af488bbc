/**
 * Payload → drawing, the same steps the graph webview takes (visible items under a collapse state, ELK
 * input, layout, SVG tree), with the layout engine passed in: the webview runs elkjs in a worker, the
 * CLI in Node (src/cli/render.ts).
 */
import type { LayoutDirection } from '../protocol/messages';
import type { GraphPayload } from '../protocol/payload';
import { drawGraph, type GraphDrawing } from './draw';
import { type ElkInputNode, type LayoutResult, readElkResult, toElkGraph } from './elk-graph';
import { placeUShape } from './ushape';
import { collapseState, computeVisible, type VisibleGraph } from './visible';

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

/**
 * Most layouts for one drawing: the first, then at most two more with room for the titles that found no
 * place whole (reserving it moves the other blocks, whose titles then get placed anew).
 */
export const TITLE_LAYOUTS = 3;

/**
 * Lays out `visible` (`layout`: ELK input → the finished layout, or null when a newer drawing superseded this
 * one) and draws it (`draw`); while some block's title found no place whole, lays out again with the room it
 * lacks added at the right of that block's frame (GraphDrawing.titleRoom, summed over the layouts), at most
 * TITLE_LAYOUTS layouts in all: ELK reserves a title's room only where the drawing needs it, so the other
 * blocks keep their width.
 */
export async function layoutWithTitles<D extends GraphDrawing>(
  visible: VisibleGraph,
  direction: LayoutDirection,
  layout: (graph: ElkInputNode) => Promise<LayoutResult | null>,
  draw: (result: LayoutResult) => D,
): Promise<{ layout: LayoutResult; drawing: D } | null> {
  const room = new Map<string, number>();
  for (let pass = 1; ; pass++) {
    const result = await layout(toElkGraph(visible, direction, room));
    if (!result) return null;
    const drawing = draw(result);
    if (pass === TITLE_LAYOUTS || drawing.titleRoom.size === 0) return { layout: result, drawing };
    // The room a title still lacks comes on top of what the last layout reserved for it.
    for (const [id, px] of drawing.titleRoom) room.set(id, (room.get(id) ?? 0) + px);
  }
}

export async function drawPayload(payload: GraphPayload, options: DrawOptions, layout: LayoutEngine): Promise<GraphDrawing & { layout: LayoutResult }> {
  const collapsed = collapseState(payload, options.expand === 'all' ? expandAllOverrides(payload) : {});
  const visible = computeVisible(payload, collapsed);
  const laidOut = await layoutWithTitles(
    visible,
    options.direction,
    async (graph) => placeUShape(visible, readElkResult((await layout(graph)) as Parameters<typeof readElkResult>[0]), options.direction),
    (result) => drawGraph({ payload, visible, layout: result, collapsed, direction: options.direction }),
  );
  // The layout engine here never declines a graph: only a superseding view's layout resolves null.
  if (!laidOut) throw new Error('the layout engine returned no layout');
  return { ...laidOut.drawing, layout: laidOut.layout };
}

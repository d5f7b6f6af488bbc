/**
 * Keeps the Compare view's two graphs on one row grid: each side's GraphView hands its ELK layout here
 * (`arrange`), the grid is computed from both sides' latest layouts, and a side already on screen is
 * drawn again when the other side's change alters the grid (a collapse toggled, an ablation switched).
 * Until both sides have a layout the first one waits, so the first drawings are aligned already.
 */
import type { LayoutDirection } from '../../src/protocol/messages';
import type { LayoutResult } from '../../src/drawing/elk-graph';
import { alignRows, itemDepths, type RowGrid, type RowProfile, rowProfile, sharedGrid } from '../../src/drawing/row-align';
import type { VisibleGraph } from '../../src/drawing/visible';

type Side = 0 | 1;

interface Entry {
  visible: VisibleGraph;
  layout: LayoutResult;
  depths: Map<string, number>;
  profile: RowProfile;
}

const sameGrid = (a: RowGrid | null, b: RowGrid): boolean =>
  a !== null && a.tops.length === b.tops.length && a.tops.every((t, i) => t === b.tops[i] && a.heights[i] === b.heights[i]);

export class RowAligner {
  private readonly latest: [Entry | null, Entry | null] = [null, null];
  private readonly waiting: [((layout: LayoutResult | null) => void) | null, ((layout: LayoutResult | null) => void) | null] = [null, null];
  private readonly drawnWith: [RowGrid | null, RowGrid | null] = [null, null];

  /** `redraw(side)` draws that side again (GraphView.relayout). */
  constructor(private readonly redraw: (side: Side) => void) {}

  /** Each drawn item's row (depth) on a side, for the page to expose as `data-row`. */
  depthsOf(side: Side): Map<string, number> | null {
    return this.latest[side]?.depths ?? null;
  }

  arrange(side: Side, visible: VisibleGraph, layout: LayoutResult, direction: LayoutDirection): Promise<LayoutResult | null> {
    this.waiting[side]?.(null); // an older drawing of this side is superseded
    this.waiting[side] = null;
    if (direction !== 'down') {
      this.latest[side] = null;
      return Promise.resolve(layout);
    }
    const depths = itemDepths(visible);
    this.latest[side] = { visible, layout, depths, profile: rowProfile(visible, layout, depths) };
    const other: Side = side === 0 ? 1 : 0;
    const theirs = this.latest[other];
    if (!theirs) return new Promise((resolve) => (this.waiting[side] = resolve));
    const grid = sharedGrid([this.latest[0]!.profile, this.latest[1]!.profile]);
    const pending = this.waiting[other];
    if (pending) {
      this.waiting[other] = null;
      this.drawnWith[other] = grid;
      pending(alignRows(theirs.visible, theirs.layout, theirs.depths, grid));
    } else if (!sameGrid(this.drawnWith[other], grid)) this.redraw(other);
    this.drawnWith[side] = grid;
    return Promise.resolve(alignRows(visible, layout, depths, grid));
  }

  /** A side has nothing to draw (its model does not analyse): the other stops waiting and keeps its own rows. */
  clear(side: Side): void {
    this.latest[side] = null;
    this.drawnWith[side] = null;
    const other: Side = side === 0 ? 1 : 0;
    const pending = this.waiting[other];
    const theirs = this.latest[other];
    if (pending && theirs) {
      this.waiting[other] = null;
      const grid = sharedGrid([theirs.profile]);
      this.drawnWith[other] = grid;
      pending(alignRows(theirs.visible, theirs.layout, theirs.depths, grid));
    }
  }
}

/**
 * Where a block's title goes. ELK lays out boxes and edges with no room reserved for the title line of
 * an expanded block (reserving it as a box made blocks about half again as wide and pushed dense arcs out
 * of their blocks), so the title is placed after layout, geometrically: along the frame's top band, else
 * its bottom band, else the band just above the frame, at the left-most horizontal interval that no edge
 * segment crosses and no node, other frame, toggle, edge label or earlier title overlaps. When no interval
 * holds the whole title, the widest one gets it shortened with an ellipsis (a later band's only when
 * PREFERENCE px wider than an earlier band's), and the full title becomes its tooltip. DOM-free: widths
 * come from the font table below, not from a browser.
 */
import { GROUP_HEADER, type LaidOutBox, type Point } from './elk-graph';
import { type SvgNode, svgNode, textNode } from './svg-tree';

/** An axis-aligned box, px, root coordinates (y down). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One straight piece of a drawn edge, and the edge's stroke width (px): the stroke covers width / 2 on each side. */
export interface StrokedSegment {
  a: Point;
  b: Point;
  width: number;
}

/** Where a title's line box may lie: x from x0 to x1, its top at y0 and bottom at y1 (px, root coordinates). */
export interface Band {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** A free horizontal interval of a band, px. */
export interface Gap {
  x0: number;
  x1: number;
}

/** What the titles must stay clear of: every drawn edge piece, and every box (nodes, frames, toggles, edge labels). */
export interface TitleScene {
  segments: StrokedSegment[];
  boxes: Rect[];
}

/** One expanded block's title to place: its frame (root coordinates) and its full text. */
export interface TitleRequest {
  id: string;
  frame: LaidOutBox;
  text: string;
}

export type TitleBand = 'top' | 'bottom' | 'outside';

/** A placed title: the text drawn (`full` shortened with "…" when no gap held it), its baseline start and line box. */
export interface TitlePlacement {
  id: string;
  text: string;
  full: string;
  band: TitleBand;
  x: number;
  baseline: number;
  box: Rect;
}

/** Title font size, px (GRAPH_CSS: 11 px, weight 600). */
export const TITLE_SIZE = 11;
/** The line box above and below the baseline, px: DejaVu Sans's ascent 0.928 em and descent 0.236 em at 11 px, rounded up. */
const ASCENT = 11;
const DESCENT = 3;
/** Room kept between a title and anything else, px. */
const CLEARANCE = 3;
/** Left end of the top band: right of the block's collapse toggle (drawn at 6..22 px). */
const TOGGLE_ROOM = 28;
const SIDE = 6;
/**
 * How much wider a later band's widest gap must be to take a shortened title from an earlier band, px (about
 * three characters): the top band reads as the block's own, and a few pixels more are not worth leaving it.
 */
const PREFERENCE = 24;

/**
 * Advance widths in em of DejaVu Sans Bold (the widest of the fonts a webview falls back to, as the node
 * labels' character widths in draw.ts assume), read from the font; a character not listed counts 1 em.
 */
const EM: Record<string, number> = {
  a: 0.675, b: 0.716, c: 0.593, d: 0.716, e: 0.678, f: 0.435, g: 0.716, h: 0.712, i: 0.343, j: 0.343, k: 0.665, l: 0.343, m: 1.042,
  n: 0.712, o: 0.687, p: 0.716, q: 0.716, r: 0.493, s: 0.595, t: 0.478, u: 0.712, v: 0.652, w: 0.924, x: 0.645, y: 0.652, z: 0.582,
  A: 0.774, B: 0.762, C: 0.734, D: 0.83, E: 0.683, F: 0.683, G: 0.821, H: 0.837, I: 0.372, J: 0.372, K: 0.775, L: 0.637, M: 0.995,
  N: 0.837, O: 0.85, P: 0.733, Q: 0.85, R: 0.77, S: 0.72, T: 0.682, U: 0.812, V: 0.774, W: 1.103, X: 0.771, Y: 0.724, Z: 0.725,
  '0': 0.696, '1': 0.696, '2': 0.696, '3': 0.696, '4': 0.696, '5': 0.696, '6': 0.696, '7': 0.696, '8': 0.696, '9': 0.696,
  ' ': 0.348, _: 0.5, '-': 0.415, '.': 0.38, ',': 0.38, ':': 0.4, ';': 0.4, '(': 0.457, ')': 0.457, '[': 0.457, ']': 0.457,
  '·': 0.38, '→': 0.838, '×': 0.838, '…': 1, '/': 0.365,
};

/** Width of `text` as a title, px (11 px bold DejaVu Sans, see EM). */
export function titleWidth(text: string): number {
  let em = 0;
  for (const c of text) em += EM[c] ?? 1;
  return em * TITLE_SIZE;
}

/** The longest prefix of `text` that fits `width` px with an ellipsis after it; '' when not even "…" fits. */
export function fitTitle(text: string, width: number): string {
  if (titleWidth(text) <= width) return text;
  const chars = [...text];
  for (let n = chars.length - 1; n >= 0; n--) {
    const shortened = `${chars.slice(0, n).join('').trimEnd()}…`;
    if (titleWidth(shortened) <= width) return shortened;
  }
  return '';
}

/** The x range over which segment s comes within the heights y0..y1, or null when it stays above or below. */
function spanWithin(s: StrokedSegment, y0: number, y1: number): [number, number] | null {
  const { a, b } = s;
  const low = Math.max(Math.min(a.y, b.y), y0);
  const high = Math.min(Math.max(a.y, b.y), y1);
  if (low > high) return null;
  if (a.y === b.y) return [Math.min(a.x, b.x), Math.max(a.x, b.x)];
  const at = (y: number): number => a.x + ((y - a.y) / (b.y - a.y)) * (b.x - a.x);
  return [Math.min(at(low), at(high)), Math.max(at(low), at(high))];
}

/**
 * The intervals of `band` (left to right) that no segment's stroke and no box comes within `clearance`
 * px of. A segment blocks the x range it covers while within the band's heights; a box blocks its whole
 * width when it reaches into those heights.
 */
export function freeGaps(band: Band, segments: readonly StrokedSegment[], boxes: readonly Rect[], clearance = CLEARANCE): Gap[] {
  const blocked: [number, number][] = [];
  for (const s of segments) {
    const reach = s.width / 2 + clearance;
    const span = spanWithin(s, band.y0 - reach, band.y1 + reach);
    if (span) blocked.push([span[0] - reach, span[1] + reach]);
  }
  for (const r of boxes) if (r.y < band.y1 + clearance && r.y + r.height > band.y0 - clearance) blocked.push([r.x - clearance, r.x + r.width + clearance]);
  blocked.sort((p, q) => p[0] - q[0]);
  const gaps: Gap[] = [];
  let x = band.x0;
  for (const [from, to] of blocked) {
    if (from > x) gaps.push({ x0: x, x1: Math.min(from, band.x1) });
    x = Math.max(x, to);
    if (x >= band.x1) break;
  }
  if (x < band.x1) gaps.push({ x0: x, x1: band.x1 });
  return gaps.filter((g) => g.x1 > g.x0);
}

/** The bands a frame's title may use, in order of preference; the band above the frame only where it is inside the drawing. */
function bandsOf(frame: LaidOutBox): [TitleBand, Band][] {
  const left = frame.x + SIDE;
  const right = frame.x + frame.width - SIDE;
  const top = frame.y + GROUP_HEADER - 8 - ASCENT;
  const bands: [TitleBand, Band][] = [
    ['top', { x0: frame.x + TOGGLE_ROOM, x1: right, y0: top, y1: top + ASCENT + DESCENT }],
    ['bottom', { x0: left, x1: right, y0: frame.y + frame.height - 2 - ASCENT - DESCENT, y1: frame.y + frame.height - 2 }],
  ];
  if (frame.y - 2 - ASCENT - DESCENT >= 0) bands.push(['outside', { x0: left, x1: right, y0: frame.y - 2 - ASCENT - DESCENT, y1: frame.y - 2 }]);
  return bands;
}

const contains = (outer: Rect, inner: Rect): boolean => outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;

/**
 * Places each title in turn (give outer blocks first: a placed title is an obstacle to the later ones).
 * `frames` are every expanded block's frame; a frame is an obstacle to a title unless it holds that
 * title's own frame.
 */
export function placeTitles(requests: readonly TitleRequest[], scene: TitleScene, frames: readonly LaidOutBox[]): TitlePlacement[] {
  const placed: TitlePlacement[] = [];
  for (const request of requests) {
    const boxes = [...scene.boxes, ...frames.filter((f) => !contains(f, request.frame)), ...placed.map((p) => p.box)];
    const width = titleWidth(request.text);
    let chosen: { band: TitleBand; y0: number; gap: Gap } | null = null;
    let widest: { band: TitleBand; y0: number; gap: Gap } | null = null;
    for (const [name, band] of bandsOf(request.frame)) {
      const gaps = freeGaps(band, scene.segments, boxes);
      const fits = gaps.find((g) => g.x1 - g.x0 >= width);
      if (fits) {
        chosen = { band: name, y0: band.y0, gap: fits };
        break;
      }
      // The band's widest gap (the left-most of equals) replaces an earlier band's only when PREFERENCE wider.
      let best: Gap | null = null;
      for (const gap of gaps) if (!best || gap.x1 - gap.x0 > best.x1 - best.x0) best = gap;
      if (best && (!widest || best.x1 - best.x0 > widest.gap.x1 - widest.gap.x0 + PREFERENCE)) widest = { band: name, y0: band.y0, gap: best };
    }
    const spot = chosen ?? widest;
    // No free interval at all (every band crossed wall to wall): the tooltip alone keeps the title.
    const text = spot ? fitTitle(request.text, spot.gap.x1 - spot.gap.x0) : '';
    if (!spot || text === '') continue;
    const box = { x: spot.gap.x0, y: spot.y0, width: titleWidth(text), height: ASCENT + DESCENT };
    placed.push({ id: request.id, text, full: request.text, band: spot.band, x: spot.gap.x0, baseline: spot.y0 + ASCENT, box });
  }
  return placed;
}

/**
 * Draws a block's title into its group (translated to the frame's corner `frame`): a shortened title
 * carries the full one as its tooltip, and a title with no free place at all is the whole frame's tooltip.
 */
export function drawTitle(parent: SvgNode, request: TitleRequest, placement: TitlePlacement | undefined): SvgNode {
  if (!placement) return textNode('title', {}, request.text, parent);
  const attributes = { x: placement.x - request.frame.x, y: placement.baseline - request.frame.y, class: 'title' };
  if (placement.text === placement.full) return textNode('text', attributes, placement.text, parent);
  const holder = svgNode('g', { class: 'title-holder' }, parent);
  textNode('title', {}, placement.full, holder);
  return textNode('text', attributes, placement.text, holder);
}

/**
 * Where a block's title goes. ELK lays out boxes and edges with no room reserved for the title of an
 * expanded block (reserving it as a box made blocks about half again as wide, staircased them and pushed
 * dense arcs out of their blocks), so the title is placed after layout, geometrically, in the first of these
 * places that holds it whole, free of every edge segment, node, other frame, toggle, edge label and earlier
 * title, broken into lines at its separators where it needs them (src/drawing/title-text.ts):
 *
 * 1. the frame's header (above its first child), on one line, then on two;
 * 2. beside the frame, touching it and top-aligned with its header's line: right of it, then left of it;
 * 3. just above the frame, its last line touching it, where a block sits lower than its neighbours;
 * 4. along the frame's side, turned to read downwards, outside the frame then inside it (a tall narrow
 *    frame between two columns);
 * 5. the frame's bottom band, or just above it, on one line;
 * 6. beside a block around the frame, joined to the frame by a dotted leader (a block nested in a narrow
 *    column has no room of its own beside it).
 *
 * Where none holds it, the drawing code lays the graph out again with room for the title added to the frame's
 * header (headerRoom, src/drawing/pipeline.ts). Only where none holds it then either, the widest one-line gap
 * of 1 and 5 gets it shortened with an ellipsis (a later
 * band's only when PREFERENCE px wider than an earlier band's), and the full title becomes its tooltip. A
 * title stays inside every block around the place it is set beside and at x, y ≥ 0; the drawing grows to
 * hold titles beside a frame (titlesExtent).
 */
import { GROUP_HEADER, type LaidOutBox, type Point } from './elk-graph';
import { type SvgNode, svgNode, textNode } from './svg-tree';
import { ASCENT, bestBreaking, type Breaking, DESCENT, fitTitle, narrowestBreaking, TITLE_LINE, TITLE_SIZE, titleHeight, titleWidth } from './title-text';

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

/** Inside the frame ('top', 'bottom'), beside its side ('right', 'left'), or just above it ('outside'). */
export type TitleBand = 'top' | 'bottom' | 'outside' | 'right' | 'left';

/**
 * A placed title: the lines drawn (one line of `full` shortened with "…" when no place held it whole), where
 * they start (px, root coordinates: the lines' left end, or their right end when `anchor` is 'end', so that a
 * title left of its frame keeps its lines against it; the first line's baseline), and the box around all
 * lines. A `vertical` title is one line turned a quarter clockwise to read downwards along the frame's side,
 * starting at (x, baseline). A `leader` joins the frame's side to a title set beside a block around the frame.
 */
export interface TitlePlacement {
  id: string;
  lines: string[];
  full: string;
  band: TitleBand;
  x: number;
  anchor: 'start' | 'end';
  vertical: boolean;
  baseline: number;
  box: Rect;
  leader: Leader | null;
}

/** Room kept between a title and anything else, px. */
const CLEARANCE = 3;
/** Left end of the top band: right of the block's collapse toggle (drawn at 6..22 px). */
const TOGGLE_ROOM = 28;
const SIDE = 6;
/** Gap between a frame and a title beside it, px: touching, as a label is, without meeting the border. */
const BESIDE = 4;
/**
 * Room a title beside its frame keeps from whatever ends its line on the far side, px, beyond CLEARANCE: the
 * title must sit clearly nearer its own frame than anything else (4 px from it).
 */
const AFFINITY = 9;
/** Widest a title beside its frame may be, px: a narrow column of lines, not a line running off into the page. */
const SIDE_WIDTH = 170;
/** How many lines lower than its frame's header a title joined by a leader may start. */
const LEADER_STEPS = 4;
/** Most lines of a title beside its frame. */
const SIDE_LINES = 4;
/** Most lines of a title above its frame: one more, a frame's width being narrower than the room beside it. */
const ABOVE_LINES = 5;
/**
 * How much wider a later band's widest gap must be to take a shortened title from an earlier band, px (about
 * three characters): the top band reads as the block's own, and a few pixels more are not worth leaving it.
 */
const PREFERENCE = 24;

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

const contains = (outer: Rect, inner: Rect): boolean => outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;

/** The frames around `frame` (other than itself), innermost first. */
function ancestorsOf(frame: LaidOutBox, frames: readonly LaidOutBox[]): LaidOutBox[] {
  return frames.filter((f) => f !== frame && contains(f, frame) && !(f.width === frame.width && f.height === frame.height)).sort((a, b) => a.width * a.height - b.width * b.height);
}

/** The room inside every frame of `around` (SIDE px from its border), at x, y ≥ 0. */
function roomIn(around: readonly LaidOutBox[]): Band {
  const room = { x0: 0, x1: Infinity, y0: 0, y1: Infinity };
  for (const f of around) {
    room.x0 = Math.max(room.x0, f.x + SIDE);
    room.x1 = Math.min(room.x1, f.x + f.width - SIDE);
    room.y0 = Math.max(room.y0, f.y + SIDE);
    room.y1 = Math.min(room.y1, f.y + f.height - SIDE);
  }
  return room;
}

/** A one-line band inside or above the frame, in order of preference; each clipped to the room. */
function lineBands(frame: LaidOutBox, room: Band): [TitleBand, Band][] {
  const left = Math.max(frame.x + SIDE, room.x0);
  const right = Math.min(frame.x + frame.width - SIDE, room.x1);
  const top = frame.y + GROUP_HEADER - 8 - ASCENT;
  const bands: [TitleBand, Band][] = [
    ['top', { x0: frame.x + TOGGLE_ROOM, x1: right, y0: top, y1: top + ASCENT + DESCENT }],
    ['bottom', { x0: left, x1: right, y0: frame.y + frame.height - 2 - ASCENT - DESCENT, y1: frame.y + frame.height - 2 }],
    ['outside', { x0: left, x1: right, y0: frame.y - 2 - ASCENT - DESCENT, y1: frame.y - 2 }],
  ];
  return bands.filter(([, b]) => b.y0 >= room.y0 && b.y1 <= room.y1 && b.x1 > b.x0);
}

/** A place found for a title: its lines, where they start (see TitlePlacement), and the box they take. */
interface Spot {
  band: TitleBand;
  lines: string[];
  x: number;
  anchor: 'start' | 'end';
  vertical: boolean;
  baseline: number;
  box: Rect;
  leader: Leader | null;
}

/** Lines of `lines` set horizontally from `x` (their start, or their end for 'end') with the first line box's top at y0. */
function horizontal(band: TitleBand, lines: string[], x: number, anchor: 'start' | 'end', y0: number, leader: Leader | null = null): Spot {
  const width = Math.max(...lines.map(titleWidth));
  return { band, lines, x, anchor, vertical: false, baseline: y0 + ASCENT, box: { x: anchor === 'start' ? x : x - width, y: y0, width, height: titleHeight(lines.length) }, leader };
}

/** The whole title on two lines in the frame's header (between its top border and its first child), or null. */
function inHeader(text: string, frame: LaidOutBox, room: Band, scene: TitleScene, boxes: readonly Rect[]): Spot | null {
  const y0 = frame.y + 3;
  const band = { x0: frame.x + TOGGLE_ROOM, x1: Math.min(frame.x + frame.width - SIDE, room.x1), y0, y1: y0 + titleHeight(2) };
  if (band.y1 > frame.y + GROUP_HEADER + 8 - CLEARANCE || band.x1 <= band.x0) return null;
  for (const gap of freeGaps(band, scene.segments, boxes)) {
    const breaking = bestBreaking(text, gap.x1 - gap.x0, 2);
    if (breaking) return horizontal('top', breaking.lines, gap.x0, 'start', y0);
  }
  return null;
}

/**
 * The whole title beside `wall` (the frame, or a block around it), touching its `side` and top-aligned with
 * the frame's header line, broken as the free room there allows (the room must reach the wall: a gap starting
 * farther out names another block), the best breaking over every number of lines (see bestBreaking), or null.
 * `room` is the room inside the blocks around the wall.
 */
function besideWall(side: 'right' | 'left', text: string, frame: LaidOutBox, wall: LaidOutBox, room: Band, scene: TitleScene, boxes: readonly Rect[], leader: Leader | null, y0 = frame.y + GROUP_HEADER - 8 - ASCENT): Spot | null {
  const near = side === 'right' ? wall.x + wall.width + BESIDE : wall.x - BESIDE;
  const far = side === 'right' ? Math.min(near + SIDE_WIDTH, room.x1) : Math.max(near - SIDE_WIDTH, room.x0);
  let best: Breaking | null = null;
  for (let n = 1; n <= SIDE_LINES; n++) {
    const y1 = y0 + titleHeight(n);
    if (y1 > Math.min(frame.y + frame.height, room.y1) || y0 < room.y0) break;
    const band = side === 'right' ? { x0: near, x1: far, y0, y1 } : { x0: far, x1: near, y0, y1 };
    if (band.x1 - band.x0 < 2 * TITLE_SIZE) break;
    const gaps = freeGaps(band, scene.segments, boxes);
    const gap = side === 'right' ? gaps[0] : gaps[gaps.length - 1];
    if (!gap || (side === 'right' ? gap.x0 > near : gap.x1 < near)) break;
    // Something ends the room short of the band's far end: keep clearly nearer the own frame than to it.
    const open = side === 'right' ? gap.x1 === far : gap.x0 === far;
    const breaking = bestBreaking(text, gap.x1 - gap.x0 - (open ? 0 : AFFINITY), n);
    if (breaking && (!best || breaking.score < best.score)) best = breaking;
  }
  return best && horizontal(side, best.lines, near, side === 'right' ? 'start' : 'end', y0, leader);
}

/**
 * The whole title just above the frame, its last line 2 px above the frame's top and within the frame's width,
 * on as many lines as the free room above holds (where a block sits lower than its neighbours), with AFFINITY
 * px more free above it so that it reads as this frame's, not the one above; or null.
 */
function above(text: string, frame: LaidOutBox, room: Band, scene: TitleScene, boxes: readonly Rect[]): Spot | null {
  const x0 = Math.max(frame.x + SIDE, room.x0);
  const x1 = Math.min(frame.x + frame.width - SIDE, room.x1);
  let best: { breaking: Breaking; x: number } | null = null;
  for (let n = 1; n <= ABOVE_LINES; n++) {
    const y0 = frame.y - 2 - titleHeight(n);
    if (y0 - AFFINITY < room.y0) break;
    for (const gap of freeGaps({ x0, x1, y0: y0 - AFFINITY, y1: frame.y - 2 }, scene.segments, boxes)) {
      const breaking = bestBreaking(text, gap.x1 - gap.x0, n);
      if (breaking && (!best || breaking.score < best.breaking.score)) best = { breaking, x: gap.x0 };
    }
  }
  return best && horizontal('outside', best.breaking.lines, best.x, 'start', frame.y - 2 - titleHeight(best.breaking.lines.length));
}

/** How far down from y0 the strip x0..x1 is free of every segment and box (with the clearance), px; 0 when blocked at y0. */
function freeBelow(x0: number, x1: number, y0: number, segments: readonly StrokedSegment[], boxes: readonly Rect[]): number {
  let end = Infinity;
  for (const s of segments) {
    const reach = s.width / 2 + CLEARANCE;
    // The segment turned over (x for y): the heights over which it comes within the strip's x range.
    const span = spanWithin({ a: { x: s.a.y, y: s.a.x }, b: { x: s.b.y, y: s.b.x }, width: s.width }, x0 - reach, x1 + reach);
    if (span && span[1] + reach > y0) end = Math.min(end, span[0] - reach);
  }
  for (const r of boxes) if (r.x < x1 + CLEARANCE && r.x + r.width > x0 - CLEARANCE && r.y + r.height + CLEARANCE > y0) end = Math.min(end, r.y - CLEARANCE);
  return Math.max(0, end - y0);
}

/**
 * The whole title on one or two lines along the frame's `side`, turned a quarter clockwise to read downwards
 * from the header's height, `inside` the frame (in the strip its children leave free along that side) or
 * outside it (touching it): a tall narrow frame has a strip too narrow for lines but as long as the frame. Or null.
 */
function alongSide(side: 'right' | 'left', inside: boolean, text: string, frame: LaidOutBox, room: Band, scene: TitleScene, boxes: readonly Rect[]): Spot | null {
  const y0 = frame.y + GROUP_HEADER - 8 - ASCENT;
  const bottom = inside ? frame.y + frame.height - SIDE : Math.min(frame.y + frame.height, room.y1);
  for (let n = 1; n <= 2; n++) {
    const thick = titleHeight(n);
    const x0 = side === 'right' ? (inside ? frame.x + frame.width - SIDE - thick : frame.x + frame.width + BESIDE) : inside ? frame.x + SIDE : frame.x - BESIDE - thick;
    if (x0 < room.x0 || x0 + thick > room.x1 || y0 < room.y0) return null;
    const length = Math.min(freeBelow(x0, x0 + thick, y0, scene.segments, boxes), bottom - y0);
    const breaking = bestBreaking(text, length, n);
    if (!breaking) continue;
    // Turned a quarter clockwise, the glyphs' tops face right and later lines lie left of earlier ones.
    const lines = breaking.lines.length;
    const x = x0 + DESCENT + (lines - 1) * TITLE_LINE;
    return { band: inside ? 'top' : side, lines: breaking.lines, x, anchor: 'start', vertical: true, baseline: y0, box: { x: x0, y: y0, width: titleHeight(lines), height: breaking.widest }, leader: null };
  }
  return null;
}

/** A thin line from a frame's side to its title beside a block around it, at the title's first line (root coordinates). */
export interface Leader {
  x1: number;
  x2: number;
  y: number;
}

/**
 * The whole title beside one of the blocks around the frame (innermost first), on the frame's header line,
 * joined to the frame by a leader through the blocks' padding: a block nested in a narrow column has no room
 * of its own beside it, only the paddings of the blocks around. The leader's way must be free too.
 */
function beyondAncestors(text: string, frame: LaidOutBox, ancestors: readonly LaidOutBox[], scene: TitleScene, boxes: readonly Rect[]): Spot | null {
  const header = frame.y + GROUP_HEADER - 8 - ASCENT;
  // On the header's line, else a line or a few lower (below the title of a block around it, set there first).
  for (let step = 0; step <= LEADER_STEPS; step++) {
    const y0 = header + step * TITLE_LINE;
    const y = y0 + ASCENT / 2 + 1;
    for (let level = 0; level < ancestors.length; level++) {
      const wall = ancestors[level];
      const leader = { x1: frame.x + frame.width, x2: wall.x + wall.width + BESIDE - 1, y };
      // A dotted leader may cross an edge (it reads as a pointer, not a connection), not a node, label or other frame.
      const way = freeGaps({ x0: leader.x1, x1: leader.x2, y0: y, y1: y }, [], boxes, 1);
      if (way.length !== 1 || way[0].x0 > leader.x1 || way[0].x1 < leader.x2) continue;
      const spot = besideWall('right', text, frame, wall, roomIn(ancestors.slice(level + 1)), scene, boxes, leader, y0);
      if (spot) return spot;
    }
  }
  return null;
}

/**
 * Room to add at the right of `frame` (px, its ELK padding) for its header to hold `text` whole on two lines,
 * for a title that found no place (a narrow block between tight neighbours: an Inception branch, a Siamese
 * tower at the drawing's edge). Added there, it widens the header's two-line band's last free gap when that
 * gap reaches the band's right end (no child and no edge lies in the added room: an edge entering the block
 * ends at a child), else it is the gap; the narrowest two-line breaking then fits, with 2 px to spare.
 */
function headerRoom(text: string, frame: LaidOutBox, room: Band, scene: TitleScene, boxes: readonly Rect[]): number {
  const y0 = frame.y + 3;
  const band = { x0: frame.x + TOGGLE_ROOM, x1: Math.min(frame.x + frame.width - SIDE, room.x1), y0, y1: y0 + titleHeight(2) };
  const last = band.x1 > band.x0 ? freeGaps(band, scene.segments, boxes).at(-1) : undefined;
  const free = last && last.x1 >= band.x1 ? last.x1 - last.x0 : 0;
  return Math.max(0, Math.ceil(narrowestBreaking(text, 2) - free)) + 2;
}

/**
 * Places each title in turn (give outer blocks first: a placed title is an obstacle to the later ones).
 * `frames` are every expanded block's frame; a frame is an obstacle to a title unless it holds that
 * title's own frame. `room`, when given, receives each title that found no place whole (shortened, or the
 * frame's tooltip only) with the room a new layout must add at the right of its frame (headerRoom, px).
 */
export function placeTitles(requests: readonly TitleRequest[], scene: TitleScene, frames: readonly LaidOutBox[], room?: Map<string, number>): TitlePlacement[] {
  const placed: TitlePlacement[] = [];
  for (const request of requests) {
    const { frame, text } = request;
    const boxes = [...scene.boxes, ...frames.filter((f) => !contains(f, frame)), ...placed.map((p) => p.box), ...placed.flatMap((p) => (p.leader ? [leaderBox(p.leader)] : []))];
    const ancestors = ancestorsOf(frame, frames);
    const inside = roomIn(ancestors);
    const width = titleWidth(text);
    const bands = lineBands(frame, inside);
    const whole = (name: TitleBand): Spot | null => {
      const band = bands.find(([b]) => b === name)?.[1];
      const gap = band && freeGaps(band, scene.segments, boxes).find((g) => g.x1 - g.x0 >= width);
      return band && gap ? horizontal(name, [text], gap.x0, 'start', band.y0) : null;
    };
    const spot =
      whole('top') ??
      inHeader(text, frame, inside, scene, boxes) ??
      besideWall('right', text, frame, frame, inside, scene, boxes, null) ??
      besideWall('left', text, frame, frame, inside, scene, boxes, null) ??
      above(text, frame, inside, scene, boxes) ??
      alongSide('right', false, text, frame, inside, scene, boxes) ??
      alongSide('left', false, text, frame, inside, scene, boxes) ??
      alongSide('right', true, text, frame, inside, scene, boxes) ??
      alongSide('left', true, text, frame, inside, scene, boxes) ??
      whole('bottom') ??
      whole('outside') ??
      beyondAncestors(text, frame, ancestors, scene, boxes);
    if (spot) {
      placed.push(placement(request, spot));
      continue;
    }
    room?.set(request.id, headerRoom(text, frame, inside, scene, boxes));
    // Nowhere whole: the widest one-line gap, a later band's only when PREFERENCE px wider than an earlier one's.
    let widest: { band: TitleBand; y0: number; gap: Gap } | null = null;
    for (const [name, band] of bands) {
      let best: Gap | null = null;
      for (const gap of freeGaps(band, scene.segments, boxes)) if (!best || gap.x1 - gap.x0 > best.x1 - best.x0) best = gap;
      if (best && (!widest || best.x1 - best.x0 > widest.gap.x1 - widest.gap.x0 + PREFERENCE)) widest = { band: name, y0: band.y0, gap: best };
    }
    // No free interval at all (every band crossed wall to wall): the tooltip alone keeps the title.
    const shortened = widest ? fitTitle(text, widest.gap.x1 - widest.gap.x0) : '';
    if (!widest || shortened === '') continue;
    placed.push(placement(request, horizontal(widest.band, [shortened], widest.gap.x0, 'start', widest.y0)));
  }
  return placed;
}

/** The leader's line as a box (1 px tall), an obstacle to later titles. */
function leaderBox(leader: Leader): Rect {
  return { x: leader.x1, y: leader.y - 0.5, width: leader.x2 - leader.x1, height: 1 };
}

function placement(request: TitleRequest, spot: Spot): TitlePlacement {
  return { id: request.id, full: request.text, ...spot };
}

/** The right and bottom ends of the placed titles, px: the drawing must reach this far for none to be cut off. */
export function titlesExtent(placements: readonly TitlePlacement[]): { x: number; y: number } {
  let x = 0;
  let y = 0;
  for (const p of placements) {
    x = Math.max(x, p.box.x + p.box.width);
    y = Math.max(y, p.box.y + p.box.height);
  }
  return { x, y };
}

/**
 * Draws a block's title into its group (translated to the frame's corner `frame`): one <text>, with a <tspan>
 * per line when broken, turned by a transform when vertical, after its leader (a <line>) if it has one; a
 * shortened title carries the full one as its tooltip, and a title with no free place at all is the whole
 * frame's tooltip.
 */
export function drawTitle(parent: SvgNode, request: TitleRequest, placement: TitlePlacement | undefined): SvgNode {
  if (!placement) return textNode('title', {}, request.text, parent);
  const { x: fx, y: fy } = request.frame;
  const x = placement.x - fx;
  const y = placement.baseline - fy;
  if (placement.leader) svgNode('line', { class: 'title-leader', x1: placement.leader.x1 - fx, y1: placement.leader.y - fy, x2: placement.leader.x2 - fx, y2: placement.leader.y - fy }, parent);
  const attributes: Record<string, string | number> = placement.vertical ? { transform: `translate(${x},${y}) rotate(90)`, class: 'title' } : { x, y, class: 'title' };
  if (placement.anchor === 'end') attributes['text-anchor'] = 'end';
  const whole = placement.lines.length > 1 || placement.lines[0] === placement.full;
  const holder = whole ? parent : svgNode('g', { class: 'title-holder' }, parent);
  if (!whole) textNode('title', {}, placement.full, holder);
  if (placement.lines.length === 1) return textNode('text', attributes, placement.lines[0], holder);
  const text = svgNode('text', attributes, holder);
  // A turned title's lines are placed in its own (turned) coordinates; a level one's in the frame's.
  placement.lines.forEach((line, i) => textNode('tspan', placement.vertical ? { x: 0, y: i * TITLE_LINE } : { x, y: y + i * TITLE_LINE }, line, text));
  return text;
}

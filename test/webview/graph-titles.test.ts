/**
 * Block titles in the graph webview, as the page paints them (the text's measured box, not the drawing
 * code's estimate): for every example, top-down and left-to-right, with its default collapse and fully
 * expanded, every title is drawn whole (every character of the block's title, on one line or broken into
 * several; a block whose title found no place is laid out again with room for it, src/drawing/pipeline.ts),
 * no edge passes over a title, each title lies within its frame's header, bottom band or the band just above the frame, or beside the frame touching it and top-aligned with it, no
 * title overlaps a node or another title, and every title lies within the drawing (the content size the
 * view and its exports use). A shortened title ends in "…" and carries the full one as its tooltip.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupTitle } from '../../src/drawing/draw';
import { GROUP_HEADER, type LaidOutBox, type Point } from '../../src/drawing/elk-graph';
import { segmentIntoBox } from '../support/edge-geometry';
import { exampleNames } from '../support/examples';
import { examplePayload, openWebview, useBrowser, type WebviewPage } from './harness';

const browser = useBrowser();

interface PaintedTitle {
  group: string;
  /** The painted lines (one per <tspan> of a broken title). */
  lines: string[];
  tooltip: string | null;
  /** The text's box in root coordinates (a turned title's box turned with it). */
  box: LaidOutBox;
  frame: LaidOutBox;
  /** The dotted line joining the frame to a title set beside a block around it, root coordinates. */
  leader: { x1: number; x2: number; y: number } | null;
}

interface Painted {
  titles: PaintedTitle[];
  /** Title-less frames' tooltips (a title with no free place anywhere). */
  frameTooltips: string[];
  edges: { id: string; points: Point[]; width: number }[];
  nodes: LaidOutBox[];
  /** The drawing's size, as the minimap's viewBox gives it (the view's content size). */
  size: { width: number; height: number };
}

/** The painted titles, edges and node shapes, all in the drawing's root coordinates. */
function painted(w: WebviewPage): Promise<Painted> {
  return w.page.evaluate(() => {
    const translation = (g: SVGGElement): { x: number; y: number } => {
      const m = g.transform.baseVal.consolidate()?.matrix;
      return { x: m?.e ?? 0, y: m?.f ?? 0 };
    };
    const titles: PaintedTitle[] = [];
    const frameTooltips: string[] = [];
    for (const g of document.querySelectorAll<SVGGElement>('#graph .groups .group')) {
      const at = translation(g);
      const rect = g.querySelector<SVGRectElement>(':scope > rect')!.getBBox();
      const frame = { id: g.dataset.group ?? '', x: at.x, y: at.y, width: rect.width, height: rect.height };
      const text = g.querySelector<SVGTextElement>('text.title');
      const own = g.querySelector(':scope > title');
      if (own) frameTooltips.push(own.textContent ?? '');
      if (!text) continue;
      // getBBox is in the text's own coordinates: a turned title's box is turned by its transform into the group's.
      const b = text.getBBox();
      const m = text.transform.baseVal.consolidate()?.matrix ?? new DOMMatrix();
      const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]].map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
      const left = Math.min(...corners.map((c) => c.x));
      const top = Math.min(...corners.map((c) => c.y));
      const box = { id: frame.id, x: at.x + left, y: at.y + top, width: Math.max(...corners.map((c) => c.x)) - left, height: Math.max(...corners.map((c) => c.y)) - top };
      const line = g.querySelector<SVGLineElement>(':scope > line.title-leader');
      const leader = line ? { x1: at.x + line.x1.baseVal.value, x2: at.x + line.x2.baseVal.value, y: at.y + line.y1.baseVal.value } : null;
      const spans = [...text.querySelectorAll('tspan')];
      const lines = spans.length > 0 ? spans.map((s) => s.textContent ?? '') : [text.textContent ?? ''];
      const holder = text.parentElement?.classList.contains('title-holder') ? text.parentElement : null;
      titles.push({ group: frame.id, lines, tooltip: holder?.querySelector('title')?.textContent ?? null, box, frame, leader });
    }
    const edges = [...document.querySelectorAll<SVGPathElement>('#graph .edges path.edge')].map((p) => ({
      id: p.dataset.edge ?? '',
      points: [...(p.getAttribute('d') ?? '').matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) })),
      width: Number(p.getAttribute('stroke-width') ?? 1),
    }));
    const nodes = [...document.querySelectorAll<SVGGElement>('#graph .nodes .node')].map((g) => {
      const at = translation(g);
      const b = g.querySelector<SVGGraphicsElement>(':scope > .shape')!.getBBox();
      return { id: g.dataset.id ?? '', x: at.x + b.x, y: at.y + b.y, width: b.width, height: b.height };
    });
    const [, , width, height] = (document.getElementById('minimap')?.getAttribute('viewBox') ?? '0 0 0 0').split(' ').map(Number);
    return { titles, frameTooltips, edges, nodes, size: { width, height } };
  });
}

const overlap = (a: LaidOutBox, b: LaidOutBox): number => Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));

/** Edges whose stroke passes over `box` (the segment against the box grown by half the stroke). */
function crossing(edges: Painted['edges'], box: LaidOutBox): string[] {
  const hits: string[] = [];
  for (const edge of edges) {
    const grown = { id: box.id, x: box.x - edge.width / 2, y: box.y - edge.width / 2, width: box.width + edge.width, height: box.height + edge.width };
    for (let i = 0; i + 1 < edge.points.length; i++) {
      if (segmentIntoBox(edge.points[i], edge.points[i + 1], grown, 0) > 0) {
        hits.push(edge.id);
        break;
      }
    }
  }
  return hits;
}

type Band = 'top' | 'bottom' | 'outside' | 'right' | 'left' | 'leader';

/** How far from its frame (or from its leader's end) a title beside it may start, px: 4 px in the drawing, 2 px for the browser's rounding. */
const TOUCH = 6;

/**
 * Which band of its frame a title lies in, or null when it lies in none of them whole: inside the frame starting
 * in its header (GROUP_HEADER + 8, the frame's top padding: on one or two lines, or turned along its side), in its
 * bottom band, just above it (its last line ending within TOUCH px of the frame's top), or beside it, starting
 * in the header's height and touching it: its first line within TOUCH px of the frame's side, or of the end of
 * a leader that starts at the frame's side and runs through the title's first line.
 */
function bandOf(title: PaintedTitle): Band | null {
  const { box, frame, leader } = title;
  const inside = box.x >= frame.x && box.x + box.width <= frame.x + frame.width;
  const bottom = box.y + box.height;
  const startsInHeader = box.y >= frame.y && box.y <= frame.y + GROUP_HEADER;
  if (inside && box.y >= frame.y && (bottom <= frame.y + GROUP_HEADER + 8 || (startsInHeader && bottom <= frame.y + frame.height))) return 'top';
  if (inside && box.y >= frame.y + frame.height - GROUP_HEADER && bottom <= frame.y + frame.height) return 'bottom';
  if (inside && bottom <= frame.y && bottom >= frame.y - TOUCH) return 'outside';
  if (!startsInHeader || bottom > frame.y + frame.height) return null;
  const right = frame.x + frame.width;
  if (leader) {
    const joined = Math.abs(leader.x1 - right) < 1 && box.x >= leader.x2 && box.x <= leader.x2 + TOUCH && leader.y >= box.y && leader.y <= box.y + Math.min(box.height, 16);
    return joined ? 'leader' : null;
  }
  if (box.x >= right && box.x <= right + TOUCH) return 'right';
  if (box.x + box.width <= frame.x && box.x + box.width >= frame.x - TOUCH) return 'left';
  return null;
}

/** Characters of a text, spaces left out: a title broken at a space is drawn without it. */
const letters = (text: string): string => text.replace(/\s+/g, '');

for (const direction of ['down', 'right'] as const) {
  for (const expand of ['default', 'all'] as const) {
    test(`every example (${direction === 'down' ? 'top-down' : 'left-to-right'}, ${expand === 'all' ? 'fully expanded' : 'default collapse'}): every block title whole, none crossed by an edge, over a node or another title, each in its frame's band and the drawing`, async () => {
      const w = await openWebview(browser(), undefined, { width: 1200, height: 800 });
      const problems: string[] = [];
      const shortened: string[] = [];
      const counts = { titles: 0, whole: 0, broken: 0, shortened: 0, moved: 0, bands: { top: 0, bottom: 0, outside: 0, right: 0, left: 0, leader: 0 } };
      let version = 1;
      for (const name of exampleNames().map((file) => file.replace(/\.skipnet$/, ''))) {
        const payload = examplePayload(name, expand === 'all' ? 100_000 : 150);
        const nodeById = new Map(payload.nodes.map((n) => [n.id, n]));
        const groupById = new Map(payload.groups.map((g) => [g.id, g]));
        await w.init(payload, version++, direction);
        const { titles, frameTooltips, edges, nodes, size } = await painted(w);
        const frames = await w.page.locator('#graph .groups .group').count();
        if (titles.length + frameTooltips.length !== frames) problems.push(`${name}: ${frames} frames, ${titles.length} titles, ${frameTooltips.length} tooltips`);
        counts.titles += frames;
        for (const title of titles) {
          const text = title.lines.join(' ');
          const where = `${name} (${direction}, ${expand}) ${title.group} "${text}"`;
          for (const edge of crossing(edges, title.box)) problems.push(`${where}: crossed by ${edge}`);
          const band = bandOf(title);
          if (band) counts.bands[band]++;
          else problems.push(`${where}: box ${JSON.stringify(title.box)} outside the bands of ${JSON.stringify(title.frame)}`);
          for (const node of nodes) if (overlap(node, title.box) > 0.5) problems.push(`${where}: over node ${node.id}`);
          const leader = title.leader && { id: 'leader', x: title.leader.x1, y: title.leader.y - 0.5, width: title.leader.x2 - title.leader.x1, height: 1 };
          if (leader) for (const node of nodes) if (overlap(node, leader) > 0) problems.push(`${where}: its leader over node ${node.id}`);
          for (const other of titles) if (other !== title && overlap(other.box, title.box) > 0.5) problems.push(`${where}: over the title of ${other.group}`);
          if (title.box.x < 0 || title.box.y < 0 || title.box.x + title.box.width > size.width || title.box.y + title.box.height > size.height) problems.push(`${where}: box ${JSON.stringify(title.box)} beyond the drawing's ${size.width}×${size.height}`);
          const full = groupTitle(groupById.get(title.group)!, nodeById);
          if (title.lines.some((line) => line.endsWith('…'))) {
            counts.shortened++;
            shortened.push(`${where} drawn as "${title.lines[0]}"`);
            if (title.lines.length !== 1 || title.tooltip !== full || !full.startsWith(title.lines[0].slice(0, -1))) problems.push(`${where}: shortened, tooltip ${title.tooltip}`);
          } else {
            counts.whole++;
            if (title.lines.length > 1) counts.broken++;
            if (title.tooltip !== null) problems.push(`${where}: whole, yet a tooltip`);
            if (letters(text) !== letters(full)) problems.push(`${where}: drawn whole, yet not the block's title "${full}"`);
          }
          // Where every title used to be: the top band's left end, right of the toggle.
          // (baseline GROUP_HEADER - 8, the font's ascent 0.928 em of 11 px above it), as wide as the whole title.
          const old = { ...title.box, x: title.frame.x + 28, y: title.frame.y + GROUP_HEADER - 8 - 10.2, width: Math.min(title.box.width, title.frame.width - 34), height: 13 };
          if (crossing(edges, old).length > 0) counts.moved++;
        }
      }
      process.stdout.write(`# ${direction}, ${expand}: ${JSON.stringify(counts)}\n`);
      assert.deepEqual(problems, []);
      assert.ok(counts.titles > 20, JSON.stringify(counts));
      // Top down, the check has something to find: the old place of most titles (the header's left end) is crossed by an edge.
      if (direction === 'down') assert.ok(counts.moved > counts.titles / 2, JSON.stringify(counts));
      assert.deepEqual(shortened, [], 'shortened titles');
      assert.equal(counts.whole, counts.titles, `${counts.whole} of ${counts.titles} titles whole (the rest only the frame's tooltip): ${JSON.stringify(counts)}`);
      await w.page.context().close();
    });
  }
}

/**
 * Block titles in the graph webview, as the page paints them (the text's measured box, not the drawing
 * code's estimate): for every example, with its default collapse and fully expanded, no edge passes over a
 * title, each title lies within its frame's top band, bottom band or the band just above the frame, and no
 * title overlaps a node. A shortened title ends in "…" and carries the full one as its tooltip.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GROUP_HEADER, type LaidOutBox, type Point } from '../../src/drawing/elk-graph';
import { segmentIntoBox } from '../support/edge-geometry';
import { exampleNames } from '../support/examples';
import { examplePayload, openWebview, useBrowser, type WebviewPage } from './harness';

const browser = useBrowser();

interface PaintedTitle {
  group: string;
  text: string;
  tooltip: string | null;
  box: LaidOutBox;
  frame: LaidOutBox;
}

interface Painted {
  titles: PaintedTitle[];
  /** Title-less frames' tooltips (a title with no free place anywhere). */
  frameTooltips: string[];
  edges: { id: string; points: Point[]; width: number }[];
  nodes: LaidOutBox[];
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
      const b = text.getBBox();
      const holder = text.parentElement?.classList.contains('title-holder') ? text.parentElement : null;
      titles.push({ group: frame.id, text: text.textContent ?? '', tooltip: holder?.querySelector('title')?.textContent ?? null, box: { id: frame.id, x: at.x + b.x, y: at.y + b.y, width: b.width, height: b.height }, frame });
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
    return { titles, frameTooltips, edges, nodes };
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

/** Which band of its frame a title box lies in, or null when it lies in none of them whole. */
function bandOf(box: LaidOutBox, frame: LaidOutBox): 'top' | 'bottom' | 'outside' | null {
  if (box.x < frame.x || box.x + box.width > frame.x + frame.width) return null;
  const within = (top: number, bottom: number): boolean => box.y >= top && box.y + box.height <= bottom;
  if (within(frame.y, frame.y + GROUP_HEADER)) return 'top';
  if (within(frame.y + frame.height - GROUP_HEADER, frame.y + frame.height)) return 'bottom';
  if (within(frame.y - GROUP_HEADER, frame.y)) return 'outside';
  return null;
}

for (const expand of ['default', 'all'] as const) {
  test(`every example (${expand === 'all' ? 'fully expanded' : 'default collapse'}): no edge crosses a block title, each title in its frame's band, over no node`, async () => {
    const w = await openWebview(browser(), undefined, { width: 1200, height: 800 });
    const problems: string[] = [];
    const counts = { titles: 0, shortened: 0, moved: 0, bands: { top: 0, bottom: 0, outside: 0 } };
    let version = 1;
    for (const name of exampleNames().map((file) => file.replace(/\.skipnet$/, ''))) {
      const payload = examplePayload(name, expand === 'all' ? 100_000 : 150);
      await w.init(payload, version++);
      const { titles, frameTooltips, edges, nodes } = await painted(w);
      const frames = await w.page.locator('#graph .groups .group').count();
      if (titles.length + frameTooltips.length !== frames) problems.push(`${name}: ${frames} frames, ${titles.length} titles, ${frameTooltips.length} tooltips`);
      for (const title of titles) {
        const where = `${name} (${expand}) ${title.group} "${title.text}"`;
        counts.titles++;
        for (const edge of crossing(edges, title.box)) problems.push(`${where}: crossed by ${edge}`);
        const band = bandOf(title.box, title.frame);
        if (band) counts.bands[band]++;
        else problems.push(`${where}: box ${JSON.stringify(title.box)} outside the bands of ${JSON.stringify(title.frame)}`);
        for (const node of nodes) if (overlap(node, title.box) > 0.5) problems.push(`${where}: over node ${node.id}`);
        if (title.text.endsWith('…')) {
          counts.shortened++;
          if (!title.tooltip || !title.tooltip.startsWith(title.text.slice(0, -1))) problems.push(`${where}: shortened, tooltip ${title.tooltip}`);
        } else if (title.tooltip !== null) problems.push(`${where}: whole, yet a tooltip`);
        // Where every title used to be: the top band's left end, right of the toggle.
        // (baseline GROUP_HEADER - 8, the font's ascent 0.928 em of 11 px above it), as wide as the frame allowed.
        const old = { ...title.box, x: title.frame.x + 28, y: title.frame.y + GROUP_HEADER - 8 - 10.2, width: Math.min(title.box.width, title.frame.width - 34) };
        if (crossing(edges, old).length > 0) counts.moved++;
      }
    }
    assert.deepEqual(problems, []);
    // The check has something to find: the default place of some of these titles is crossed by an edge.
    assert.ok(counts.moved > 0, JSON.stringify(counts));
    assert.ok(counts.titles > 20, JSON.stringify(counts));
    process.stdout.write(`# ${expand}: ${JSON.stringify(counts)}\n`);
    await w.page.context().close();
  });
}

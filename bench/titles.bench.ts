/**
 * How readable the block titles are: for every example, default collapse and fully expanded, top-down and
 * left-to-right, the drawing code's own title placement (src/drawing/titles.ts, widths from its font table;
 * laid out by elkjs in Node, as `skipnet render` does) counted as titles drawn whole, titles shortened with
 * "…", frames left with the tooltip only, and the characters shown of all titles' characters. Also the
 * drawing's size, to see what placing the titles cost in room. Prints a table per case and the totals.
 *
 * Run: node scripts/build.mjs --bench && node out/bench/titles.bench.js [example ...]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { layoutInNode } from '../src/cli/render';
import { groupTitle } from '../src/drawing/draw';
import { analyze } from '../src/core';
import { type ExpandMode, drawPayload } from '../src/drawing/pipeline';
import { attribute, type SvgNode, walk } from '../src/drawing/svg-tree';
import type { LayoutDirection } from '../src/protocol/messages';
import { buildGraphPayload } from '../src/protocol';

interface Tally {
  frames: number;
  whole: number;
  shortened: number;
  untitled: number;
  shownChars: number;
  totalChars: number;
  lines: number;
  /** Whole titles drawn on more than one line. */
  broken: number;
}

/** A title drawn shortened: its block, what was drawn, the full title and its frame's size (px). */
interface Shortened {
  group: string;
  drawn: string;
  full: string;
  frame: string;
}

const empty = (): Tally => ({ frames: 0, whole: 0, shortened: 0, untitled: 0, shownChars: 0, totalChars: 0, lines: 0, broken: 0 });

function add(into: Tally, from: Tally): void {
  for (const key of Object.keys(into) as (keyof Tally)[]) into[key] += from[key];
}

const isGroup = (n: SvgNode): boolean => n.tag === 'g' && (attribute(n, 'class') ?? '').split(' ').includes('group');
const hasClass = (n: SvgNode, name: string): boolean => (attribute(n, 'class') ?? '').split(' ').includes(name);

/** The titles of one drawing, read from its tree: each frame's drawn title line(s), against the block's full title. */
function tally(content: SvgNode, fullTitle: (group: string) => string, shortened: Shortened[] = []): Tally {
  const t = empty();
  for (const group of walk(content)) {
    if (!isGroup(group)) continue;
    t.frames++;
    const texts = [...walk(group)].filter((n) => n.tag === 'text' && hasClass(n, 'title'));
    const full = fullTitle(attribute(group, 'data-group') ?? '');
    const lines = texts.flatMap((n) => (n.children.length > 0 ? n.children.filter((c) => c.tag === 'tspan') : [n])).map((n) => n.text ?? '');
    t.totalChars += [...full].length;
    t.lines += lines.length;
    if (texts.length === 0) {
      t.untitled++;
      continue;
    }
    if (lines.some((line) => line.endsWith('…'))) {
      t.shortened++;
      const rect = group.children.find((c) => c.tag === 'rect');
      shortened.push({ group: attribute(group, 'data-group') ?? '', drawn: lines.join(' / '), full, frame: rect ? `${attribute(rect, 'width')}×${attribute(rect, 'height')}` : '?' });
      t.shownChars += [...lines.join('')].length - lines.filter((line) => line.endsWith('…')).length;
    } else {
      t.whole++;
      if (lines.length > 1) t.broken++;
      t.shownChars += [...full].length;
    }
  }
  return t;
}

const pct = (a: number, b: number): string => (b === 0 ? '  -  ' : `${((100 * a) / b).toFixed(1)}%`.padStart(6));

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const names = readdirSync('examples').filter((f) => f.endsWith('.skipnet')).map((f) => f.replace(/\.skipnet$/, '')).sort().filter((n) => only.length === 0 || only.includes(n));
  const totals = new Map<string, Tally>();
  const shortenedTitles: string[] = [];
  for (const direction of ['down', 'right'] as LayoutDirection[]) {
    for (const expand of ['default', 'all'] as ExpandMode[]) {
      const key = `${direction}/${expand}`;
      const total = empty();
      process.stdout.write(`\n${key}\n${'example'.padEnd(20)} frames whole short none  chars shown   drawing w×h\n`);
      for (const name of names) {
        const analysis = analyze(readFileSync(join('examples', `${name}.skipnet`), 'utf8'));
        const payload = buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150, models: analysis.models.map((m) => m.name) });
        const drawing = await drawPayload(payload, { direction, expand }, layoutInNode);
        const nodeById = new Map(payload.nodes.map((n) => [n.id, n]));
        const groupById = new Map(payload.groups.map((g) => [g.id, g]));
        const shortened: Shortened[] = [];
        const t = tally(drawing.content, (id) => groupTitle(groupById.get(id)!, nodeById), shortened);
        for (const s of shortened) shortenedTitles.push(`${key.padEnd(13)} ${name} ${s.group} (frame ${s.frame}): "${s.drawn}" of "${s.full}"`);
        add(total, t);
        if (t.frames === 0) continue;
        process.stdout.write(`${name.padEnd(20)} ${String(t.frames).padStart(6)} ${String(t.whole).padStart(5)} ${String(t.shortened).padStart(5)} ${String(t.untitled).padStart(4)} ${String(t.totalChars).padStart(6)} ${pct(t.shownChars, t.totalChars)}  ${Math.round(drawing.width)}×${Math.round(drawing.height)} (layout ${Math.round(drawing.layout.width)}×${Math.round(drawing.layout.height)})\n`);
      }
      totals.set(key, total);
    }
  }
  process.stdout.write(`\nshortened titles: ${shortenedTitles.length}\n${shortenedTitles.map((line) => `  ${line}\n`).join('')}`);
  process.stdout.write('\ncase            frames  whole (share)  broken  shortened  tooltip only  characters shown\n');
  const all = empty();
  for (const [key, t] of totals) {
    add(all, t);
    process.stdout.write(`${key.padEnd(15)} ${String(t.frames).padStart(6)} ${String(t.whole).padStart(6)} ${pct(t.whole, t.frames)} ${String(t.broken).padStart(7)} ${String(t.shortened).padStart(9)} ${String(t.untitled).padStart(13)}  ${t.shownChars}/${t.totalChars} ${pct(t.shownChars, t.totalChars)}\n`);
  }
  process.stdout.write(`${'all'.padEnd(15)} ${String(all.frames).padStart(6)} ${String(all.whole).padStart(6)} ${pct(all.whole, all.frames)} ${String(all.broken).padStart(7)} ${String(all.shortened).padStart(9)} ${String(all.untitled).padStart(13)}  ${all.shownChars}/${all.totalChars} ${pct(all.shownChars, all.totalChars)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

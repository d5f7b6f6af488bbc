/**
 * A block title's text: its width from the font's advance widths (DOM-free: the drawing code runs in Node
 * too, with no browser to measure), its line box, shortening with an ellipsis, and breaking into lines at
 * the title's natural separators (" · ", " → ", "(", "_", ".", "/", camel case). Placing it: src/drawing/titles.ts.
 */
/** Title font size, px (GRAPH_CSS: 11 px, weight 600). */
export const TITLE_SIZE = 11;
/** The line box above and below the baseline, px: DejaVu Sans's ascent 0.928 em and descent 0.236 em at 11 px, rounded up. */
export const ASCENT = 11;
export const DESCENT = 3;
/** Baseline to baseline of a title's lines, px: the font's ascent plus descent (12.8 px) rounded up. */
export const TITLE_LINE = 13;

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

/** Height of the line box of `lines` title lines, px. */
export function titleHeight(lines: number): number {
  return ASCENT + DESCENT + (lines - 1) * TITLE_LINE;
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

/** A place a title's text may be broken: the line ends before `end`, the next begins at `start`; `cost` ranks it. */
interface Break {
  end: number;
  start: number;
  cost: number;
}

/**
 * Where `chars` may break: at a space (free next to the title's own separators "·" and "→" and before the
 * "(" of its feature-map count, else 1), after "_", "." or "/" inside a name, and between a lower-case letter
 * and an upper-case one (camel case), both 2: a name is kept whole where a space will do.
 */
function breaks(chars: readonly string[]): Break[] {
  const out: Break[] = [];
  for (let i = 1; i < chars.length; i++) {
    const before = chars[i - 1];
    const here = chars[i];
    if (here === ' ' || before === ' ') {
      if (here !== ' ' && before === ' ') {
        let end = i - 1;
        while (end > 0 && chars[end - 1] === ' ') end--;
        if (end === 0) continue;
        const free = chars[end - 1] === '·' || chars[end - 1] === '→' || here === '→' || here === '(' || here === '·';
        // A line never begins with "·": the separator closes the line before it.
        if (here === '·') continue;
        out.push({ end, start: i, cost: free ? 0 : 1 });
      }
      continue;
    }
    if ((before === '_' || before === '.' || before === '/') && /[\p{L}\p{N}]/u.test(here) && /[\p{L}\p{N}]/u.test(chars[i - 2] ?? '')) out.push({ end: i, start: i, cost: 2 });
    else if (/\p{Ll}/u.test(before) && /\p{Lu}/u.test(here)) out.push({ end: i, start: i, cost: 2 });
  }
  return out;
}

/** A title broken into lines: its lines, its score (lines plus the costs of its breaks, see breaks) and its widest line, px. */
export interface Breaking {
  lines: string[];
  score: number;
  widest: number;
}

/**
 * The best breaking of `text` into at most `maxLines` lines each at most `width` px wide (see titleWidth): the
 * lowest score (a line more is worth a break at a plain space, half a break inside a name), then the fewest
 * lines, then the narrowest widest line. Null when no such breaking exists.
 */
export function bestBreaking(text: string, width: number, maxLines: number): Breaking | null {
  const whole = titleWidth(text);
  if (whole <= width) return { lines: [text], score: 1, widest: whole };
  const chars = [...text];
  const points = [{ end: 0, start: 0, cost: 0 }, ...breaks(chars), { end: chars.length, start: chars.length, cost: 0 }];
  const line = (from: number, to: number): string => chars.slice(points[from].start, points[to].end).join('');
  type Step = { cost: number; widest: number; previous: number } | null;
  // table[k][j]: the best k lines ending at break j.
  const table: Step[][] = [points.map((_, j) => (j === 0 ? { cost: 0, widest: 0, previous: -1 } : null))];
  let best: Breaking | null = null;
  for (let k = 1; k <= maxLines; k++) {
    const current: Step[] = points.map(() => null);
    for (let j = 1; j < points.length; j++) {
      for (let i = 0; i < j; i++) {
        const from = table[k - 1][i];
        if (!from) continue;
        const w = titleWidth(line(i, j));
        if (w > width) continue;
        const candidate = { cost: from.cost + points[j].cost, widest: Math.max(from.widest, w), previous: i };
        const held = current[j];
        if (!held || candidate.cost < held.cost || (candidate.cost === held.cost && candidate.widest < held.widest)) current[j] = candidate;
      }
    }
    table.push(current);
    const last = current[points.length - 1];
    if (last && (!best || k + last.cost < best.score)) {
      const lines: string[] = [];
      for (let j = points.length - 1, level = k; level > 0; level--) {
        const step = table[level][j]!;
        lines.unshift(line(step.previous, j));
        j = step.previous;
      }
      best = { lines, score: k + last.cost, widest: last.widest };
    }
  }
  return best;
}

/**
 * The narrowest width, whole px, at which `text` breaks into at most `maxLines` lines (bestBreaking finds a
 * breaking within it): what a block must leave free for its title on that many lines.
 */
export function narrowestBreaking(text: string, maxLines: number): number {
  // Feasibility only grows with the width: bisect between nothing and the whole line.
  let low = 0;
  let high = Math.ceil(titleWidth(text));
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (bestBreaking(text, middle, maxLines)) high = middle;
    else low = middle + 1;
  }
  return high;
}

/** `text` broken into at most `maxLines` lines each at most `width` px wide, as bestBreaking chooses; null when it cannot be. */
export function breakTitle(text: string, width: number, maxLines: number): string[] | null {
  return bestBreaking(text, width, maxLines)?.lines ?? null;
}

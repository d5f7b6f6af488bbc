/**
 * Placing block titles (src/drawing/titles.ts, their text: src/drawing/title-text.ts) on hand-made scenes: the free intervals of a band between
 * edge segments and boxes, the title's width from DejaVu Sans Bold's advance widths, breaking it into lines
 * at its separators, shortening with an ellipsis, the band chosen (header, two-line header, beside the
 * frame, bottom, above), and what is drawn. Every expected value is worked out by hand in the comments. Last,
 * the room a title that found no place asks of a new layout, and that layout (elkjs in Node) on siamese_mnist.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serializeSvg, svgNode } from '../../src/drawing/svg-tree';
import { layoutInNode, payloadFor } from '../../src/cli/render';
import type { ElkInputNode } from '../../src/drawing/elk-graph';
import { drawPayload } from '../../src/drawing/pipeline';
import { attribute, walk } from '../../src/drawing/svg-tree';
import { breakTitle, fitTitle, narrowestBreaking, titleWidth } from '../../src/drawing/title-text';
import { readExample } from '../support/examples';
import { type Band, drawTitle, freeGaps, placeTitles, type StrokedSegment, titlesExtent } from '../../src/drawing/titles';

const segment = (ax: number, ay: number, bx: number, by: number, width = 1): StrokedSegment => ({ a: { x: ax, y: ay }, b: { x: bx, y: by }, width });
const close = (actual: number, expected: number, what: string): void => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

describe('block titles: the gap finder', () => {
  const band: Band = { x0: 0, x1: 200, y0: 10, y1: 24 };

  it('a vertical edge through the band blocks its x, widened by half its stroke and the 3 px clearance', () => {
    // x = 50, stroke 2: 50 ± (1 + 3).
    assert.deepEqual(freeGaps(band, [segment(50, 0, 50, 40, 2)], []), [{ x0: 0, x1: 46 }, { x0: 54, x1: 200 }]);
  });

  it('a slanted edge blocks the x range it covers while within the band (grown by its reach)', () => {
    // x = 100 + y; reach 0.5 + 3 = 3.5, so heights 6.5..27.5 give x 106.5..127.5, blocked 103..131.
    assert.deepEqual(freeGaps(band, [segment(100, 0, 140, 40)], []), [{ x0: 0, x1: 103 }, { x0: 131, x1: 200 }]);
  });

  it('an edge ending above the band, out of reach, blocks nothing; a horizontal one inside it blocks its length', () => {
    // Ends at y = 6 < 10 - 3.5.
    assert.deepEqual(freeGaps(band, [segment(150, 0, 150, 6)], []), [{ x0: 0, x1: 200 }]);
    // y = 17, x 20..80: blocked 16.5..83.5.
    assert.deepEqual(freeGaps(band, [segment(20, 17, 80, 17)], []), [{ x0: 0, x1: 16.5 }, { x0: 83.5, x1: 200 }]);
  });

  it('a box reaching into the band blocks its width; one further than the clearance below does not', () => {
    const boxes = [{ x: 170, y: 22, width: 10, height: 10 }, { x: 60, y: 28, width: 30, height: 10 }];
    assert.deepEqual(freeGaps(band, [], boxes), [{ x0: 0, x1: 167 }, { x0: 183, x1: 200 }]);
  });

  it('all together: the intervals between, left to right; overlapping blocks merge', () => {
    const segments = [segment(50, 0, 50, 40, 2), segment(100, 0, 140, 40), segment(150, 0, 150, 6), segment(52, 12, 52, 20, 2)];
    const gaps = freeGaps(band, segments, [{ x: 170, y: 22, width: 10, height: 10 }]);
    // x = 52 blocks 48..56, merged with 46..54.
    assert.deepEqual(gaps, [{ x0: 0, x1: 46 }, { x0: 56, x1: 103 }, { x0: 131, x1: 167 }, { x0: 183, x1: 200 }]);
  });

  it('a band crossed wall to wall has no gap', () => {
    assert.deepEqual(freeGaps(band, [segment(-10, 17, 300, 17)], []), []);
  });
});

describe('block titles: widths and shortening', () => {
  it('widths are DejaVu Sans Bold advances at 11 px', () => {
    // a 0.675 em, b 0.716 em.
    close(titleWidth('ab'), (0.675 + 0.716) * 11, 'ab');
    // m 1.042, space 0.348, · 0.38, → 0.838, × 0.838, a character not in the table 1 em.
    close(titleWidth('m ·→×漢'), (1.042 + 0.348 + 0.38 + 0.838 + 0.838 + 1) * 11, 'mixed');
  });

  it('a title that does not fit keeps the longest prefix that fits with an ellipsis', () => {
    // abcdef = 3.813 em = 41.943 px; abc… = 2.984 em = 32.824 px; ab… = 2.391 em = 26.301 px.
    assert.equal(fitTitle('abcdef', 42), 'abcdef');
    assert.equal(fitTitle('abcdef', 33), 'abc…');
    assert.equal(fitTitle('abcdef', 32), 'ab…');
    // No trailing space before the ellipsis: "ab …" becomes "ab…".
    assert.equal(fitTitle('ab cdef', 33), 'ab…');
    // Not even "…" (11 px) fits.
    assert.equal(fitTitle('abc', 5), '');
  });
});

describe('block titles: placing', () => {
  // Top band: x 28..194, line box 107..121 (baseline 118); bottom band: x 6..194, 204..218; above: 84..98.
  const frame = { id: 'f', x: 0, y: 100, width: 200, height: 120 };
  const through = segment(60, 80, 60, 140, 2);

  it('left-most gap of the top band that holds the whole title', () => {
    // The edge at x = 60 leaves 28..56 (28 px) and 64..194; "abcdef" is 41.9 px.
    const [placed] = placeTitles([{ id: 'f', frame, text: 'abcdef' }], { segments: [through], boxes: [] }, [frame]);
    assert.deepEqual({ band: placed.band, x: placed.x, baseline: placed.baseline, lines: placed.lines }, { band: 'top', x: 64, baseline: 118, lines: ['abcdef'] });
    assert.deepEqual(placed.box, { x: 64, y: 107, width: titleWidth('abcdef'), height: 14 });
  });

  it('header crossed (on one line and on two), bottom band covered by a node, sides crossed: the band above the frame', () => {
    // The edge along y = 114 runs on beyond the frame's sides, through both bands beside it (y 107..121 and on).
    const across = segment(-300, 114, 600, 114);
    const node = { x: 10, y: 150, width: 180, height: 60 };
    const [placed] = placeTitles([{ id: 'f', frame, text: 'abcdef' }], { segments: [through, across], boxes: [node] }, [frame]);
    // Above the frame: 6..56 (50 px) holds it.
    assert.deepEqual({ band: placed.band, x: placed.x, baseline: placed.baseline, lines: placed.lines }, { band: 'outside', x: 6, baseline: 95, lines: ['abcdef'] });
  });

  it('no gap holds it: the widest gap of any band, shortened, with the full title kept', () => {
    const scene = { segments: [through, segment(-300, 114, 600, 114), segment(30, 0, 30, 300, 2), segment(120, 0, 120, 300, 2)], boxes: [{ x: 10, y: 150, width: 180, height: 60 }] };
    // Above: 6..26, 34..56, 64..116, 124..194 (70 px). "mmmmmmmm" is 91.7 px, with no place to break; "mmmmm…" 68.3 px fits 70.
    const [placed] = placeTitles([{ id: 'f', frame, text: 'mmmmmmmm' }], scene, [frame]);
    assert.deepEqual({ band: placed.band, x: placed.x, lines: placed.lines, full: placed.full }, { band: 'outside', x: 124, lines: ['mmmmm…'], full: 'mmmmmmmm' });
  });

  it('shortened, it stays in an earlier band unless a later one has a gap 24 px wider', () => {
    // Top band: edges at 60 and (from y = 110 down) 130 leave 64..126 (62 px) as its widest gap; the bottom band is
    // covered by a node. Above the frame, edges at 60 and 110 leave 114..194 (80 px): not 62 + 24 wide, so the top
    // band keeps it, as "mmmm…" (56.9 px; "mmmmm…" is 68.3).
    const base = [through, segment(130, 110, 130, 125, 2)];
    const node = { x: 10, y: 150, width: 180, height: 60 };
    // Beside the frame: a node right of it (from x 206, so the free room starts 2 px out, not at 204) and the drawing's edge left of it.
    const right = { x: 206, y: 90, width: 50, height: 150 };
    const [kept] = placeTitles([{ id: 'f', frame, text: 'mmmmmmmm' }], { segments: [...base, segment(110, 80, 110, 99, 2)], boxes: [node, right] }, [frame]);
    assert.deepEqual({ band: kept.band, x: kept.x, lines: kept.lines }, { band: 'top', x: 64, lines: ['mmmm…'] });
    // An edge at 100 instead leaves 104..194 (90 px) above the frame: more than 86, so the title moves there, as "mmmmmm…" (79.8 px).
    const [moved] = placeTitles([{ id: 'f', frame, text: 'mmmmmmmm' }], { segments: [...base, segment(100, 80, 100, 99, 2)], boxes: [node, right] }, [frame]);
    assert.deepEqual({ band: moved.band, x: moved.x, lines: moved.lines }, { band: 'outside', x: 104, lines: ['mmmmmm…'] });
  });

  it('a frame inside the block is an obstacle to it, the block around it is not, and a placed title is one to later titles', () => {
    const outer = { id: 'outer', x: 0, y: 0, width: 300, height: 300 };
    const inner = { id: 'inner', x: 20, y: 34, width: 260, height: 256 };
    // Outer: its top band is free left of the edge at x = 100 (inner starts below it). Inner: its header is
    // crossed by y = 41 (on one line and on two) and its bottom band by y = 285; beside it, outer leaves 10 px
    // (274 + 4 .. 294 and 6 .. 20 - 4), too narrow for any title; above it (x 26..274, y 18..32) outer's title (x 28..69.9,
    // y 7..21) blocks up to 72.9, leaving 72.9..96 (23 px) before the edge, then 104..274.
    const placed = placeTitles([{ id: 'outer', frame: outer, text: 'abcdef' }, { id: 'inner', frame: inner, text: 'abcdef' }], { segments: [segment(100, 0, 100, 60, 2), segment(0, 41, 300, 41), segment(0, 285, 300, 285)], boxes: [] }, [outer, inner]);
    assert.deepEqual(placed.map((p) => [p.id, p.band, p.x]), [['outer', 'top', 28], ['inner', 'outside', 104]]);
  });

  it('drawn: a whole title as text in frame coordinates; a broken one as a <tspan> per line; a shortened one with the full title as tooltip; none at all as the frame\'s tooltip', () => {
    const request = { id: 'f', frame, text: 'abcdef' };
    const whole = svgNode('g');
    drawTitle(whole, request, { id: 'f', lines: ['abcdef'], full: 'abcdef', band: 'top', x: 64, anchor: 'start', vertical: false, baseline: 118, box: { x: 64, y: 107, width: 41.943, height: 14 }, leader: null });
    assert.equal(serializeSvg(whole), '<g><text x="64" y="18" class="title">abcdef</text></g>');
    // Left of the frame, against it: the lines end at x = -4; the second baseline 13 px below the first.
    const broken = svgNode('g');
    drawTitle(broken, { id: 'f', frame, text: 'ab · cd' }, { id: 'f', lines: ['ab ·', 'cd'], full: 'ab · cd', band: 'left', x: -4, anchor: 'end', vertical: false, baseline: 118, box: { x: -27.309, y: 107, width: 23.309, height: 27 }, leader: null });
    assert.equal(serializeSvg(broken), '<g><text x="-4" y="18" class="title" text-anchor="end"><tspan x="-4" y="18">ab ·</tspan><tspan x="-4" y="31">cd</tspan></text></g>');
    const shortened = svgNode('g');
    drawTitle(shortened, request, { id: 'f', lines: ['ab…'], full: 'abcdef', band: 'outside', x: 6, anchor: 'start', vertical: false, baseline: 95, box: { x: 6, y: 84, width: 26.301, height: 14 }, leader: null });
    assert.equal(serializeSvg(shortened), '<g><g class="title-holder"><title>abcdef</title><text x="6" y="-5" class="title">ab…</text></g></g>');
    const none = svgNode('g');
    drawTitle(none, request, undefined);
    assert.equal(serializeSvg(none), '<g><title>abcdef</title></g>');
  });
});

// "ab · cd → ef (12)", in em: ab 1.391, space 0.348, · 0.38, cd 1.309, → 0.838, ef 1.113, (12) 2.306; whole 9.077 em = 99.847 px.
// Its lines: "ab · cd" 3.776 em = 41.536 px, "→ ef (12)" 4.953 em = 54.483 px, "ab · cd →" 4.962 em = 54.582 px, "ef (12)" 3.767 em = 41.437 px.
const TITLE = 'ab · cd → ef (12)';

describe('block titles: breaking into lines', () => {
  it('a title that fits stays one line; else the fewest lines at its separators, the narrowest widest line', () => {
    assert.deepEqual(breakTitle(TITLE, 100, 1), [TITLE]);
    assert.equal(breakTitle(TITLE, 99, 1), null);
    // Two lines of 60 px: after "·" ("ab ·" / "cd → ef (12)", 72.7 px, too wide), before "→" (widest 54.483 px) or after it
    // (54.582 px): before "→" wins.
    assert.deepEqual(breakTitle(TITLE, 60, 2), ['ab · cd', '→ ef (12)']);
    assert.deepEqual(breakTitle(TITLE, 60, 4), ['ab · cd', '→ ef (12)']);
    // 54.4 px: neither two-line breaking holds.
    assert.equal(breakTitle(TITLE, 54.4, 2), null);
    // 30 px takes four lines: "ab ·" 23.309, "cd" 14.399, "→ ef" 25.289, "(12)" 25.366 px (widest 25.366) beats
    // "ab ·", "cd →" 27.445, "ef", "(12)"; a line never starts with "·", so "ab" is never a line of its own.
    assert.deepEqual(breakTitle(TITLE, 30, 4), ['ab ·', 'cd', '→ ef', '(12)']);
    assert.equal(breakTitle(TITLE, 30, 3), null);
  });

  it('a name breaks after "_", ".", "/" or at camel case only where no space will do', () => {
    // "xx_yy ·" 3.822 em = 42.042 px, "zz" 12.804 px; "xx_" 19.69 px, "yy · zz" 38.984 px: at 45 px the space wins (cost 0 against 2).
    assert.deepEqual(breakTitle('xx_yy · zz', 45, 2), ['xx_yy ·', 'zz']);
    // "stage_" 3.642 em = 40.062 px, "one" 22.847 px; "conv" 29.084 px, "Block" 33.55 px; "a.b/c": a. 11.605 px, b/ 11.891 px.
    assert.deepEqual(breakTitle('stage_one', 41, 2), ['stage_', 'one']);
    assert.deepEqual(breakTitle('convBlock', 40, 2), ['conv', 'Block']);
    assert.equal(breakTitle('convBlock', 30, 2), null);
    assert.deepEqual(breakTitle('a.b/c', 12, 3), ['a.', 'b/', 'c']);
    // A break inside a name costs as much as two lines more: "xx · yy_" / "zz → ww" (45.87, 50.006 px) fits 51 px on two
    // lines, but three break only at separators and win, the narrowest: "xx ·" / "yy_zz" / "→ ww" (22.198, 32.648, 33.374 px)
    // against "xx ·" / "yy_zz →" / "ww" (widest 45.694 px).
    assert.deepEqual(breakTitle('xx · yy_zz → ww', 51, 3), ['xx ·', 'yy_zz', '→ ww']);
    assert.deepEqual(breakTitle('xx · yy_zz → ww', 51, 2), ['xx · yy_', 'zz → ww']);
    // No break inside a number or a shape: "16×32" has none.
    assert.equal(breakTitle('16×32', 30, 3), null);
  });
});

describe('block titles: two lines in the header, or beside the frame', () => {
  // A narrow frame: the header's line runs x 28..134; an edge at x = 60 (stroke 2, reach 4) leaves 28..56 and 64..134 (70 px).
  const narrow = { id: 'n', x: 0, y: 100, width: 140, height: 120 };

  it('the header\'s line too short, two lines in the header (top 103, baselines 114 and 127)', () => {
    const [placed] = placeTitles([{ id: 'n', frame: narrow, text: TITLE }], { segments: [segment(60, 80, 60, 140, 2)], boxes: [] }, [narrow]);
    assert.deepEqual({ band: placed.band, lines: placed.lines, x: placed.x, baseline: placed.baseline }, { band: 'top', lines: ['ab · cd', '→ ef (12)'], x: 64, baseline: 114 });
    close(placed.box.width, titleWidth('→ ef (12)'), 'box width');
    assert.deepEqual({ y: placed.box.y, height: placed.box.height }, { y: 103, height: 27 });
  });

  it('the header blocked: beside the frame, on its right, 4 px from it, top-aligned with the header\'s line', () => {
    // Edges at 40 and 90 leave 28..36, 44..86 (42 px), 94..134 (40 px): not even two lines (54.5 px).
    const segments = [segment(40, 80, 40, 140, 2), segment(90, 80, 90, 140, 2)];
    const [free] = placeTitles([{ id: 'n', frame: narrow, text: TITLE }], { segments, boxes: [] }, [narrow]);
    assert.deepEqual({ band: free.band, lines: free.lines, x: free.x, anchor: free.anchor, baseline: free.baseline }, { band: 'right', lines: [TITLE], x: 144, anchor: 'start', baseline: 118 });
    // A node at x 220 ends the room at 217: 73 px, less 9 px to stay nearer the own frame, 64 px: two lines.
    const [near] = placeTitles([{ id: 'n', frame: narrow, text: TITLE }], { segments, boxes: [{ x: 220, y: 100, width: 80, height: 100 }] }, [narrow]);
    assert.deepEqual({ band: near.band, lines: near.lines, x: near.x }, { band: 'right', lines: ['ab · cd', '→ ef (12)'], x: 144 });
    assert.deepEqual({ y: near.box.y, height: near.box.height }, { y: 107, height: 27 });
  });

  it('the right side taken: left of the frame, its lines ending 4 px from it', () => {
    const frame = { id: 'l', x: 200, y: 100, width: 140, height: 120 };
    // Header blocked as above (edges at 240 and 290); a node right of the frame from x 346 (room from 399, not 344).
    const scene = { segments: [segment(240, 80, 240, 140, 2), segment(290, 80, 290, 140, 2)], boxes: [{ x: 346, y: 90, width: 50, height: 200 }] };
    const [placed] = placeTitles([{ id: 'l', frame, text: TITLE }], scene, [frame]);
    assert.deepEqual({ band: placed.band, lines: placed.lines, x: placed.x, anchor: placed.anchor }, { band: 'left', lines: [TITLE], x: 196, anchor: 'end' });
    close(placed.box.x, 196 - titleWidth(TITLE), 'box x');
  });

  it('beside a frame inside a block: the room ends 6 px inside the block around it', () => {
    const outer = { id: 'outer', x: 0, y: 0, width: 300, height: 300 };
    const inner = { id: 'inner', x: 20, y: 34, width: 200, height: 200 };
    // Inner's header crossed wall to wall (y = 45, up to x 215 + 3.5); right of it x 224..294 (70 px, ended by the room, not by an obstacle): two lines.
    const placed = placeTitles([{ id: 'inner', frame: inner, text: TITLE }], { segments: [segment(0, 45, 215, 45)], boxes: [] }, [outer, inner]);
    assert.deepEqual(placed.map((p) => [p.band, p.lines, p.x]), [['right', ['ab · cd', '→ ef (12)'], 224]]);
    // The drawing must reach the titles' right and bottom ends.
    const extent = titlesExtent(placed);
    close(extent.x, 224 + titleWidth('→ ef (12)'), 'extent x');
    close(extent.y, 34 + 7 + 27, 'extent y');
  });
});

describe('block titles: above the frame, along its side, beside a block around it', () => {
  it('header and sides crossed: above the frame, on as many lines as its width needs, the last 2 px above it', () => {
    const frame = { id: 'a', x: 100, y: 200, width: 80, height: 120 };
    // y = 214 crosses the header and both sides; above, x 106..174 (68 px) holds "ab · cd" / "→ ef (12)" (54.483 px).
    const [placed] = placeTitles([{ id: 'a', frame, text: TITLE }], { segments: [segment(-500, 214, 1000, 214)], boxes: [] }, [frame]);
    assert.deepEqual({ band: placed.band, lines: placed.lines, x: placed.x, baseline: placed.baseline }, { band: 'outside', lines: ['ab · cd', '→ ef (12)'], x: 106, baseline: 182 });
    assert.deepEqual({ y: placed.box.y, bottom: placed.box.y + placed.box.height }, { y: 171, bottom: 198 });
  });

  it('no room for lines beside or above a tall frame: one line along its side, turned to read downwards', () => {
    const frame = { id: 'v', x: 100, y: 100, width: 140, height: 300 };
    // Header: edges at 140 and 190 leave at most 42 px (two lines need 54.5). A node right of the frame from x 262 leaves
    // 244..259 beside it (6 px once 9 px are kept from the node); one left of it ends at 90; one above covers the room above.
    const segments = [segment(140, 0, 140, 140, 2), segment(190, 0, 190, 140, 2)];
    const boxes = [{ x: 262, y: 80, width: 60, height: 40 }, { x: 0, y: 0, width: 90, height: 500 }, { x: 100, y: 60, width: 140, height: 30 }];
    const [outside] = placeTitles([{ id: 'v', frame, text: TITLE }], { segments, boxes }, [frame]);
    // The strip 244..258 (the line box, 14 px) from y 107 is free for 293 px; the baseline runs 3 px right of its left side.
    assert.deepEqual({ band: outside.band, vertical: outside.vertical, lines: outside.lines, x: outside.x, baseline: outside.baseline }, { band: 'right', vertical: true, lines: [TITLE], x: 247, baseline: 107 });
    assert.deepEqual({ x: outside.box.x, y: outside.box.y, width: outside.box.width }, { x: 244, y: 107, width: 14 });
    close(outside.box.height, titleWidth(TITLE), 'length');
    // A node at x 250 takes that strip too: inside the frame, along its right side (x 220..234), clear of the edge at 190.
    const [inside] = placeTitles([{ id: 'v', frame, text: TITLE }], { segments, boxes: [...boxes, { x: 250, y: 100, width: 10, height: 300 }] }, [frame]);
    assert.deepEqual({ band: inside.band, vertical: inside.vertical, x: inside.x, box: inside.box.x }, { band: 'top', vertical: true, x: 223, box: 220 });
  });

  it('no room at all around a frame in a narrow block: beside the block around it, joined by a leader', () => {
    const outer = { id: 'outer', x: 0, y: 0, width: 230, height: 400 };
    const inner = { id: 'inner', x: 20, y: 40, width: 200, height: 200 };
    // y = 54 crosses inner's header, y = 30 the room above it; a node fills it (x 30..210, y 70..230); beside it outer
    // leaves 4 px on the right and 10 on the left. Beside outer, on inner's header line (top 47), with a leader at
    // y 47 + 5.5 + 1 from inner's side (220) to 1 px short of the title (234).
    const scene = { segments: [segment(0, 54, 215, 54), segment(0, 30, 215, 30)], boxes: [{ x: 30, y: 70, width: 180, height: 160 }] };
    const [placed] = placeTitles([{ id: 'inner', frame: inner, text: 'abcdef' }], scene, [outer, inner]);
    assert.deepEqual({ band: placed.band, lines: placed.lines, x: placed.x, baseline: placed.baseline, leader: placed.leader }, { band: 'right', lines: ['abcdef'], x: 234, baseline: 58, leader: { x1: 220, x2: 233, y: 53.5 } });
    // Drawn in inner's coordinates: the leader, then the text.
    const g = svgNode('g');
    drawTitle(g, { id: 'inner', frame: inner, text: 'abcdef' }, placed);
    assert.equal(serializeSvg(g), '<g><line class="title-leader" x1="200" y1="13.5" x2="213" y2="13.5"/><text x="214" y="18" class="title">abcdef</text></g>');
  });

  it('drawn turned: a transform to the first line\'s start, the lines as <tspan>s in the turned coordinates', () => {
    const frame = { id: 'v', x: 100, y: 100, width: 140, height: 300 };
    const g = svgNode('g');
    drawTitle(g, { id: 'v', frame, text: 'ab · cd' }, { id: 'v', lines: ['ab ·', 'cd'], full: 'ab · cd', band: 'right', x: 260, anchor: 'start', vertical: true, baseline: 107, box: { x: 244, y: 107, width: 27, height: 23.309 }, leader: null });
    assert.equal(serializeSvg(g), '<g><text transform="translate(160,7) rotate(90)" class="title"><tspan x="0" y="0">ab ·</tspan><tspan x="0" y="13">cd</tspan></text></g>');
  });
});

describe('block titles: room for a title that found no place, and the layout that reserves it', () => {
  it('the narrowest width for at most n lines', () => {
    // One line: the whole 99.847 px. Two: "ab · cd" / "→ ef (12)", widest 54.483 px. Three: "ab ·" (23.309) / "cd →"
    // (2.495 em = 27.445) / "ef (12)" (41.437), widest 41.437 px, narrower than "ab · cd" / "→ ef" / "(12)" (41.536).
    assert.deepEqual([1, 2, 3].map((n) => narrowestBreaking(TITLE, n)), [100, 55, 42]);
  });

  // A 120 px frame between tight neighbours: y = 114 runs beside it on both sides (x up to -2 and from 122), a box
  // covers the room above it (down to y 80, within the 9 px kept above a title), its child (x 10..110, y 134..214)
  // covers its bottom band and the strips along its sides, and an edge enters the child at x = 60.
  const frame = { id: 'f', x: 0, y: 100, width: 120, height: 120 };
  const around = [segment(-300, 114, -2, 114), segment(122, 114, 600, 114)];
  const boxes = [{ x: -50, y: 40, width: 300, height: 40 }, { x: 10, y: 134, width: 100, height: 80 }];

  it('the room it lacks in the two-line header: the narrowest two-line breaking less the header\'s last free gap, plus 2 px', () => {
    // Two-line header band x 28..114, y 103..130: the edge blocks 56..64, leaving 64..114 (50 px) at its right end.
    const room = new Map<string, number>();
    const [placed] = placeTitles([{ id: 'f', frame, text: TITLE }], { segments: [...around, segment(60, 80, 60, 134, 2)], boxes }, [frame], room);
    assert.equal(placed.lines.length, 1);
    assert.ok(placed.lines[0].endsWith('…'), placed.lines[0]);
    // ceil(55 - 50) + 2.
    assert.deepEqual([...room], [['f', 7]]);
    // An edge at x = 112 ends the header's last gap at 108, short of the band's end: room beside the frame adds
    // nothing to that gap, so the whole two-line width is asked for, ceil(55 - 0) + 2.
    const blocked = new Map<string, number>();
    placeTitles([{ id: 'f', frame, text: TITLE }], { segments: [...around, segment(60, 80, 60, 134, 2), segment(112, 80, 112, 134, 2)], boxes }, [frame], blocked);
    assert.deepEqual([...blocked], [['f', 57]]);
    // Once the frame is 7 px wider (the layout added the room), the header holds it on two lines.
    const wider = { ...frame, width: 127 };
    const [whole] = placeTitles([{ id: 'f', frame: wider, text: TITLE }], { segments: [segment(-300, 114, -2, 114), segment(129, 114, 600, 114), segment(60, 80, 60, 134, 2)], boxes }, [wider], new Map());
    assert.deepEqual({ band: whole.band, lines: whole.lines, x: whole.x }, { band: 'top', lines: ['ab · cd', '→ ef (12)'], x: 64 });
  });

  it('siamese_mnist top-down: the tower fb, at the drawing\'s edge beside fa, gets its room from a second layout and its title whole', async () => {
    const built = payloadFor(readExample('siamese_mnist.skipnet'));
    assert.ok('payload' in built);
    const inputs: ElkInputNode[] = [];
    const drawing = await drawPayload(built.payload, { direction: 'down', expand: 'default' }, (graph) => {
      inputs.push(graph);
      return layoutInNode(graph);
    });
    const padding = (graph: ElkInputNode, id: string): string => graph.children?.find((c) => c.id === id)?.layoutOptions?.['elk.padding'] ?? '';
    // The first layout reserves nothing; fb's title is shortened there (bench/titles.bench.ts lists it), so a second
    // one adds room at fb's right only; then every title is whole and no third layout is run.
    assert.equal(inputs.length, 2);
    assert.equal(padding(inputs[0], 'fb'), '[top=34,left=10,bottom=10,right=10]');
    const right = Number(/right=(\d+)/.exec(padding(inputs[1], 'fb'))?.[1]);
    assert.ok(right > 10, padding(inputs[1], 'fb'));
    assert.equal(padding(inputs[1], 'fa'), '[top=34,left=10,bottom=10,right=10]');
    assert.deepEqual([...drawing.titleRoom], []);
    // fb's frame: its one column of 156 px nodes, 10 px on the left, and the padding on the right.
    const fb = drawing.layout.boxes.find((b) => b.id === 'fb');
    assert.equal(fb?.width, 10 + 156 + right);
    const titles = [...walk(drawing.content)].filter((n) => n.tag === 'text' && attribute(n, 'class') === 'title');
    const lines = titles.map((t) => (t.children.length > 0 ? t.children.map((c) => c.text ?? '') : [t.text ?? '']));
    assert.deepEqual(lines.map((l) => l.join(' ')).sort(), ['fa · tower → 64 (64 maps)', 'fb · tower → 64 (64 maps)']);
  });
});

/**
 * Placing block titles (src/drawing/titles.ts) on hand-made scenes: the free intervals of a band between
 * edge segments and boxes, the title's width from DejaVu Sans Bold's advance widths, shortening with an
 * ellipsis, the band chosen, and what is drawn. Every expected value is worked out by hand in the comments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serializeSvg, svgNode } from '../../src/drawing/svg-tree';
import { type Band, drawTitle, fitTitle, freeGaps, placeTitles, type StrokedSegment, titleWidth } from '../../src/drawing/titles';

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
    assert.deepEqual({ band: placed.band, x: placed.x, baseline: placed.baseline, text: placed.text }, { band: 'top', x: 64, baseline: 118, text: 'abcdef' });
    assert.deepEqual(placed.box, { x: 64, y: 107, width: titleWidth('abcdef'), height: 14 });
  });

  it('top band crossed, bottom band covered by a node: the band above the frame', () => {
    const across = segment(0, 114, 200, 114);
    const node = { x: 10, y: 150, width: 180, height: 60 };
    const [placed] = placeTitles([{ id: 'f', frame, text: 'abcdef' }], { segments: [through, across], boxes: [node] }, [frame]);
    // Above the frame: 6..56 (50 px) holds it.
    assert.deepEqual({ band: placed.band, x: placed.x, baseline: placed.baseline, text: placed.text }, { band: 'outside', x: 6, baseline: 95, text: 'abcdef' });
  });

  it('no gap holds it: the widest gap of any band, shortened, with the full title kept', () => {
    const scene = { segments: [through, segment(0, 114, 200, 114), segment(30, 0, 30, 300, 2), segment(120, 0, 120, 300, 2)], boxes: [{ x: 10, y: 150, width: 180, height: 60 }] };
    // Above: 6..26, 34..56, 64..116, 124..194 (70 px). "mmmmmmmm" is 91.7 px; "mmmmm…" 68.3 px fits 70.
    const [placed] = placeTitles([{ id: 'f', frame, text: 'mmmmmmmm' }], scene, [frame]);
    assert.deepEqual({ band: placed.band, x: placed.x, text: placed.text, full: placed.full }, { band: 'outside', x: 124, text: 'mmmmm…', full: 'mmmmmmmm' });
  });

  it('shortened, it stays in an earlier band unless a later one has a gap 24 px wider', () => {
    // Top band: edges at 60 and (from y = 110 down) 130 leave 64..126 (62 px) as its widest gap; the bottom band is
    // covered by a node. Above the frame, edges at 60 and 110 leave 114..194 (80 px): not 62 + 24 wide, so the top
    // band keeps it, as "mmmm…" (56.9 px; "mmmmm…" is 68.3).
    const base = [through, segment(130, 110, 130, 125, 2)];
    const node = { x: 10, y: 150, width: 180, height: 60 };
    const [kept] = placeTitles([{ id: 'f', frame, text: 'mmmmmmmm' }], { segments: [...base, segment(110, 80, 110, 99, 2)], boxes: [node] }, [frame]);
    assert.deepEqual({ band: kept.band, x: kept.x, text: kept.text }, { band: 'top', x: 64, text: 'mmmm…' });
    // An edge at 100 instead leaves 104..194 (90 px) above the frame: more than 86, so the title moves there, as "mmmmmm…" (79.8 px).
    const [moved] = placeTitles([{ id: 'f', frame, text: 'mmmmmmmm' }], { segments: [...base, segment(100, 80, 100, 99, 2)], boxes: [node] }, [frame]);
    assert.deepEqual({ band: moved.band, x: moved.x, text: moved.text }, { band: 'outside', x: 104, text: 'mmmmmm…' });
  });

  it('a frame inside the block is an obstacle to it, the block around it is not, and a placed title is one to later titles', () => {
    const outer = { id: 'outer', x: 0, y: 0, width: 300, height: 300 };
    const inner = { id: 'inner', x: 20, y: 34, width: 260, height: 256 };
    // Outer: its top band is free left of the edge at x = 100 (inner starts below it). Inner: its top band is
    // crossed by y = 41 and its bottom band by y = 285; above it (x 26..274, y 18..32) outer's title (x 28..69.9,
    // y 7..21) blocks up to 72.9, leaving 72.9..96 (23 px) before the edge, then 104..274.
    const placed = placeTitles([{ id: 'outer', frame: outer, text: 'abcdef' }, { id: 'inner', frame: inner, text: 'abcdef' }], { segments: [segment(100, 0, 100, 60, 2), segment(0, 41, 300, 41), segment(0, 285, 300, 285)], boxes: [] }, [outer, inner]);
    assert.deepEqual(placed.map((p) => [p.id, p.band, p.x]), [['outer', 'top', 28], ['inner', 'outside', 104]]);
  });

  it('drawn: a whole title as text in frame coordinates; a shortened one with the full title as tooltip; none at all as the frame\'s tooltip', () => {
    const request = { id: 'f', frame, text: 'abcdef' };
    const whole = svgNode('g');
    drawTitle(whole, request, { id: 'f', text: 'abcdef', full: 'abcdef', band: 'top', x: 64, baseline: 118, box: { x: 64, y: 107, width: 41.943, height: 14 } });
    assert.equal(serializeSvg(whole), '<g><text x="64" y="18" class="title">abcdef</text></g>');
    const shortened = svgNode('g');
    drawTitle(shortened, request, { id: 'f', text: 'ab…', full: 'abcdef', band: 'outside', x: 6, baseline: 95, box: { x: 6, y: 84, width: 26.301, height: 14 } });
    assert.equal(serializeSvg(shortened), '<g><g class="title-holder"><title>abcdef</title><text x="6" y="-5" class="title">ab…</text></g></g>');
    const none = svgNode('g');
    drawTitle(none, request, undefined);
    assert.equal(serializeSvg(none), '<g><title>abcdef</title></g>');
  });
});

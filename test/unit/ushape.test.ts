/**
 * The U-Net drawn as a U (src/drawing/ushape.ts): found from the graph's structure, placed with the encoder
 * descending, the decoder rising beside it and every long skip a straight edge across, in both directions;
 * every other example keeps ELK's layout exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutInNode, payloadFor } from '../../src/cli/render';
import { type LaidOutBox, type LayoutResult, readElkResult, toElkGraph } from '../../src/drawing/elk-graph';
import { expandAllOverrides } from '../../src/drawing/pipeline';
import { findUShape, placeUShape } from '../../src/drawing/ushape';
import { collapseState, computeVisible, type VisibleGraph } from '../../src/drawing/visible';
import type { LayoutDirection } from '../../src/protocol/messages';
import { drawnRoutes, edgesLeavingTheirBlock, edgesThroughNodes } from '../support/edge-geometry';
import { exampleNames, readExample } from '../support/examples';

async function laidOut(text: string, expand: 'default' | 'all', direction: LayoutDirection): Promise<{ visible: VisibleGraph; elk: LayoutResult; u: LayoutResult; groups: Parameters<typeof drawnRoutes>[2] }> {
  const result = payloadFor(text);
  assert.ok('payload' in result, 'message' in result ? result.message : '');
  const payload = result.payload;
  const visible = computeVisible(payload, collapseState(payload, expand === 'all' ? expandAllOverrides(payload) : {}));
  const elk = readElkResult((await layoutInNode(toElkGraph(visible, direction))) as Parameters<typeof readElkResult>[0]);
  return { visible, elk, u: placeUShape(visible, elk, direction), groups: payload.groups };
}

const centre = (b: LaidOutBox): { x: number; y: number } => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/** A two-level U with nearest-neighbour upsampling and a 1×1 convolution after it (not a transposed conv). */
const SMALL_U = `model small_u(16x16x1) {
  e1: conv(4, 3, pad=1) -> relu
  e2: maxpool(2) -> conv(8, 3, pad=1) -> relu
  mid: maxpool(2) -> conv(16, 3, pad=1)
  u2: upsample(2) -> conv(8, 1)
  d2: concat(e2, u2) -> conv(8, 3, pad=1)
  u1: upsample(2) -> conv(4, 1)
  d1: concat(e1, u1) -> conv(2, 1)
}`;
/** Its long skips, outermost first: each encoder level's output (the labelled relu) into its decoder concat. */
const SMALL_U_SKIPS = ['e1→concat2', 'e2→concat1'];

describe('U-Net drawn as a U', () => {
  for (const name of ['unet.skipnet', 'unet_mnist.skipnet']) {
    for (const direction of ['down', 'right'] as const) {
      it(`${name}, ${direction}: levels face each other, skips straight across, no edge through a node`, async () => {
        for (const expand of ['default', 'all'] as const) {
          const { visible, elk, u, groups } = await laidOut(readExample(name), expand, direction);
          const shape = findUShape(visible);
          assert.ok(shape, `${name} is found to be a U`);
          assert.equal(shape.skips.length, 3);
          assert.notEqual(u, elk);
          const box = new Map(u.boxes.map((b) => [b.id, b]));
          // Along: y for top-to-bottom, x for left-to-right; across: the other.
          const along = (id: string): number => (direction === 'down' ? centre(box.get(id)!).y : centre(box.get(id)!).x);
          const across = (id: string): number => (direction === 'down' ? centre(box.get(id)!).x : centre(box.get(id)!).y);
          for (const [encoder, decoder] of shape.skips) {
            assert.ok(Math.abs(along(encoder) - along(decoder)) < 0.5, `${encoder} level with ${decoder}`);
            assert.ok(across(decoder) - across(encoder) > 150, `${decoder} in the column beside ${encoder}`);
            const route = u.edges.find((e) => visible.edges.some((v) => v.id === e.id && v.source === encoder && v.target === decoder))!;
            assert.equal(route.points.length, 2);
            const [a, b] = route.points;
            assert.ok(direction === 'down' ? Math.abs(a.y - b.y) < 0.5 : Math.abs(a.x - b.x) < 0.5, 'straight across');
          }
          const encoders = shape.skips.map(([e]) => along(e));
          const decoders = shape.skips.map(([, d]) => along(d));
          for (let k = 1; k < 3; k++) {
            assert.ok(encoders[k] > encoders[k - 1] + 40, 'the encoder descends');
            assert.ok(decoders[k] > decoders[k - 1] + 40, 'the decoder rises towards the outer levels');
          }
          const bottleneck = shape.down[shape.down.length - 1];
          for (const item of visible.items) assert.ok(along(item.id) <= along(bottleneck) + 0.5, `${item.id} not below the bottleneck`);
          const routes = drawnRoutes(visible, u, groups, direction);
          assert.deepEqual(edgesThroughNodes(visible, u, routes).map((p) => `${p.edge} through ${p.other}`), [], `${name} ${expand}`);
          assert.deepEqual(edgesLeavingTheirBlock(visible, u, routes).map((p) => `${p.edge} leaves ${p.other}`), [], `${name} ${expand}`);
          // Blocks' frames never overlap across the gap: each lies within its own column.
          const downIds = new Set(shape.down);
          const columnEdge = Math.max(...u.boxes.filter((b) => downIds.has(b.id)).map((b) => (direction === 'down' ? b.x + b.width : b.y + b.height)));
          for (const compound of visible.compounds) {
            const b = box.get(compound.id)!;
            const start = direction === 'down' ? b.x : b.y;
            const end = direction === 'down' ? b.x + b.width : b.y + b.height;
            assert.ok(end <= columnEdge + 12 || start >= columnEdge + 12, `${compound.id} stays in one column`);
          }
          // Much less tall than ELK's chain (4,206 → 2,434 px top-down for unet): the two columns share the
          // height, so it falls to little more than half, and the aspect (across ÷ along) more than doubles.
          const length = (l: LayoutResult): number => (direction === 'down' ? l.height : l.width);
          const aspect = (l: LayoutResult): number => (direction === 'down' ? l.width / l.height : l.height / l.width);
          assert.ok(length(u) < 0.62 * length(elk), `length ${length(elk).toFixed(0)} → ${length(u).toFixed(0)} px`);
          assert.ok(aspect(u) > 2 * aspect(elk), `aspect ${aspect(elk).toFixed(3)} → ${aspect(u).toFixed(3)}`);
        }
      });
    }
  }

  it('a small U with upsample and a 1×1 conv before each concat is found and placed', async () => {
    const { visible, u, groups } = await laidOut(SMALL_U, 'default', 'down');
    const shape = findUShape(visible);
    assert.ok(shape);
    assert.deepEqual(shape.skips.map(([e, d]) => `${e}→${d}`), SMALL_U_SKIPS);
    const routes = drawnRoutes(visible, u, groups, 'down');
    assert.deepEqual(edgesThroughNodes(visible, u, routes), []);
  });

  it('not a U: nested skips without upsampling, crossing skips, a residual branch inside a level', () => {
    const cases: [string, string][] = [
      [`model a(16x16x1) {
  e1: conv(4, 3, pad=1)
  e2: conv(4, 3, pad=1)
  m: conv(4, 3, pad=1) -> conv(4, 3, pad=1)
  d2: concat(e2, m) -> conv(4, 3, pad=1)
  d1: concat(e1, d2) -> conv(2, 1)
}`, 'same-size concats, nothing upsampled (an Inception-like chain)'],
      [`model b(8x8x1) {
  e1: conv(4, 3, pad=1)
  e2: conv(4, 3, pad=1)
  m: conv(4, 3, pad=1) -> convtranspose(4, 3, pad=1)
  d1: concat(e1, m) -> convtranspose(4, 3, pad=1)
  d2: concat(e2, d1) -> conv(2, 1)
}`, 'the skips cross instead of nesting'],
      [SMALL_U.replace('  mid: maxpool(2) -> conv(16, 3, pad=1)', '  p: maxpool(2) -> conv(16, 3, pad=1)\n  mid: conv(16, 3, pad=1) -> relu -> add(p, _)'), 'a residual block in the bottleneck'],
    ];
    for (const [text, why] of cases) {
      const result = payloadFor(text);
      assert.ok('payload' in result, `${why}: ${'message' in result ? result.message : ''}`);
      const visible = computeVisible(result.payload, collapseState(result.payload, {}));
      assert.equal(result.payload.nodes.filter((n) => n.merge === 'concat').length, 2, `${why}: two concats`);
      assert.equal(findUShape(visible), null, why);
    }
  });

  it('every other example keeps ELK layout exactly (the same object, no coordinate moved)', async () => {
    for (const name of exampleNames()) {
      if (name.startsWith('unet')) continue;
      const { visible, elk, u } = await laidOut(readExample(name), 'default', 'down');
      assert.equal(findUShape(visible), null, name);
      assert.equal(u, elk, name);
    }
  });
});

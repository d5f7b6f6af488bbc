import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutInNode, payloadFor } from '../../src/cli/render';
import { readElkResult, toElkGraph } from '../../src/drawing/elk-graph';
import { expandAllOverrides } from '../../src/drawing/pipeline';
import { collapseState, computeVisible, type VisibleGraph } from '../../src/drawing/visible';
import type { LayoutDirection } from '../../src/protocol/messages';
import type { GraphPayload } from '../../src/protocol/payload';
import { drawnRoutes, edgesLeavingTheirBlock, edgesThroughNodes, segmentIntoBox } from '../support/edge-geometry';
import { exampleNames, readExample } from '../support/examples';

async function laidOut(text: string, expand: 'default' | 'all', direction: LayoutDirection) {
  const result = payloadFor(text);
  assert.ok('payload' in result, 'message' in result ? result.message : '');
  const payload: GraphPayload = result.payload;
  const visible: VisibleGraph = computeVisible(payload, collapseState(payload, expand === 'all' ? expandAllOverrides(payload) : {}));
  const layout = readElkResult((await layoutInNode(toElkGraph(visible, direction))) as Parameters<typeof readElkResult>[0]);
  const routes = drawnRoutes(visible, layout, payload.groups, direction);
  return { payload, visible, layout, routes };
}

/** No drawn edge crosses a node other than its ends, and none leaves the block holding both its ends. */
async function assertTraceable(name: string, text: string, expand: 'default' | 'all', direction: LayoutDirection): Promise<number> {
  const { visible, layout, routes } = await laidOut(text, expand, direction);
  const drawn = visible.edges.filter((e) => e.draw !== 'hidden');
  assert.equal(drawn.filter((e) => !routes.has(e.id)).length, 0, `${name}: every drawn edge has a route`);
  const through = edgesThroughNodes(visible, layout, routes);
  assert.deepEqual(through.map((p) => `${p.edge} through ${p.other} by ${p.depth.toFixed(1)} px`), [], `${name} (${expand}, ${direction})`);
  const leaving = edgesLeavingTheirBlock(visible, layout, routes);
  assert.deepEqual(leaving.map((p) => `${p.edge} leaves ${p.other} by ${p.depth.toFixed(1)} px`), [], `${name} (${expand}, ${direction})`);
  return drawn.filter((e) => e.draw === 'arc').length;
}

/** A seeded chain of convolutions, each followed by a concat of itself and a random set of earlier tensors. */
function concatChain(layers: number, seed: number): string {
  let state = seed;
  const random = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['model chain(8x8x3) {', '  c0: conv(4, 3, pad=1)'];
  for (let i = 1; i <= layers; i++) {
    lines.push(`  x${i}: conv(4, 3, pad=1)`);
    const inputs = [`x${i}`];
    for (let j = 0; j < i; j++) if (random() < 0.6 || j === i - 1) inputs.push(`c${j}`);
    lines.push(`  c${i}: concat(${inputs.join(', ')})`);
  }
  lines.push('}');
  return lines.join('\n');
}

describe('edge routing: every edge can be traced', () => {
  it('the check finds a segment through a box, and how deep', () => {
    const box = { id: 'b', x: 50, y: 0, width: 100, height: 100 };
    assert.equal(segmentIntoBox({ x: 0, y: 50 }, { x: 200, y: 50 }, box, 1), 50);
    assert.equal(segmentIntoBox({ x: 0, y: 50 }, { x: 40, y: 50 }, box, 1), 0);
    // Along the side (inside the 1 px inset) is not through.
    assert.equal(segmentIntoBox({ x: 150, y: -10 }, { x: 150, y: 110 }, box, 1), 0);
    assert.equal(segmentIntoBox({ x: 140, y: -10 }, { x: 140, y: 110 }, box, 1), 10);
  });

  it('the smallest case: x1 → c2 passes beside x2, not through it', async () => {
    const text = 'model m(8x8x3) {\n  x0: conv(4,3,pad=1)\n  x1: conv(4,3,pad=1)\n  x2: conv(4,3,pad=1)\n  c1: concat(x2, x1)\n  c2: concat(c1, x0)\n}';
    const { visible, layout, routes } = await laidOut(text, 'default', 'down');
    const arc = visible.edges.find((e) => e.draw === 'arc' && e.source === 'x1' && e.target === 'c2');
    assert.ok(arc, 'x1 → c2 is a dense edge');
    const points = routes.get(arc.id)!;
    const box = (id: string) => layout.boxes.find((b) => b.id === id)!;
    // Leaves x1's right side, runs down a lane right of x2 and c1, enters c2's right side.
    assert.equal(points[0].x, box('x1').x + box('x1').width);
    assert.ok(points[1].x > box('x2').x + box('x2').width, `lane at ${points[1].x} right of x2`);
    assert.ok(points[1].x > box('c1').x + box('c1').width);
    assert.equal(points[3].x, box('c2').x + box('c2').width);
    assert.equal(segmentIntoBox(points[1], points[2], box('x2'), 1), 0);
    await assertTraceable('smallest', text, 'default', 'down');
  });

  for (const name of exampleNames()) {
    it(`${name}: default and fully expanded, top-down`, async () => {
      const text = readExample(name);
      await assertTraceable(name, text, 'default', 'down');
      await assertTraceable(name, text, 'all', 'down');
    });
  }

  it('mnist_densenet and densenet40 left-to-right: arcs run below, beside no node', async () => {
    for (const name of ['mnist_densenet.skipnet', 'densenet40.skipnet']) {
      const arcs = await assertTraceable(name, readExample(name), 'all', 'right');
      assert.ok(arcs > 10, `${name} has dense arcs (${arcs})`);
    }
  });

  it('generated concat chains, 2 to 9 layers', async () => {
    for (let layers = 2; layers <= 9; layers++) {
      const text = concatChain(layers, layers * 7919);
      const arcs = await assertTraceable(`chain of ${layers}`, text, 'default', 'down');
      assert.ok(layers < 3 || arcs > 0, `chain of ${layers} has dense arcs`);
      await assertTraceable(`chain of ${layers}`, text, 'default', 'right');
    }
  });
});

/**
 * The graph webview draws a U-Net as a U (src/drawing/ushape.ts), read on screen from the real bundles: the
 * encoder levels descend, the decoder levels rise beside them at the same heights, each long skip is a
 * horizontal edge over no node, and the drawing is far less tall than the layered chain. A model that is not
 * a U (resnet20) keeps ELK's coordinates exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layoutInNode } from '../../src/cli/render';
import { type LaidOutBox, type LayoutResult, readElkResult, toElkGraph } from '../../src/drawing/elk-graph';
import { collapseState, computeVisible } from '../../src/drawing/visible';
import type { GraphPayload } from '../../src/protocol/payload';
import { examplePayload, openWebview, useBrowser, type WebviewPage } from './harness';

const browser = useBrowser();

interface Screen {
  nodes: LaidOutBox[];
  groups: LaidOutBox[];
  edges: { source: string; target: string; d: string }[];
}

/** Node and block boxes (root coordinates, from their transforms and shapes) and edge paths as drawn. */
function screen(w: WebviewPage): Promise<Screen> {
  return w.page.evaluate(() => {
    const boxOf = (g: SVGGElement, id: string) => {
      const m = g.transform.baseVal.consolidate()?.matrix;
      const shape = g.querySelector<SVGGraphicsElement>(':scope > .shape, :scope > rect')!.getBBox();
      return { id, x: m?.e ?? 0, y: m?.f ?? 0, width: shape.width, height: shape.height };
    };
    return {
      nodes: [...document.querySelectorAll<SVGGElement>('#graph .nodes .node')].map((g) => boxOf(g, g.dataset.id ?? '')),
      groups: [...document.querySelectorAll<SVGGElement>('#graph .groups .group')].map((g) => boxOf(g, g.dataset.group ?? '')),
      edges: [...document.querySelectorAll<SVGPathElement>('#graph .edges .edge')].map((p) => ({ source: p.dataset.source ?? '', target: p.dataset.target ?? '', d: p.getAttribute('d') ?? '' })),
    };
  });
}

function points(d: string): { x: number; y: number }[] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
}

const middle = (b: LaidOutBox): number => b.y + b.height / 2;

/** Extent of a set of boxes: width ÷ height. */
function aspect(boxes: LaidOutBox[]): { width: number; height: number } {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  return { width: Math.max(...boxes.map((b) => b.x + b.width)) - x0, height: Math.max(...boxes.map((b) => b.y + b.height)) - y0 };
}

/** ELK's layout of the payload as the page would draw it without the U (the default path). */
async function layeredLayout(payload: GraphPayload): Promise<LayoutResult> {
  const visible = computeVisible(payload, collapseState(payload, {}));
  return readElkResult((await layoutInNode(toElkGraph(visible, 'down'))) as Parameters<typeof readElkResult>[0]);
}

/** The long skips, outermost level first, from the payload: each concat's input written earlier in the model. */
function skipsOf(payload: GraphPayload): [string, string][] {
  const index = new Map(payload.nodes.map((n, i) => [n.id, i]));
  const pairs = payload.nodes
    .filter((n) => n.merge === 'concat')
    .map((c) => {
      const sources = payload.edges.filter((e) => e.target === c.id).map((e) => e.source);
      return [sources.sort((a, b) => index.get(a)! - index.get(b)!)[0], c.id] as [string, string];
    });
  return pairs.reverse();
}

for (const name of ['unet', 'unet_mnist']) {
  test(`${name}: drawn as a U — levels face each other, skips run straight across over no node`, async (t) => {
    const w = await openWebview(browser(), undefined, { width: 1200, height: 900 });
    const payload = examplePayload(name);
    await w.init(payload);
    const drawn = await screen(w);
    const box = new Map(drawn.nodes.map((b) => [b.id, b]));
    assert.equal(drawn.nodes.length, payload.nodes.length);
    const skips = skipsOf(payload);
    assert.equal(skips.length, 3);
    for (const [encoder, decoder] of skips) {
      const e = box.get(encoder)!;
      const d = box.get(decoder)!;
      assert.ok(Math.abs(middle(e) - middle(d)) <= 2, `${encoder} (${middle(e)}) level with ${decoder} (${middle(d)})`);
      assert.ok(d.x > e.x + e.width, `${decoder} right of ${encoder}`);
      const path = drawn.edges.find((p) => p.source === encoder && p.target === decoder)!;
      const route = points(path.d);
      assert.ok(route.every((p) => Math.abs(p.y - route[0].y) <= 1), `${encoder} → ${decoder} horizontal: ${path.d}`);
      // Over no node: every node other than its ends lies off the segment's row or outside its span.
      const [x0, x1] = [Math.min(...route.map((p) => p.x)), Math.max(...route.map((p) => p.x))];
      const over = drawn.nodes.filter((n) => n.id !== encoder && n.id !== decoder && n.x < x1 - 1 && n.x + n.width > x0 + 1 && n.y < route[0].y - 1 && n.y + n.height > route[0].y + 1);
      assert.deepEqual(over.map((n) => n.id), [], `${encoder} → ${decoder} passes over no node`);
    }
    for (let k = 1; k < skips.length; k++) {
      assert.ok(middle(box.get(skips[k][0])!) > middle(box.get(skips[k - 1][0])!) + 40, 'the encoder descends');
      assert.ok(middle(box.get(skips[k][1])!) > middle(box.get(skips[k - 1][1])!) + 40, 'the decoder rises (outer levels higher)');
    }
    // The bottleneck block is the lowest thing drawn.
    const bottleneck = drawn.groups.find((g) => g.id === 'bottleneck')!;
    for (const b of [...drawn.nodes, ...drawn.groups]) assert.ok(b.y + b.height <= bottleneck.y + bottleneck.height + 0.5, `${b.id} above the bottleneck's bottom`);
    const before = aspect((await layeredLayout(payload)).boxes);
    const after = aspect([...drawn.nodes, ...drawn.groups]);
    const ratio = (a: { width: number; height: number }): number => a.width / a.height;
    t.diagnostic(`${name}: layered ${before.width.toFixed(0)}×${before.height.toFixed(0)} px (w:h ${ratio(before).toFixed(3)}), U ${after.width.toFixed(0)}×${after.height.toFixed(0)} px (w:h ${ratio(after).toFixed(3)})`);
    // The two columns share the height: little more than half the chain's, and w:h more than doubles.
    assert.ok(after.height < 0.62 * before.height, `height ${before.height} → ${after.height}`);
    assert.ok(ratio(after) > 2 * ratio(before), `w:h ${ratio(before)} → ${ratio(after)}`);
    assert.deepEqual(w.consoleErrors, []);
    await w.page.context().close();
  });
}

test('resnet20 (not a U): every node where the layered layout puts it', async () => {
  const w = await openWebview(browser());
  const payload = examplePayload('resnet20');
  await w.init(payload);
  const drawn = await screen(w);
  const elk = new Map((await layeredLayout(payload)).boxes.map((b) => [b.id, b]));
  assert.equal(drawn.nodes.length, 78);
  for (const node of drawn.nodes) {
    const expected = elk.get(node.id)!;
    assert.ok(Math.abs(node.x - expected.x) < 0.01 && Math.abs(node.y - expected.y) < 0.01, `${node.id} at ${node.x},${node.y}, layered ${expected.x},${expected.y}`);
  }
  await w.page.context().close();
});

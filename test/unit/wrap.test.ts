/**
 * Wrapped export of long models (src/drawing/wrap.ts): the top-down strip cut into columns of about 3:2,
 * every node drawn once and whole in one column, the edges crossing a cut joined by connectors, no
 * toggles in the picture; a left-to-right drawing is already wide and stays as it is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutInNode, payloadFor } from '../../src/cli/render';
import { drawPayload } from '../../src/drawing/pipeline';
import { standaloneSvg } from '../../src/drawing/standalone';
import { wrapDrawing } from '../../src/drawing/wrap';
import type { LayoutDirection } from '../../src/protocol/messages';
import { readExample } from '../support/examples';

async function drawn(name: string, direction: LayoutDirection) {
  const built = payloadFor(readExample(name));
  assert.ok('payload' in built);
  return drawPayload(built.payload, { direction, expand: 'default' }, layoutInNode);
}

const nodeIds = (svg: string): string[] => [...svg.matchAll(/<g class="node [^"]*" data-id="([^"]*)"/g)].map((m) => m[1]);

describe('wrapped export', () => {
  for (const name of ['resnet20.skipnet', 'resnet110.skipnet', 'densenet121.skipnet', 'mnist_densenet.skipnet']) {
    it(`${name}: columns of a readable aspect, every node once and whole, cut edges joined`, async () => {
      const drawing = await drawn(name, 'down');
      assert.ok(drawing.height / drawing.width > 4, `${name} is a tall strip (${drawing.width.toFixed(0)}×${drawing.height.toFixed(0)})`);
      const wrapped = wrapDrawing(drawing);
      const aspect = wrapped.width / wrapped.height;
      assert.ok(aspect > 1 && aspect < 2.4, `${name}: wrapped ${wrapped.width.toFixed(0)}×${wrapped.height.toFixed(0)} (aspect ${aspect.toFixed(2)})`);
      const svg = standaloneSvg(wrapped);
      const ids = nodeIds(svg);
      assert.deepEqual(ids.slice().sort(), [...drawing.items.keys()].sort(), 'every node exactly once');
      assert.equal(svg.includes('class="toggle"'), false, 'no +/− toggles');
      // Whole in one column: inside the picture, and no two nodes overlap after the move.
      const boxes = [...wrapped.items.values()].map((i) => i.box);
      for (const b of boxes) assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= wrapped.width + 0.01 && b.y + b.height <= wrapped.height + 0.01, `${name}: a node outside the picture`);
      const columns = new Set(boxes.map((b) => Math.round(b.x / (drawing.width + 48)))).size;
      assert.ok(columns >= 2, `${name}: ${columns} columns`);
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        assert.ok(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y, `${name}: nodes overlap`);
      }
      // At least the main chain crosses each cut; each connector starts at a column's bottom and ends at the next's top.
      const connectors = [...svg.matchAll(/<path d="([^"]*)" class="edge connector"/g)].map((m) => [...m[1].matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((p) => ({ x: Number(p[1]), y: Number(p[2]) })));
      assert.ok(connectors.length >= columns - 1, `${connectors.length} connectors for ${columns} columns`);
      for (const points of connectors) {
        assert.equal(points.length, 6);
        assert.ok(points[5].x > points[0].x, 'a connector goes on to the next column, to the right');
        assert.equal(points[5].y, 28, 'and enters it at its top');
      }
    });
  }

  it('a left-to-right drawing is already wide: it is exported as it is', async () => {
    const drawing = await drawn('resnet20.skipnet', 'right');
    assert.ok(drawing.width / drawing.height > 1.5);
    assert.equal(wrapDrawing(drawing), drawing);
  });
});

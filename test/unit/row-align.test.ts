import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core';
import { itemSize, type LayoutResult } from '../../src/drawing/elk-graph';
import { alignRows, itemDepths, rowProfile, sharedGrid } from '../../src/drawing/row-align';
import { collapseState, computeVisible, type VisibleGraph } from '../../src/drawing/visible';
import { buildGraphPayload } from '../../src/protocol/payload';
import { readExample } from '../support/examples';

function visibleOf(name: string): VisibleGraph {
  const analysis = analyze(readExample(`${name}.skipnet`));
  const payload = buildGraphPayload(analysis.models[0], analysis.lines, { collapseThreshold: 150 });
  return computeVisible(payload, collapseState(payload, {}));
}

/** A layout that puts every item somewhere arbitrary (its index as height), as ELK might not do by depth. */
function scatteredLayout(visible: VisibleGraph): LayoutResult {
  const boxes = visible.items.map((item, i) => ({ id: item.id, x: (i % 3) * 200, y: i * 37, ...itemSize(item) }));
  const edges = visible.edges.map((e) => ({ id: e.id, points: [{ x: 0, y: 0 }, { x: 5, y: 100 }, { x: 10, y: 200 }] }));
  return { boxes, edges, width: 600, height: visible.items.length * 37 + 60 };
}

describe('rows by depth (Compare view)', () => {
  it('depth is the longest drawn path from the input: resnet20 is plain20 plus one add per residual block', () => {
    const resnet = itemDepths(visibleOf('resnet20'));
    const plain = itemDepths(visibleOf('plain20'));
    assert.equal(resnet.get('input'), 0);
    assert.equal(Math.max(...resnet.values()) - Math.max(...plain.values()), 9);
  });

  it('after alignment every item of depth d is centred on row d of the shared grid, in both graphs', () => {
    const sides = [visibleOf('resnet20'), visibleOf('densenet40')];
    const layouts = sides.map(scatteredLayout);
    const depths = sides.map(itemDepths);
    const grid = sharedGrid(sides.map((v, i) => rowProfile(v, layouts[i], depths[i])));
    for (let d = 1; d < grid.tops.length; d++) assert.ok(grid.tops[d] >= grid.tops[d - 1] + grid.heights[d - 1] + 28, `row ${d}`);
    sides.forEach((visible, i) => {
      const aligned = alignRows(visible, layouts[i], depths[i], grid);
      const boxes = new Map(aligned.boxes.map((b) => [b.id, b]));
      for (const item of visible.items) {
        const box = boxes.get(item.id)!;
        const d = depths[i].get(item.id)!;
        assert.equal(box.y + box.height / 2, grid.tops[d] + grid.heights[d] / 2, item.id);
      }
      // Edges leave their source's bottom and reach their target's top.
      const ends = new Map(visible.edges.map((e) => [e.id, e]));
      for (const edge of aligned.edges) {
        const e = ends.get(edge.id)!;
        const source = boxes.get(e.source)!;
        const target = boxes.get(e.target)!;
        assert.equal(edge.points[0].y, source.y + source.height);
        assert.equal(edge.points.at(-1)!.y, target.y);
        for (const p of edge.points) assert.ok(p.y >= source.y + source.height && p.y <= target.y, edge.id);
      }
    });
  });
});

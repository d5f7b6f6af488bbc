/**
 * Readable pictures in the graph webview: the legend explains every mark and stays clear of the minimap (and, after Fit, of every node),
 * an add node's text stays inside its ellipse, the tooltip never covers the node it describes, and a click
 * inside a repeated block keeps the clicked instance on screen when the editor highlights every instance. The
 * legend, add-node, tooltip and highlight checks run in VS Code's dark, light and both high-contrast themes
 * (harness THEMES), with the text's WCAG contrast against what it sits on and the highlight outline's against the canvas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTheme, contrastRatio, DOC_URI, examplePayload, openWebview, THEMES, useBrowser, type WebviewPage } from './harness';
import { exampleNames } from '../support/examples';

const browser = useBrowser();

interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function rectOf(w: WebviewPage, selector: string): Promise<Rect> {
  return w.page.locator(selector).first().evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  });
}

const overlap = (a: Rect, b: Rect): number => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));

for (const width of [1200, 600, 420]) {
  test(`legend at ${width} px: explains the dense-block glyph and concat colours, every entry whole, clear of the minimap`, async () => {
    const w = await openWebview(browser(), undefined, { width, height: 700 });
    await w.init(examplePayload('resnet20'));
    await w.page.waitForSelector('#minimap.visible');
    const readEntries = () =>
      w.page.locator('#legend .entry').evaluateAll((spans) =>
        spans.map((s) => {
          const r = s.getBoundingClientRect();
          const legend = s.parentElement!.getBoundingClientRect();
          return { text: s.textContent?.trim() ?? '', title: s.getAttribute('title') ?? '', inside: r.left >= legend.left - 0.5 && r.right <= legend.right + 0.5 && r.bottom <= legend.bottom + 0.5, lines: Math.round(r.height / 14) };
        }),
      );
    const entries = await readEntries();
    assert.deepEqual(
      entries.map((e) => e.text),
      ['add', 'concat: a colour per source, width by its channels', 'dense block: row reads column', 'dense edge', 'width = channels'],
    );
    assert.ok(entries.every((e) => e.inside && e.lines <= 1), `every entry whole, on one line: ${JSON.stringify(entries)}`);
    assert.match(entries[2].title, /filled cell means layer ℓ reads the feature maps of s/);
    assert.equal(await w.page.locator('#legend .glyph .cell').count(), 6);
    assert.equal(overlap(await rectOf(w, '#legend'), await rectOf(w, '#minimap')), 0, 'legend and minimap apart');
    const backgrounds = new Set<string>();
    for (const theme of THEMES) {
      await applyTheme(w, theme);
      const again = await readEntries();
      assert.deepEqual(again.map((e) => e.text), entries.map((e) => e.text), theme.className);
      assert.ok(again.every((e) => e.inside && e.lines <= 1), `${theme.className}: every entry whole, on one line: ${JSON.stringify(again)}`);
      assert.equal(overlap(await rectOf(w, '#legend'), await rectOf(w, '#minimap')), 0, `${theme.className}: legend and minimap apart`);
      const { colour, background } = await w.page.locator('#legend').evaluate((e) => ({ colour: getComputedStyle(e).color, background: getComputedStyle(e).backgroundColor }));
      assert.ok(contrastRatio(colour, background) >= 4.5, `${theme.className}: legend text ${colour} on ${background}: contrast ${contrastRatio(colour, background).toFixed(2)}`);
      backgrounds.add(background);
    }
    assert.ok(backgrounds.size >= 3, `the legend follows the theme: ${[...backgrounds].join(', ')}`);
    await w.page.context().close();
  });
}

test('add nodes: label, sign and shape stay inside the ellipse, readable on it, in every theme (resnet20, resnet50 expanded)', async () => {
  for (const name of ['resnet20', 'resnet50']) {
    const w = await openWebview(browser());
    await w.init(examplePayload(name, 100_000));
    for (const theme of THEMES) {
      await applyTheme(w, theme);
      const outside = await w.page.evaluate(() => {
        const found: string[] = [];
        for (const node of document.querySelectorAll<SVGGElement>('#graph .node.merge-add')) {
          const ellipse = node.querySelector('ellipse')!;
          const cx = ellipse.cx.baseVal.value;
          const cy = ellipse.cy.baseVal.value;
          const rx = ellipse.rx.baseVal.value;
          const ry = ellipse.ry.baseVal.value;
          for (const text of node.querySelectorAll('text')) {
            const b = text.getBBox();
            // The glyph box's corners, a pixel in from the font's line box.
            for (const [x, y] of [[b.x + 1, b.y + 2], [b.x + b.width - 1, b.y + 2], [b.x + 1, b.y + b.height - 2], [b.x + b.width - 1, b.y + b.height - 2]]) {
              if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) found.push(`${node.dataset.id}: "${text.textContent}" at ${x.toFixed(1)},${y.toFixed(1)}`);
            }
          }
        }
        return found;
      });
      assert.ok((await w.page.locator('#graph .node.merge-add').count()) >= 9);
      assert.deepEqual(outside, [], `${name}, ${theme.className}`);
      const { text, fill } = await w.page.locator('#graph .node.merge-add').first().evaluate((n) => ({ text: getComputedStyle(n.querySelector('text')!).fill, fill: getComputedStyle(n.querySelector('ellipse')!).fill }));
      assert.ok(contrastRatio(text, fill) >= 4.5, `${name}, ${theme.className}: add text ${text} on ${fill}: contrast ${contrastRatio(text, fill).toFixed(2)}`);
    }
    await w.page.context().close();
  }
});

test('the tooltip sits beside the hovered node, never over it, readable, in every theme (top, middle and rightmost node)', async () => {
  const w = await openWebview(browser(), undefined, { width: 700, height: 500 });
  await w.init(examplePayload('mnist_resnet'));
  await w.page.locator('#fit').click();
  const nodes = await w.page.locator('#graph .nodes .node').evaluateAll((all) => all.map((n) => ({ id: n.getAttribute('data-id') ?? '', right: n.getBoundingClientRect().right })));
  const rightmost = nodes.reduce((a, b) => (b.right > a.right ? b : a));
  for (const theme of THEMES) {
    await applyTheme(w, theme);
    for (const id of [nodes[0].id, nodes[Math.floor(nodes.length / 2)].id, rightmost.id]) {
      const node = w.page.locator(`[data-id="${id}"]`);
      await node.hover({ force: true });
      await w.page.waitForFunction((id) => document.getElementById('tooltip')?.classList.contains('visible') && document.getElementById('tooltip')?.dataset.for === id, id);
      const tip = await rectOf(w, '#tooltip');
      const box = await rectOf(w, `[data-id="${id}"]`);
      assert.equal(overlap(tip, box), 0, `${theme.className}, ${id}: tooltip ${JSON.stringify(tip)} over node ${JSON.stringify(box)}`);
      const { colour, background } = await w.page.locator('#tooltip').evaluate((e) => ({ colour: getComputedStyle(e).color, background: getComputedStyle(e).backgroundColor }));
      assert.ok(contrastRatio(colour, background) >= 4.5, `${theme.className}: tooltip text ${colour} on ${background}`);
      // Leave the node so the next hover shows the tooltip afresh.
      await w.page.mouse.move(1, 1);
      await w.page.waitForFunction(() => !document.getElementById('tooltip')?.classList.contains('visible'));
    }
  }
  await w.page.context().close();
});

test('clicking a layer inside a repeated block keeps that instance on screen when the editor highlights every instance, outlined visibly in every theme', async () => {
  const payload = examplePayload('resnet20');
  const first = await openWebview(browser());
  await first.init(payload);
  const id = 'layer3/basic2/conv1';
  const box = await first.page.locator(`[data-id="${id}"]`).evaluate((g) => {
    const m = (g as SVGGElement).transform.baseVal.consolidate()!.matrix;
    return { x: m.e, y: m.f };
  });
  await first.page.context().close();
  // The view as a user leaves it after scrolling down to layer 3 at 1:1.
  const view = { scale: 1, x: 400 - box.x, y: 300 - box.y };
  // The host answers the click by selecting the definition line, which every instance of the block shares.
  const instances = payload.nodes.filter((n) => n.range.start === payload.nodes.find((m) => m.id === id)!.range.start).map((n) => n.id);
  assert.ok(instances.length >= 9 && instances[0] !== id, `${instances.length} instances, the first elsewhere`);
  const strokes = new Set<string>();
  for (const theme of THEMES) {
    const w = await openWebview(browser(), { uri: DOC_URI, model: payload.model, view, collapsed: {}, selected: null });
    await applyTheme(w, theme);
    await w.init(payload, 5);
    await w.page.locator(`[data-id="${id}"]`).click();
    const before = await rectOf(w, `[data-id="${id}"]`);
    await w.send({ type: 'highlight', uri: DOC_URI, version: 5, ids: instances });
    await w.page.waitForFunction((n) => document.querySelectorAll('.node.highlighted').length === n, instances.length);
    const afterwards = await rectOf(w, `[data-id="${id}"]`);
    const stage = await rectOf(w, '#stage');
    assert.ok(afterwards.top >= stage.top && afterwards.bottom <= stage.bottom, `${theme.className}: the clicked instance stays on screen: ${JSON.stringify(afterwards)} in ${JSON.stringify(stage)}`);
    assert.deepEqual(afterwards, before, `${theme.className}: the view did not move`);
    // Every instance outlined against the canvas (WCAG 1.4.11, 3:1 for a graphical object); the clicked one keeps its
    // selection outline, as visible; a node not highlighted keeps its own fill and thin border.
    const canvas = await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const shapes = await w.page.evaluate((ids) => {
      const shape = (nodeId: string) => {
        const s = getComputedStyle(document.querySelector(`[data-id="${nodeId}"] > .shape`)!);
        return { stroke: s.stroke, width: parseFloat(s.strokeWidth), fill: s.fill };
      };
      const plain = [...document.querySelectorAll<SVGGElement>('#graph .nodes .node:not(.highlighted):not(.selected)')].find((n) => n.classList.contains('kind-conv'));
      return { highlighted: ids.map(shape), plain: shape(plain!.dataset.id!) };
    }, instances);
    const selected = shapes.highlighted[instances.indexOf(id)];
    const others = shapes.highlighted.filter((_, i) => instances[i] !== id);
    for (const shape of others) {
      assert.ok(shape.width >= 2, `${theme.className}: outline ${shape.width} px`);
      assert.ok(contrastRatio(shape.stroke, canvas) >= 3, `${theme.className}: highlight outline ${shape.stroke} on ${canvas}: ${contrastRatio(shape.stroke, canvas).toFixed(2)}:1`);
      assert.notEqual(shape.fill, shapes.plain.fill, `${theme.className}: the highlight's fill`);
    }
    assert.equal(new Set(others.map((o) => o.stroke)).size, 1, `${theme.className}: one highlight outline colour`);
    assert.ok(selected.width >= 2 && contrastRatio(selected.stroke, canvas) >= 3, `${theme.className}: the clicked instance's outline ${selected.stroke} (${selected.width} px) on ${canvas}`);
    assert.ok(shapes.plain.width < 2 && shapes.plain.stroke !== others[0].stroke, `${theme.className}: a node not highlighted keeps its border ${JSON.stringify(shapes.plain)}`);
    strokes.add(`${others[0].stroke} on ${canvas}`);
    await w.page.context().close();
  }
  assert.ok(strokes.size >= 2, `the outline is drawn against each theme's canvas: ${[...strokes].join('; ')}`);
});

for (const [width, height] of [[800, 600], [1280, 800]]) {
  test(`after Fit at ${width}×${height}, the legend covers no node and not the minimap, for every example`, async () => {
    const w = await openWebview(browser(), undefined, { width, height });
    const covered: string[] = [];
    let version = 1;
    for (const name of exampleNames().map((file) => file.replace(/\.skipnet$/, ''))) {
      await w.init(examplePayload(name), version++);
      await w.page.locator('#fit').click();
      const found = await w.page.evaluate(() => {
        const legend = document.getElementById('legend')!.getBoundingClientRect();
        const hits = (r: DOMRect): boolean => r.width > 0 && Math.min(r.right, legend.right) - Math.max(r.left, legend.left) > 0.5 && Math.min(r.bottom, legend.bottom) - Math.max(r.top, legend.top) > 0.5;
        const nodes = [...document.querySelectorAll<SVGGElement>('#graph .nodes .node')].filter((g) => hits(g.getBoundingClientRect())).map((g) => g.dataset.id ?? '');
        const minimap = document.getElementById('minimap')!;
        return { nodes, minimap: minimap.classList.contains('visible') && hits(minimap.getBoundingClientRect()), count: document.querySelectorAll('#graph .nodes .node').length, legendHeight: legend.height };
      });
      assert.ok(found.count > 0 && found.legendHeight > 10, `${name}: drawn with its legend`);
      covered.push(...found.nodes.map((id) => `${name}: ${id}`), ...(found.minimap ? [`${name}: minimap`] : []));
    }
    assert.deepEqual(covered, []);
    await w.page.context().close();
  });
}

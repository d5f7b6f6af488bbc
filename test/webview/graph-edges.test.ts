/**
 * Tracing edges in the graph webview: hovering or selecting a node brings its incoming and outgoing edges
 * forward and fades the rest; the dense arcs of an expanded block run beside the nodes, not through them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { examplePayload, useBrowser, openWebview, type WebviewPage } from './harness';

const browser = useBrowser();

interface EdgeState {
  source: string;
  target: string;
  related: boolean;
  opacity: number;
}

function edgeStates(w: WebviewPage): Promise<(EdgeState & { arc: boolean })[]> {
  return w.page.evaluate(() =>
    [...document.querySelectorAll<SVGPathElement>('#graph .edges .edge')].map((e) => ({
      source: e.dataset.source ?? '',
      target: e.dataset.target ?? '',
      related: e.classList.contains('related'),
      arc: e.classList.contains('arc'),
      opacity: Number(getComputedStyle(e).strokeOpacity),
    })),
  );
}

const THEMES: [string, Record<string, string>][] = [
  ['vscode-dark', { '--vscode-editor-background': '#1e1e1e', '--vscode-charts-green': '#89d185' }],
  ['vscode-light', { '--vscode-editor-background': '#ffffff', '--vscode-charts-green': '#388a34' }],
  ['vscode-high-contrast', { '--vscode-editor-background': '#000000', '--vscode-contrastBorder': '#6fc3df' }],
  ['vscode-high-contrast-light', { '--vscode-editor-background': '#ffffff', '--vscode-contrastBorder': '#0f4a85' }],
];

test('mnist_densenet expanded: hovering a layer brings its edges forward and fades the rest, in every theme; selection keeps it', async () => {
  // Tall enough that the second dense layer is on screen at the initial 1:1 view.
  const w = await openWebview(browser(), undefined, { width: 1000, height: 1400 });
  await w.init(examplePayload('mnist_densenet', 100_000));
  const id = 'block1_2/concat1';
  const before = await edgeStates(w);
  assert.ok(before.length > 40);
  assert.ok(before.every((e) => e.opacity >= 0.69 && !e.related), 'nothing faded before hovering');
  const ends = before.filter((e) => e.source === id || e.target === id);
  assert.ok(ends.filter((e) => e.arc && e.target === id).length >= 2, 'dense arcs from earlier layers');
  // Its concat input from conv1, the edge on to block1_3, and dense arcs from earlier layers and to later ones.
  assert.ok(ends.length >= 4, `${ends.length} edges touch ${id}`);

  for (const [className, vars] of THEMES) {
    await w.page.evaluate(
      ({ className, vars }) => {
        document.body.className = className;
        for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
      },
      { className, vars },
    );
    await w.page.locator(`[data-id="${id}"]`).hover();
    const during = await edgeStates(w);
    const related = during.filter((e) => e.related);
    assert.deepEqual(related.map((e) => `${e.source}→${e.target}`).sort(), ends.map((e) => `${e.source}→${e.target}`).sort(), className);
    assert.ok(related.every((e) => e.opacity === 1), `${className}: its edges at full strength`);
    assert.ok(during.filter((e) => !e.related).every((e) => e.opacity < 0.2), `${className}: the others faded`);
    // Forward: the related edges are painted last.
    assert.ok(during.slice(-related.length).every((e) => e.related), `${className}: its edges on top`);
    await w.page.mouse.move(2, 2);
    await w.page.locator('#graph').hover({ position: { x: 2, y: 2 } });
    const afterwards = await edgeStates(w);
    assert.ok(afterwards.every((e) => !e.related && e.opacity >= 0.69), `${className}: leaving the node restores every edge`);
  }

  // A click selects: the edges stay traced after the pointer leaves.
  await w.page.locator(`[data-id="${id}"]`).click();
  await w.page.locator('#graph').hover({ position: { x: 2, y: 2 } });
  const selected = await edgeStates(w);
  assert.equal(selected.filter((e) => e.related).length, ends.length);
  await w.page.context().close();
});

test('mnist_densenet expanded: no arc passes over a node that is not its end (on screen)', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('mnist_densenet', 100_000));
  const crossings = await w.page.evaluate(() => {
    const nodes = [...document.querySelectorAll<SVGGElement>('#graph .nodes .node')].map((g) => ({ id: g.dataset.id ?? '', box: g.getBBox(), matrix: g.transform.baseVal.consolidate()?.matrix }));
    const found: string[] = [];
    for (const path of document.querySelectorAll<SVGPathElement>('#graph .edges .edge.arc')) {
      const length = path.getTotalLength();
      for (let s = 0; s <= length; s += 2) {
        const p = path.getPointAtLength(s);
        for (const n of nodes) {
          if (n.id === path.dataset.source || n.id === path.dataset.target) continue;
          const x = p.x - (n.matrix?.e ?? 0);
          const y = p.y - (n.matrix?.f ?? 0);
          if (x > n.box.x + 1 && x < n.box.x + n.box.width - 1 && y > n.box.y + 1 && y < n.box.y + n.box.height - 1) found.push(`${path.dataset.source}→${path.dataset.target} over ${n.id}`);
        }
      }
    }
    return [...new Set(found)];
  });
  assert.ok((await w.page.locator('#graph .edge.arc').count()) >= 18);
  assert.deepEqual(crossings, []);
  await w.page.context().close();
});

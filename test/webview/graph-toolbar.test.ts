/**
 * The graph view's toolbar and exports: the page keeps Fit and Fit width (secondary) while the panel's
 * title bar and overflow menu send the other actions as `viewAction` / `exportRequest` messages (what
 * src/graph/register.ts posts); fit-to-width for long models, a layout-direction toggle that exports follow
 * and that the page reports back (`viewState`), expand/collapse all, and exported pictures without the
 * view's +/− toggles, wrapped into columns on request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOC_URI, examplePayload, useBrowser, openWebview, type WebviewPage } from './harness';

const browser = useBrowser();

async function exportSvg(w: WebviewPage, requestId: number, wrap?: boolean): Promise<string> {
  await w.send({ type: 'exportRequest', uri: DOC_URI, version: 1, requestId, format: 'svg', theme: 'print', ...(wrap === undefined ? {} : { wrap }) });
  await w.page.waitForFunction((id) => window.__posted.some((m) => (m as { type: string; requestId?: number }).type === 'exportResult' && (m as { requestId?: number }).requestId === id), requestId);
  const result = (await w.posted()).find((m) => m.type === 'exportResult' && m.requestId === requestId);
  assert.ok(result && result.type === 'exportResult');
  return result.data;
}

function svgSize(svg: string): { width: number; height: number } {
  const match = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(match, 'an <svg> with a size');
  return { width: Number(match[1]), height: Number(match[2]) };
}

test('toolbar at half width: only Fit and Fit width stay in the page, secondary, on one row', async () => {
  const w = await openWebview(browser(), undefined, { width: 560, height: 700 });
  await w.init(examplePayload('resnet20'));
  const buttons = await w.page.locator('#toolbar vscode-button').evaluateAll((all) => all.map((b) => ({ id: b.id, secondary: b.hasAttribute('secondary'), top: Math.round(b.getBoundingClientRect().top) })));
  assert.deepEqual(buttons.map((b) => b.id), ['fit', 'fit-across']);
  assert.ok(buttons.every((b) => b.secondary), 'no primary button in the page: Train here is the title bar\'s one button');
  assert.equal(new Set(buttons.map((b) => b.top)).size, 1, 'both on one row');
  assert.equal(await w.page.locator('#toolbar vscode-checkbox').count(), 0, 'export options moved to the export command\'s quick pick');
  await w.page.context().close();
});

test('Fit width on a tall model: the graph spans the width from its start, readable', async () => {
  const w = await openWebview(browser(), undefined, { width: 900, height: 600 });
  await w.init(examplePayload('resnet20'));
  await w.page.locator('#fit').click();
  const fitted = await w.page.locator('#graph-content').evaluate((g) => g.getBoundingClientRect().width);
  await w.page.locator('#fit-across').click();
  const stage = await w.page.locator('#stage').evaluate((s) => s.getBoundingClientRect());
  const content = await w.page.locator('#graph-content').evaluate((g) => g.getBoundingClientRect());
  // The drawing's own width (its layout box) fills the stage less the 12 px margins; Fit shows a sliver.
  const layoutWidth = await w.page.evaluate(() => Number(document.getElementById('minimap')!.getAttribute('viewBox')!.split(' ')[2]));
  const scale = await w.page.evaluate(() => Number(/scale\(([\d.]+)\)/.exec(document.getElementById('viewport')!.getAttribute('transform')!)![1]));
  assert.ok(Math.abs(layoutWidth * scale - (stage.width - 24)) < 1 || scale === 1.5, `width ${layoutWidth * scale} vs ${stage.width - 24}`);
  assert.ok(scale >= 0.6, `readable scale ${scale}`);
  assert.ok(content.width > 3 * fitted, `fit-width ${content.width} px against a whole-graph fit of ${fitted} px`);
  // The view's 12 px margin plus the layout's own 12 px padding, scaled.
  assert.ok(content.top - stage.top >= 0 && content.top - stage.top <= 12 + 12 * scale + 2, `from the top of the graph: ${content.top - stage.top} px down`);
  await w.page.context().close();
});

test('direction toggle: left to right on screen and in the export; exports carry no +/− toggles', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  assert.ok((await w.page.locator('#graph .toggle').count()) >= 12, 'the view has toggles');
  const down = await exportSvg(w, 1);
  assert.equal((down.match(/class="toggle"/g) ?? []).length, 0, 'no toggles in the export');
  assert.ok(svgSize(down).height > 5 * svgSize(down).width, `top-down export ${JSON.stringify(svgSize(down))}`);
  assert.deepEqual((await w.posted()).filter((m) => m.type === 'viewState').map((m) => m.type === 'viewState' && m.direction), ['down'], 'the first drawing reports its direction');
  const renders = await w.renderCount();
  // What the overflow menu's "Toggle Layout Direction" posts.
  await w.send({ type: 'viewAction', uri: DOC_URI, version: 1, action: 'toggleDirection' });
  await w.waitForRender(renders + 1);
  await w.page.waitForFunction(() => window.__posted.filter((m) => (m as { type: string }).type === 'viewState').length === 2);
  assert.deepEqual((await w.posted()).filter((m) => m.type === 'viewState').map((m) => m.type === 'viewState' && m.direction), ['down', 'right']);
  assert.equal((await w.page.locator('#fit-across').textContent())?.trim(), 'Fit height');
  const right = await exportSvg(w, 2);
  assert.equal((right.match(/class="toggle"/g) ?? []).length, 0);
  assert.ok(svgSize(right).width > 5 * svgSize(right).height, `left-to-right export ${JSON.stringify(svgSize(right))}`);
  assert.equal((right.match(/class="node /g) ?? []).length, 78);
  await w.page.context().close();
});

test('Wrap: resnet20 exports as columns of about 3:2 instead of a tall strip, every layer once, no toggles', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  const plain = await exportSvg(w, 1);
  const strip = svgSize(plain);
  assert.ok(strip.height / strip.width > 8, `unwrapped: ${strip.width}×${strip.height}`);
  const svg = await exportSvg(w, 2, true);
  const wrapped = svgSize(svg);
  assert.ok(wrapped.width / wrapped.height > 1 && wrapped.width / wrapped.height < 2.4, `wrapped: ${wrapped.width}×${wrapped.height}`);
  const ids = [...svg.matchAll(/<g class="node [^"]*" data-id="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'no layer drawn twice');
  assert.deepEqual(ids.slice().sort(), [...plain.matchAll(/<g class="node [^"]*" data-id="([^"]*)"/g)].map((m) => m[1]).sort(), 'the layers of the unwrapped picture, each once');
  assert.ok(svg.includes('class="edge connector"'), 'edges joined across the cuts');
  assert.equal(svg.includes('class="toggle"'), false);
  await w.page.context().close();
});

test('Expand all and Collapse all from the overflow menu open and close every block instance', async () => {
  const w = await openWebview(browser());
  await w.init(examplePayload('resnet20'));
  const nodes = (): Promise<number> => w.page.locator('#graph .node').count();
  const expanded = await nodes();
  let renders = await w.renderCount();
  await w.send({ type: 'viewAction', uri: DOC_URI, version: 1, action: 'collapseAll' });
  await w.waitForRender(renders + 1);
  const collapsed = await nodes();
  assert.ok(collapsed < expanded / 3, `collapsed ${collapsed} drawn items against ${expanded} expanded`);
  const toggles = (): Promise<string[]> => w.page.locator('#graph .toggle').evaluateAll((all) => all.map((t) => t.getAttribute('aria-expanded') ?? ''));
  const closed = await toggles();
  // resnet20's three stages, each closed into one box (their instances inside are not drawn).
  assert.deepEqual(closed, ['false', 'false', 'false'], 'every outermost block shows an Expand toggle');
  renders = await w.renderCount();
  await w.send({ type: 'viewAction', uri: DOC_URI, version: 1, action: 'expandAll' });
  await w.waitForRender(renders + 1);
  assert.equal(await nodes(), expanded, 'every layer drawn again');
  const open = await toggles();
  assert.ok(open.length >= 12 && open.every((e) => e === 'true'), `every stage and instance shows a Collapse toggle: ${open.join(',')}`);
  await w.page.context().close();
});

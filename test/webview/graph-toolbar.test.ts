/**
 * The graph view's toolbar and exports: the page keeps Fit and Fit width (secondary) while the panel's
 * title bar and overflow menu send the other actions as `viewAction` / `exportRequest` messages (what
 * src/graph/register.ts posts); fit-to-width for long models, a layout-direction toggle that exports follow
 * and that the page reports back (`viewState`), expand/collapse all, and exported pictures without the
 * view's +/− toggles, wrapped into columns on request. The toolbar, the fits, the direction toggle and the
 * exports are checked in VS Code's dark, light and both high-contrast themes (harness THEMES): the toolbar's
 * text and every text of an exported SVG (print colours, and the theme's own) at least 4.5:1 on what it sits on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTheme, contrastRatio, DOC_URI, examplePayload, openWebview, paintedTexts, THEMES, useBrowser, type WebviewPage } from './harness';

const browser = useBrowser();

async function exportSvg(w: WebviewPage, requestId: number, wrap?: boolean, theme: 'print' | 'current' = 'print', format: 'svg' | 'png' = 'svg'): Promise<string> {
  await w.send({ type: 'exportRequest', uri: DOC_URI, version: 1, requestId, format, theme, ...(wrap === undefined ? {} : { wrap }) });
  await w.page.waitForFunction((id) => window.__posted.some((m) => (m as { type: string; requestId?: number }).type === 'exportResult' && (m as { requestId?: number }).requestId === id), requestId);
  const result = (await w.posted()).find((m) => m.type === 'exportResult' && m.requestId === requestId);
  assert.ok(result && result.type === 'exportResult');
  return result.data;
}

/**
 * Every text of a standalone SVG with its WCAG contrast against what is painted under its middle: the fills of the
 * shapes there (a node, a block's frame, the picture's background), translucent ones composited over those below.
 * Opened as a document of its own, as a viewer opens the file (its embedded <style> applies there).
 */
async function exportedTextContrasts(w: WebviewPage, svg: string): Promise<{ text: string; colour: string; background: string; ratio: number }[]> {
  const { width, height } = svgSize(svg);
  const page = await w.page.context().newPage();
  await page.setViewportSize({ width: Math.min(width, 16_000), height: Math.min(height, 16_000) });
  await page.setContent(svg);
  const found = await page.evaluate(() => {
    const parse = (c: string): number[] | null => {
      const rgb = /^rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/.exec(c);
      if (rgb) return [Number(rgb[1]) / 255, Number(rgb[2]) / 255, Number(rgb[3]) / 255, rgb[4] === undefined ? 1 : Number(rgb[4])];
      const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)/.exec(c);
      if (srgb) return [Number(srgb[1]), Number(srgb[2]), Number(srgb[3]), srgb[4] === undefined ? 1 : Number(srgb[4])];
      return null;
    };
    const css = (c: number[]): string => `rgb(${c.slice(0, 3).map((v) => Math.round(255 * v)).join(', ')})`;
    return [...document.querySelectorAll('text')].map((text) => {
      const box = text.getBoundingClientRect();
      const layers: number[][] = [];
      for (const e of document.elementsFromPoint(box.x + box.width / 2, box.y + box.height / 2)) {
        if (e.closest('text') || !(e instanceof SVGGeometryElement)) continue;
        const style = getComputedStyle(e);
        const fill = parse(style.fill);
        if (!fill) continue;
        const alpha = fill[3] * Number(style.fillOpacity) * Number(style.opacity);
        if (alpha === 0) continue;
        layers.push([...fill.slice(0, 3), alpha]);
        if (alpha >= 1) break;
      }
      let under = [1, 1, 1];
      for (const [r, g, b, a] of layers.reverse()) under = [r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)];
      return { text: (text.textContent ?? '').slice(0, 40), colour: css(parse(getComputedStyle(text).fill) ?? [0, 0, 0]), background: css(under), drawn: box.width > 0 };
    });
  });
  await page.close();
  return found.filter((t) => t.drawn).map(({ text, colour, background }) => ({ text, colour, background, ratio: contrastRatio(colour, background) }));
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
  const toolbar = await w.page.locator('#toolbar').evaluate((e) => e.getBoundingClientRect().toJSON() as DOMRect);
  for (const theme of THEMES) {
    await applyTheme(w, theme);
    const boxes = await w.page.locator('#toolbar vscode-button').evaluateAll((all) => all.map((b) => b.getBoundingClientRect().toJSON() as DOMRect));
    assert.ok(boxes.every((b) => b.width > 20 && b.height > 10 && b.left >= toolbar.left && b.right <= toolbar.right && b.top >= toolbar.top && b.bottom <= toolbar.bottom), `${theme.className}: both buttons drawn inside the toolbar: ${JSON.stringify(boxes)}`);
    assert.ok(boxes[0].right <= boxes[1].left, `${theme.className}: the buttons apart`);
    const texts = await paintedTexts(w, '#toolbar');
    assert.deepEqual(texts.filter((p) => p.text === 'Fit' || p.text === 'Fit width').map((p) => p.text), ['Fit', 'Fit width'], `${theme.className}: ${JSON.stringify(texts)}`);
    const poor = texts.filter((p) => contrastRatio(p.colour, p.background) < 4.5).map((p) => `"${p.text}" ${p.colour} on ${p.background}`);
    assert.deepEqual(poor, [], `${theme.className}: toolbar text under 4.5:1`);
  }
  await w.page.context().close();
});

for (const theme of THEMES) {
  test(`Fit width on a tall model (${theme.className}): the graph spans the width from its start, readable`, async () => {
    const w = await openWebview(browser(), undefined, { width: 900, height: 600 });
    await applyTheme(w, theme);
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
}

for (const theme of THEMES) {
  test(`direction toggle (${theme.className}): left to right on screen and in the export; exports carry no +/− toggles, their text readable`, async () => {
    const w = await openWebview(browser());
    await applyTheme(w, theme);
    await w.init(examplePayload('resnet20'));
    assert.ok((await w.page.locator('#graph .toggle').count()) >= 12, 'the view has toggles');
    const down = await exportSvg(w, 1);
    assert.equal((down.match(/class="toggle"/g) ?? []).length, 0, 'no toggles in the export');
    assert.ok(svgSize(down).height > 5 * svgSize(down).width, `top-down export ${JSON.stringify(svgSize(down))}`);
    assert.deepEqual((await w.posted()).filter((m) => m.type === 'viewState').map((m) => m.type === 'viewState' && m.direction), ['down'], 'the first drawing reports its direction');
    // Print colours whatever the editor's theme, and the theme's own: every text of both pictures readable.
    for (const [palette, svg] of [['print', down], ['current', await exportSvg(w, 11, undefined, 'current')]] as const) {
      const texts = await exportedTextContrasts(w, svg);
      assert.ok(texts.length > 150, `${theme.className}, ${palette}: ${texts.length} texts`);
      assert.deepEqual(texts.filter((t) => t.ratio < 4.5).map((t) => `"${t.text}" ${t.colour} on ${t.background}: ${t.ratio.toFixed(2)}:1`), [], `${theme.className}, ${palette} export`);
    }
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
    // The PNG is drawn from that SVG: twice its size (or less, within canvas limits), left to right, on the print white.
    const png = await exportSvg(w, 3, undefined, 'print', 'png');
    const decoded = await w.page.evaluate(async (data) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      return { width: image.naturalWidth, height: image.naturalHeight, corner: [...context.getImageData(2, 2, 1, 1).data] };
    }, png);
    const size = svgSize(right);
    // One scale for both sides, each rounded down to whole pixels (16,000 px at most a side).
    const scale = decoded.width / size.width;
    assert.ok(decoded.width > 5 * decoded.height && scale > 1 && scale <= 2 && Math.abs(decoded.height - size.height * scale) <= 1, `${theme.className}: PNG ${decoded.width}×${decoded.height} for an SVG of ${size.width}×${size.height}`);
    assert.deepEqual(decoded.corner, [255, 255, 255, 255], `${theme.className}: the PNG's print background`);
    await w.page.context().close();
  });
}

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

/**
 * The feature-reuse heat maps (webview/statistics/heatmap.ts, Observable Plot cell charts) read on their own:
 * their own colour scale and Plot colour legend (not the gradient ramp), axis titles, tick labels that do not touch at 13 sources, cells big
 * enough to hover, the "at initialisation" mark until training moves the weights, tick labels and axis titles in
 * the theme's foreground colour, readable (WCAG AA) in the dark, light and both high-contrast themes, and a map out
 * of view brought up to date when it comes into view (only maps in view are recoloured on each update). Fed synthetic
 * statistics with the engine's structure for densenet40 (statistics-fixtures.ts) on the statistics test page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainingStatistics } from '../../src/train/stats';
import { applyTheme, contrastRatio, examplePayload, openWebview, TEST_PAGE_PREFIX, THEMES, useBrowser, type WebviewPage } from './harness';
import { exampleGraph, syntheticStatistics } from './statistics-fixtures';

const browser = useBrowser();

/** `width`: 1200 px shows the three maps side by side; at 420 px (a graph beside the editor) they stack. */
async function openDensenet40(width = 1200): Promise<WebviewPage> {
  const w = await openWebview(browser(), undefined, { width, height: 900 }, `${TEST_PAGE_PREFIX}stats-page.js`);
  await w.page.waitForFunction(() => window.__statsPage !== undefined);
  await w.page.evaluate((p) => window.__statsPage.show(p), examplePayload('densenet40'));
  return w;
}

const update = (w: WebviewPage, step: number, statistics: TrainingStatistics): Promise<void> => w.page.evaluate(([s, stats]) => window.__statsPage.update(s, stats), [step, statistics] as const);

/** The statistics with row `row` of every map scaled by `factor` (its cells move along the colour bar). */
function withRowScaled(statistics: TrainingStatistics, row: number, factor: number, step: number): TrainingStatistics {
  return { ...statistics, step, reuse: statistics.reuse.map((m) => ({ ...m, rows: m.rows.map((r, i) => (i === row ? { ...r, values: r.values.map((v) => (v === null ? null : v * factor)) } : r)) })) };
}

/** 0–255 channels of a computed colour, `rgb(…)` or `color(srgb …)` (what color-mix computes to). */
function channels(colour: string): number[] {
  const srgb = /^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)/.exec(colour);
  if (srgb) return srgb.slice(1, 4).map((v) => Math.round(255 * Number(v)));
  const rgb = /^rgba?\((\d+), (\d+), (\d+)/.exec(colour);
  assert.ok(rgb, `a colour: ${colour}`);
  return rgb.slice(1, 4).map(Number);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const boxes = (w: WebviewPage, selector: string): Promise<Box[]> =>
  w.page.locator(selector).evaluateAll((elements) =>
    elements.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );

/** Plot's axis tick labels and titles: the x axis names sources, the y axis targets. */
const COL_TICKS = '[aria-label="source tick label"] text';
const ROW_TICKS = '[aria-label="target tick label"] text';
const X_TITLE = '[aria-label="source label"] text';
const Y_TITLE = '[aria-label="target label"] text';

/** The first and last pixel of a colour legend's ramp image, as 0–255 channels. */
const rampEnds = (w: WebviewPage, selector: string): Promise<[number[], number[]]> =>
  w.page.locator(selector).evaluate(async (image) => {
    const source = new Image();
    source.src = image.getAttribute('href') ?? image.getAttribute('xlink:href') ?? '';
    await source.decode();
    const canvas = document.createElement('canvas');
    canvas.width = source.naturalWidth;
    canvas.height = source.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(source, 0, 0);
    const pixel = (x: number): number[] => [...context.getImageData(x, 0, 1, 1).data.slice(0, 3)];
    return [pixel(0), pixel(canvas.width - 1)];
  });

/** The colour a CSS colour expression computes to on this page, as rgb(…). */
const computed = (w: WebviewPage, colour: string): Promise<string> =>
  w.page.evaluate((c) => {
    const probe = document.createElement('div');
    probe.style.color = c;
    document.querySelector('.stats-overlay')!.appendChild(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  }, colour);

test('densenet40 heat maps: own scale and colour bar, axis titles, readable ticks at 13 sources, hoverable cells, initialisation mark', async (t) => {
  const w = await openDensenet40();
  const stats = syntheticStatistics(exampleGraph('densenet40'), 1);
  const block1 = '.stats-heatmap[data-block="block1"]';

  await t.test('at step 1 every map says it shows the initial weights', async () => {
    await update(w, 1, stats);
    assert.deepEqual(await w.page.locator('.stats-heatmap').evaluateAll((f) => f.map((e) => (e as HTMLElement).dataset.state)), ['initial', 'initial', 'initial']);
    assert.equal(await w.page.locator(`${block1} .heat-status`).textContent(), 'at initialisation');
    // A later step whose pattern only scales (every cell keeps its place on the bar) has not moved the weights.
    await update(w, 2, { ...stats, step: 2, reuse: stats.reuse.map((m) => ({ ...m, rows: m.rows.map((r) => ({ ...r, values: r.values.map((v) => (v === null ? null : v * 1.5)) })) })) });
    assert.equal(await w.page.locator(`${block1} .heat-status`).textContent(), 'at initialisation');
  });

  await t.test('axis titles name source and target; the 13 source and 13 target ticks are all labelled, 10 px, apart', async () => {
    assert.equal(await w.page.locator(`${block1} ${X_TITLE}`).textContent(), 'source layer (0 = block input)');
    assert.equal(await w.page.locator(`${block1} ${Y_TITLE}`).textContent(), 'target layer');
    assert.deepEqual(await w.page.locator(`${block1} ${COL_TICKS}`).allTextContents(), Array.from({ length: 13 }, (_, i) => String(i)));
    assert.deepEqual(await w.page.locator(`${block1} ${ROW_TICKS}`).allTextContents(), Array.from({ length: 13 }, (_, i) => String(i + 1)));
    const size = await w.page.locator(`${block1} ${COL_TICKS}`).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(size >= 10, `tick font ${size}px`);
    const columns = await boxes(w, `${block1} ${COL_TICKS}`);
    for (let i = 1; i < columns.length; i++) assert.ok(columns[i].x >= columns[i - 1].x + columns[i - 1].width, `column ticks ${i - 1} and ${i} overlap`);
    const rows = await boxes(w, `${block1} ${ROW_TICKS}`);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i].y >= rows[i - 1].y + rows[i - 1].height - 0.5, `row ticks ${i - 1} and ${i} overlap`);
    // Each tick label sits at its own column's (row's) cell: column 12 under the cells of column 12.
    const lastColumn = await boxes(w, `${block1} .heat-cell[data-col="12"]`);
    assert.ok(Math.abs(columns[12].x + columns[12].width / 2 - (lastColumn[0].x + lastColumn[0].width / 2)) < 1, 'column tick 12 centred under column 12');
    const lastRow = await boxes(w, `${block1} .heat-cell[data-row="12"]`);
    assert.ok(Math.abs(rows[12].y + rows[12].height / 2 - (lastRow[0].y + lastRow[0].height / 2)) < 2, 'row tick 13 level with row 13');
    // The x title sits below the tick labels, the y title left of the row labels.
    const [xTitle] = await boxes(w, `${block1} ${X_TITLE}`);
    const [yTitle] = await boxes(w, `${block1} ${Y_TITLE}`);
    assert.ok(xTitle.y >= Math.max(...columns.map((b) => b.y + b.height)) - 0.5, 'x title below the ticks');
    assert.ok(yTitle.x + yTitle.width <= Math.min(...rows.map((b) => b.x)) + 0.5, 'y title left of the row labels');
  });

  await t.test('cells are at least 12 px square and a hover names target, source and value', async () => {
    const cells = await boxes(w, `${block1} .heat-cell`);
    assert.equal(cells.length, 78 + 13);
    assert.ok(cells.every((c) => c.width >= 11 && c.height >= 11), `smallest cell ${Math.min(...cells.map((c) => c.width))} px`);
    const last = w.page.locator(`${block1} .heat-cell[data-row="12"][data-col="12"]`);
    await last.hover();
    const map = stats.reuse[0];
    const text = await w.page.locator(`${block1} .heat-hover`).textContent();
    assert.match(text ?? '', new RegExp(`^target ${map.rows[12].conv} ← source ${map.sources[12].replace(/\//g, '\\/')}: mean \\|w\\| [0-9.e-]+ \\([0-9]+% of the block’s largest\\) · ‖H\\^s \\* X_s‖ [0-9.e-]+$`));
    assert.equal(map.rows[12].conv, 'transition1/conv1');
    // The cell's own tooltip (Plot's title) says the same.
    assert.equal(await last.locator('title').textContent(), text);
  });

  await t.test('the colour bar runs from 0 to the block’s largest; the largest cell is the bar’s top colour, in every theme', async () => {
    const largest = Math.max(...stats.reuse[0].rows.flatMap((r) => r.values.filter((v): v is number => v !== null))) * 1.5;
    // Plot's colour legend: the measure as its label, ticks at 0 and the block's largest.
    assert.equal(await w.page.locator(`${block1} .heat-legend-ramp > text`).textContent(), 'mean |w|');
    assert.deepEqual(await w.page.locator(`${block1} .heat-legend-ramp .tick text`).allTextContents(), ['0', largest.toPrecision(3)]);
    const top = await w.page.locator(`${block1} .heat-cell`).evaluateAll((cells, max) => cells.find((c) => Math.abs(Number((c as SVGRectElement).dataset.value) - max) < 1e-12)!.getAttribute('data-row') + ',' + cells.find((c) => Math.abs(Number((c as SVGRectElement).dataset.value) - max) < 1e-12)!.getAttribute('data-col'), largest);
    const [row, col] = top.split(',');
    const topCell = w.page.locator(`${block1} .heat-cell[data-row="${row}"][data-col="${col}"]`);
    const themes: [string, Record<string, string>][] = [
      ['vscode-dark', { '--vscode-charts-green': '#89d185', '--vscode-charts-red': '#f14c4c', '--vscode-editor-background': '#1e1e1e' }],
      ['vscode-light', { '--vscode-charts-green': '#388a34', '--vscode-charts-red': '#e51400', '--vscode-editor-background': '#ffffff' }],
      ['vscode-high-contrast', { '--vscode-charts-green': '#89d185', '--vscode-charts-red': '#f48771', '--vscode-editor-background': '#000000' }],
    ];
    const fills: string[] = [];
    for (const [className, vars] of themes) {
      await w.page.evaluate(([c, v]) => {
        document.body.className = c;
        for (const [k, value] of Object.entries(v)) document.documentElement.style.setProperty(k, value);
      }, [className, vars] as const);
      const fill = channels(await topCell.evaluate((e) => getComputedStyle(e).fill));
      const high = await computed(w, 'var(--reuse-high)');
      assert.deepEqual(fill, channels(high), `${className}: largest cell is the bar's top`);
      assert.notDeepEqual(fill, channels(await computed(w, 'var(--stats-high)')), `${className}: not the gradient ramp`);
      // The legend's ramp runs from the low colour to the same top colour.
      const [first, last] = await rampEnds(w, `${block1} .heat-legend-ramp image`);
      assert.deepEqual(last, channels(high), `${className}: the ramp ends in ${high}`);
      assert.deepEqual(first, channels(await computed(w, 'var(--reuse-low)')), `${className}: the ramp starts at the low colour`);
      const lowest = await w.page.locator(`${block1} .heat-cell`).evaluateAll((cells) => cells.map((c) => getComputedStyle(c).fill));
      assert.ok(new Set(lowest).size > 10, `${className}: ${new Set(lowest).size} distinct cell colours`);
      // Colours are ordered by value: a larger mean |w| is never nearer the low end of the ramp…
      const drawn = await w.page.locator(`${block1} .heat-cell`).evaluateAll((cells) => cells.map((c) => ({ value: Number(c.getAttribute('data-value')), fill: getComputedStyle(c).fill })));
      const along = (fill: string): number => {
        const [lo, hi, c] = [first, last, channels(fill)];
        const axis = hi.map((h, i) => h - lo[i]);
        return c.reduce((s, v, i) => s + (v - lo[i]) * axis[i], 0) / axis.reduce((s, v) => s + v * v, 0);
      };
      const byValue = [...drawn].sort((a, b) => a.value - b.value).map((d) => along(d.fill));
      for (let i = 1; i < byValue.length; i++) assert.ok(byValue[i] >= byValue[i - 1] - 0.01, `${className}: cell colours out of value order at ${i}`);
      // …and each cell sits on the ramp at its value's share of the block's largest (8-bit colour steps aside).
      for (const d of drawn) assert.ok(Math.abs(along(d.fill) - d.value / largest) < 0.02, `${className}: cell of ${d.value} at ${along(d.fill)} of the ramp, not ${d.value / largest}`);
      fills.push(fill.join(','));
      await w.page.screenshot({ path: `test-results/heatmap-densenet40-${className}.png` });
    }
    assert.equal(new Set(fills).size, 2, 'green follows the theme (dark and high contrast share it)');
  });

  await t.test('tick labels, axis titles and the colour bar\'s labels are the theme\'s foreground, at least 4.5:1 on the page, in every theme', async () => {
    const parts = { 'source ticks': COL_TICKS, 'target ticks': ROW_TICKS, 'source title': X_TITLE, 'target title': Y_TITLE, 'colour bar label': '.heat-legend-ramp > text', 'colour bar ticks': '.heat-legend-ramp .tick text' };
    for (const theme of THEMES) {
      await applyTheme(w, theme);
      // The page's background: the first ancestor that paints one (the body's editor background).
      const background = await w.page.locator(block1).evaluate((e) => {
        for (let at: Element | null = e; at; at = at.parentElement) {
          const colour = getComputedStyle(at).backgroundColor;
          if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
        }
        return getComputedStyle(document.documentElement).backgroundColor;
      });
      const foreground = await computed(w, 'var(--vscode-editor-foreground)');
      assert.equal(background, await computed(w, 'var(--vscode-editor-background)'), `${theme.className}: the maps sit on the editor background`);
      for (const [part, selector] of Object.entries(parts)) {
        const fills = await w.page.locator(`${block1} ${selector}`).evaluateAll((texts) => texts.map((e) => ({ fill: getComputedStyle(e).fill, opacity: Number(getComputedStyle(e).opacity) * Number(getComputedStyle(e).fillOpacity), visible: e.getBoundingClientRect().width > 0 })));
        assert.ok(fills.length > 0 && fills.every((f) => f.visible), `${theme.className}: ${part} drawn`);
        for (const { fill, opacity } of fills) {
          assert.equal(fill, foreground, `${theme.className}: ${part} in the foreground colour`);
          assert.equal(opacity, 1, `${theme.className}: ${part} not faded`);
          assert.ok(contrastRatio(fill, background) >= 4.5, `${theme.className}: ${part} ${fill} on ${background}: ${contrastRatio(fill, background).toFixed(2)}:1`);
        }
      }
    }
  });

  await t.test('once a row moves by more than a twentieth of the bar the maps say how many steps trained them', async () => {
    await update(w, 50, withRowScaled(stats, 3, 0.5, 50));
    assert.equal(await w.page.locator(`${block1} .heat-status`).textContent(), 'after 50 steps');
    assert.equal(await w.page.locator(block1).getAttribute('data-state'), 'trained');
    // The mark stays once the weights have moved.
    await update(w, 51, { ...stats, step: 51 });
    assert.equal(await w.page.locator(`${block1} .heat-status`).textContent(), 'after 51 steps');
  });

  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

test('a map out of view keeps its trained mark current, and shows the latest cells and bar once scrolled into view', async () => {
  const w = await openDensenet40(420);
  const stats = syntheticStatistics(exampleGraph('densenet40'), 1);
  const block3 = '.stats-heatmap[data-block="block3"]';
  await update(w, 1, stats);
  // The page's panel is 260 px high and the maps stack: the first is in view, the third below the fold.
  await w.page.waitForSelector(`${block3}[data-in-view="false"]`, { state: 'attached' });
  const values = (): Promise<string[]> => w.page.locator(`${block3} .heat-cell`).evaluateAll((cells) => cells.map((c) => `${c.getAttribute('data-row')},${c.getAttribute('data-col')}=${c.getAttribute('data-value')}`));
  const expected = (s: TrainingStatistics): string[] =>
    s.reuse[2].rows.flatMap((r, row) => r.values.flatMap((v, col) => (v === null ? [] : [`${row},${col}=${v}`]))).sort();
  assert.deepEqual((await values()).sort(), expected(stats));

  // Block 3's cells double but its largest halves: every cell, the bar's top and the cells' places on the bar change.
  const before = Math.max(...stats.reuse[2].rows.flatMap((r) => r.values.filter((v): v is number => v !== null)));
  const next: TrainingStatistics = { ...stats, step: 2, reuse: stats.reuse.map((m, i) => (i !== 2 ? m : { ...m, rows: m.rows.map((r) => ({ ...r, values: r.values.map((v) => (v === null ? null : v === before ? v / 2 : v * 2)) })) })) };
  const largest = Math.max(...next.reuse[2].rows.flatMap((r) => r.values.filter((v): v is number => v !== null)));
  assert.notEqual(largest.toPrecision(3), before.toPrecision(3));
  await update(w, 2, next);
  assert.equal(await w.page.locator(`${block3} .heat-status`).textContent(), 'after 2 steps');
  assert.deepEqual((await values()).sort(), expected(stats), 'out of view: the cells are not recoloured');

  await w.page.locator(block3).scrollIntoViewIfNeeded();
  await w.page.waitForFunction((want) => [...document.querySelectorAll('.stats-heatmap[data-block="block3"] .heat-cell')].map((c) => `${c.getAttribute('data-row')},${c.getAttribute('data-col')}=${c.getAttribute('data-value')}`).sort().join(' ') === want, expected(next).join(' '));
  assert.deepEqual(await w.page.locator(`${block3} .heat-legend-ramp .tick text`).allTextContents(), ['0', largest.toPrecision(3)]);
  // The largest cell now carries the bar's top colour, and its title the new value.
  const top = next.reuse[2].rows.flatMap((r, row) => r.values.map((v, col) => ({ v, row, col }))).find((c) => c.v === largest)!;
  const cell = w.page.locator(`${block3} .heat-cell[data-row="${top.row}"][data-col="${top.col}"]`);
  const high = await w.page.evaluate(() => {
    const probe = document.createElement('div');
    probe.style.color = 'var(--reuse-high)';
    document.querySelector('.stats-overlay')!.appendChild(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  });
  assert.deepEqual(channels(await cell.evaluate((e) => getComputedStyle(e).fill)), channels(high));
  assert.match((await cell.locator('title').textContent()) ?? '', new RegExp(`: mean \\|w\\| ${largest.toPrecision(3).replace('.', '\\.')} \\(100% of the block’s largest\\)`));
  assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
  assert.deepEqual(w.consoleErrors, [], 'console errors');
  await w.page.context().close();
});

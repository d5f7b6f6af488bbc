/**
 * Speed of one live statistics update in the graph view (webview/statistics/overlay.ts) in headless Chromium:
 * the real GraphView and StatisticsOverlay on the statistics test page (test/webview/stats-page.ts), fed the
 * engine-shaped synthetic statistics of the webview tests (statistics-fixtures.ts). Each case draws the model,
 * makes WARMUP updates, optionally holds a layer's tooltip open (its sparklines are redrawn on every update),
 * then times UPDATES more and prints milliseconds per update (median of RUNS runs; every number of each update
 * is scaled by a factor that varies per step, so colours, legends and heat-map scales change every time).
 *
 * BENCH_PAGES names the page bundles to compare (comma-separated, in out/webview-test/pages/; default stats-page.js):
 * a copy of the page built from an earlier commit measures before and after in the same run, run by run
 * interleaved, so both see the same machine load.
 *
 * With BENCH_PROFILE=1 it also records a V8 CPU profile of the measured updates of the first case and prints the
 * functions with the most self time, for finding where an update's time goes.
 *
 * Run: npm run bench:statistics   (BENCH_RUNS, BENCH_UPDATES, BENCH_PAGES, BENCH_PROFILE)
 */
import { examplePayload, launchBrowser, openWebview, TEST_PAGE_PREFIX, type WebviewPage } from '../test/webview/harness';
import { exampleGraph, syntheticStatistics } from '../test/webview/statistics-fixtures';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 300);
const WARMUP = 50;
const PROFILE = process.env.BENCH_PROFILE === '1';
const PAGES = (process.env.BENCH_PAGES ?? 'stats-page.js').split(',').filter((p) => p !== '');

interface Case {
  name: string;
  model: string;
  /** Page width, CSS pixels (1200 unless given). */
  width?: number;
  /** A drawn item whose tooltip stays open during the updates (refreshed on each), or none. */
  tooltip?: string;
  /** Goal in ms per update (printed beside the figure; nothing fails on it). */
  goalMs: number;
}

const CASES: Case[] = [
  // statistics.test's "updates keep the element count and the history bounded": a collapsed block's tooltip open.
  { name: 'DenseNet-40, 3 heat maps, block tooltip open', model: 'densenet40', tooltip: 'block2/layer4', goalMs: 10 },
  { name: 'DenseNet-40, 3 heat maps, no tooltip', model: 'densenet40', goalMs: 10 },
  // A graph beside the editor: the maps stack in the panel and only the first is in view.
  { name: 'DenseNet-40, 3 heat maps, 420 px wide (1 in view), no tooltip', model: 'densenet40', width: 420, goalMs: 10 },
  { name: 'ResNet-20 (no heat maps), no tooltip', model: 'resnet20', goalMs: Infinity },
];

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function openCase(browser: Awaited<ReturnType<typeof launchBrowser>>, c: Case, page: string): Promise<{ w: WebviewPage; stats: ReturnType<typeof syntheticStatistics> }> {
  const w = await openWebview(browser, undefined, { width: c.width ?? 1200, height: 900 }, `${TEST_PAGE_PREFIX}${page}`);
  await w.page.waitForFunction(() => window.__statsPage !== undefined);
  await w.page.evaluate((p) => window.__statsPage.show(p), examplePayload(c.model));
  const stats = syntheticStatistics(exampleGraph(c.model), 1);
  await w.page.evaluate((s) => window.__statsPage.updateMany(s, 1, 50), stats);
  if (c.tooltip) {
    await w.page.locator(`[data-id="${c.tooltip}"]`).focus();
    await w.page.waitForSelector('#tooltip.visible .stats-section');
  }
  return { w, stats };
}

/** Milliseconds per update of `count` updates, timed inside the page (no protocol round trips in the figure). */
async function timeUpdates(w: WebviewPage, stats: ReturnType<typeof syntheticStatistics>, from: number, count: number): Promise<number> {
  return w.page.evaluate(
    ([s, f, n]) => {
      const started = performance.now();
      window.__statsPage.updateMany(s, f, n);
      return (performance.now() - started) / n;
    },
    [stats, from, count] as const,
  );
}

/** The part of a V8 CPU profile (the DevTools protocol's Profiler.Profile) read here. */
interface CpuProfile {
  nodes: { id: number; hitCount?: number; children?: number[]; callFrame: { functionName: string; url: string; lineNumber: number } }[];
}

const frameName = (node: CpuProfile['nodes'][number]): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`;
};

/**
 * The `top` functions of a V8 CPU profile by self time and by total time (self and callees, each sample counted
 * once per function however deep the recursion), as shares of the profile's samples.
 */
function profileTables(profile: CpuProfile, top: number): { self: string[]; total: string[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let samples = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    samples += hits;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + hits);
    const seen = new Set<string>();
    for (let at: number | undefined = node.id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + hits);
    }
  }
  const table = (counts: Map<string, number>): string[] =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, count]) => `${((100 * count) / Math.max(1, samples)).toFixed(1).padStart(5)} %  ${key}`);
  return { self: table(self), total: table(total) };
}

async function main(): Promise<void> {
  const browser = await launchBrowser();
  try {
    console.log(`Statistics updates in headless Chromium: ms per update over ${UPDATES} updates after ${WARMUP}, median of ${RUNS} runs\n`);
    console.log(`case | layers | merges | heat maps | ${PAGES.map((p) => `${p}: ms per update (runs)`).join(' | ')} | goal`);
    console.log(`---|---|---|---|${PAGES.map(() => '---|').join('')}---`);
    for (const c of CASES) {
      const figures = PAGES.map((): number[] => []);
      let shape = '';
      for (let run = 0; run < RUNS; run++) {
        for (const [index, page] of PAGES.entries()) {
          const { w, stats } = await openCase(browser, c, page);
          shape = `${stats.layers.length} | ${stats.merges.length} | ${stats.reuse.length}`;
          const profiling = PROFILE && run === 0 && c === CASES[0];
          const session = profiling ? await w.page.context().newCDPSession(w.page) : null;
          if (session) {
            await session.send('Profiler.enable');
            await session.send('Profiler.setSamplingInterval', { interval: 200 });
            await session.send('Profiler.start');
          }
          figures[index].push(await timeUpdates(w, stats, WARMUP + 1, UPDATES));
          if (session) {
            const { profile } = await session.send('Profiler.stop');
            const tables = profileTables(profile, 30);
            console.log(`\nSelf time during the measured updates (${c.name}, ${page}):\n${tables.self.join('\n')}\n`);
            console.log(`Total time (self and callees):\n${tables.total.join('\n')}\n`);
          }
          await w.page.context().close();
        }
      }
      const goal = Number.isFinite(c.goalMs) ? `≤ ${c.goalMs} ms` : '–';
      const cells = figures.map((f) => `${median(f).toFixed(2)} (${f.map((v) => v.toFixed(2)).join(', ')})`);
      console.log(`${c.name} | ${shape} | ${cells.join(' | ')} | ${goal}`);
    }
  } finally {
    await browser.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

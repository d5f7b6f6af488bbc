/**
 * Graph view speed in headless Chromium (the real webview bundles): for each model, the layout time in
 * the worker and the time from a text change to the new graph on screen. A "text change" here renames
 * the model's last layer, so the structure changes and the layout cache cannot answer; the host's part
 * (analysis + payload) is timed in Node on the same text and added. Prints medians of several runs.
 *
 * Run: npm run bench:graph
 */
import { readFileSync } from 'node:fs';
import { analyze } from '../src/core';
import { buildGraphPayload, type GraphPayload } from '../src/protocol';
import { residualTower } from '../test/support/generated';
import { DOC_URI, launchBrowser, NO_DIAGNOSTICS, openWebview, type WebviewPage } from '../test/webview/harness';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Case {
  name: string;
  /** An example's name, or generated text (the e2e suite's 5,000-layer tower). */
  file: string | (() => string);
  threshold: number;
  expand?: boolean;
  goalMs: number;
}

const CASES: Case[] = [
  { name: 'ResNet-20', file: 'resnet20', threshold: 150, goalMs: Infinity },
  { name: 'ResNet-50 (default collapse)', file: 'resnet50', threshold: 150, goalMs: 100 },
  { name: 'ResNet-50 fully expanded', file: 'resnet50', threshold: 100_000, goalMs: Infinity },
  { name: 'DenseNet-121 collapsed (blocks as glyphs)', file: 'densenet121', threshold: 1, goalMs: 100 },
  { name: 'DenseNet-121 default (layers collapsed, dense arcs)', file: 'densenet121', threshold: 150, goalMs: Infinity },
  { name: 'DenseNet-121 fully expanded (every dense edge)', file: 'densenet121', threshold: 100_000, goalMs: 1500 },
  { name: '5,000-layer residual tower (714 collapsed units)', file: () => residualTower(714), threshold: 150, goalMs: Infinity },
];

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Renames the last layer: a real edit that changes ids, so the layout must run again. */
function editedText(text: string, run: number): string {
  const matches = [...text.matchAll(/(?:\b[A-Za-z_]\w*\s*:\s*)?dense\(/g)];
  const last = matches[matches.length - 1];
  const index = last.index ?? 0;
  return `${text.slice(0, index)}bench_edit_${run}: dense(${text.slice(index + last[0].length)}`;
}

function hostSide(text: string, threshold: number): { payload: GraphPayload; ms: number } {
  const started = performance.now();
  const analysis = analyze(text);
  const model = analysis.models[0];
  const payload = buildGraphPayload(model, analysis.lines, { collapseThreshold: threshold, models: analysis.models.map((m) => m.name) });
  return { payload, ms: performance.now() - started };
}

/** Posts the graph into the page and waits for the render event plus one frame (pixels on screen). */
async function pageSide(w: WebviewPage, payload: GraphPayload, version: number): Promise<{ totalMs: number; inDomMs: number; layoutMs: number; items: number; edges: number }> {
  return w.page.evaluate(
    ({ message }) =>
      new Promise<{ totalMs: number; inDomMs: number; layoutMs: number; items: number; edges: number }>((resolve) => {
        const started = performance.now();
        document.getElementById('stage')!.addEventListener(
          'graph-rendered',
          (event) => {
            const detail = (event as CustomEvent<{ layoutMs: number; items: number; edges: number }>).detail;
            const inDom = performance.now() - started;
            requestAnimationFrame(() => setTimeout(() => resolve({ totalMs: performance.now() - started, inDomMs: inDom, layoutMs: detail.layoutMs, items: detail.items, edges: detail.edges })));
          },
          { once: true },
        );
        window.postMessage(message, '*');
      }),
    { message: { type: 'graph', uri: DOC_URI, version, graph: payload, diagnostics: NO_DIAGNOSTICS } },
  );
}

function shapeOf(text: string): number {
  return analyze(text).models[0].nodes.length;
}

async function main(): Promise<void> {
  const browser = await launchBrowser();
  console.log(`Graph view benchmark (headless Chromium, median of ${RUNS} runs after two warm-ups; ms)`);
  console.log('case'.padEnd(54), 'items', 'edges', ' host', 'layout', 'in DOM', 'to screen', ' total', ' goal');
  try {
    // BENCH_CASE=text runs only the cases whose name contains it.
    for (const c of CASES.filter((entry) => entry.name.includes(process.env.BENCH_CASE ?? ''))) {
      const w = await openWebview(browser);
      const text = typeof c.file === 'string' ? readFileSync(`examples/${c.file}.skipnet`, 'utf8') : c.file();
      await w.init(hostSide(text, c.threshold).payload);
      const host: number[] = [];
      const layout: number[] = [];
      const screen: number[] = [];
      const inDom: number[] = [];
      let shape = { items: 0, edges: 0 };
      for (let run = -1; run <= RUNS; run++) {
        const side = hostSide(editedText(text, run + 1), c.threshold);
        if (!side.payload.complete || side.payload.nodes.length !== shapeOf(text)) throw new Error(`the benchmark edit broke ${c.name}`);
        const page = await pageSide(w, side.payload, run + 3);
        if (run <= 0) continue; // two warm-up runs
        host.push(side.ms);
        layout.push(page.layoutMs);
        screen.push(page.totalMs);
        inDom.push(page.inDomMs);
        shape = page;
      }
      const total = median(host) + median(screen);
      const verdict = Number.isFinite(c.goalMs) ? `${c.goalMs} ${total < c.goalMs ? 'met' : 'MISSED'}` : '—';
      console.log(c.name.padEnd(54), String(shape.items).padStart(5), String(shape.edges).padStart(5), median(host).toFixed(1).padStart(5), median(layout).toFixed(1).padStart(6), median(inDom).toFixed(1).padStart(6), median(screen).toFixed(1).padStart(9), total.toFixed(1).padStart(6), verdict);
      await w.page.context().close();
    }
  } finally {
    await browser.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

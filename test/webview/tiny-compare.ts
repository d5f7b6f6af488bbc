/**
 * The small residual model the experiment tests train, and Compare's Train both on it against its no-skip
 * ablation, driven through the protocol as the host drives it.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { buildCompareMessage, type SideSpec } from '../../src/compare/model';
import { planTrainBoth } from '../../src/compare/training';
import type { CompareTrainingRun, HostToCompare } from '../../src/protocol/compare-messages';
import { openWebview, ORIGIN, type WebviewPage } from './harness';

/** Two residual blocks, small enough for a step in a few milliseconds on the cpu backend. */
export const TINY = `block res() {
  r: conv(4, 3, pad=1, bias=false) -> bn -> relu
  add(r, in) -> relu
}
model tiny(28x28x1) {
  conv(4, 3, stride=2, pad=1) -> bn -> relu
  res()
  res()
  gap -> dense(10)
  train { dataset: mnist; optimizer: adam; lr: 0.01; batch: 8; epochs: 1; seed: 1 }
}
`;

/** The bundled MNIST as the test server serves it. */
export const TINY_DATASET = { kind: 'builtin' as const, name: 'mnist' as const, url: `${ORIGIN}/media/data/mnist.bin` };

/**
 * Opens Compare (1400×900) on TINY (side A) and its no-skip ablation (side B), clicks Train both and answers the
 * page's request as the host does: both sides train TINY's train section on the cpu backend, statistics every 5
 * steps. Returns once the runs were sent; the caller waits for the steps it needs.
 */
export async function trainBothTiny(browser: Browser): Promise<WebviewPage> {
  const w = await openWebview(browser, undefined, { width: 1400, height: 900 }, 'compare.js');
  const page = w.page;
  const specs: [SideSpec, SideSpec] = [
    { uri: 'file:///work/tiny.skipnet', file: 'tiny.skipnet', model: 'tiny', withoutSkips: false },
    { uri: 'file:///work/tiny.skipnet', file: 'tiny.skipnet', model: 'tiny', withoutSkips: true },
  ];
  await page.evaluate((m) => window.postMessage(m, '*'), buildCompareMessage(specs, [TINY, TINY], 1, { collapseThreshold: 150, direction: 'down' }));
  await page.waitForFunction(() => !document.getElementById('train-both')?.hasAttribute('disabled'), undefined, { timeout: 120_000 });
  await page.locator('#train-both').click();
  await page.waitForFunction(() => window.__posted.some((m) => (m as { type: string }).type === 'trainBoth'), undefined, { timeout: 120_000 });
  const plan = planTrainBoth(specs, [TINY, TINY]);
  assert.ok(plan.ok);
  const runs = specs.map((s) => ({ run: { model: 'tiny', text: TINY, backend: 'cpu' as const, statsInterval: 5, dataset: TINY_DATASET }, withoutSkips: s.withoutSkips })) as [CompareTrainingRun, CompareTrainingRun];
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'startTrainBoth', revision: 1, runs, config: plan.shared } satisfies HostToCompare);
  return w;
}

/**
 * The wasm backend as the webview starts it (in a blob: worker), in headless Chromium: single-threaded in a normal page; in a
 * cross-origin isolated page (VS Code's `--enable-coi`) the threaded SIMD binary with more than one thread,
 * training to the same losses, where the CSP lets its pthread workers import their script (a blob: URL,
 * so script-src needs blob:); where it does not, the start falls back to one thread instead of hanging.
 * No timing here: bench/trainBrowser.bench.ts measures speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy } from '../../src/graph/html';
import { useBrowser, type OpenOptions, openWebview, TEST_PAGE_PREFIX } from './harness';
import type { WasmThreadsResult } from './wasm-threads-page';

const browser = useBrowser();

const MODEL = `
block res(planes, stride=1) {
  r: conv(planes, 3, stride=stride, pad=1, bias=false) -> bn -> relu -> conv(planes, 3, pad=1, bias=false) -> bn
  s: in -> zeropad(planes, stride=stride)
  add(r, s) -> relu
}
model small(16x16x3) {
  conv(8, 3, pad=1, bias=false) -> bn -> relu
  res(8)
  res(16, stride=2)
  gap -> dense(10)
}`;

async function trainIn(options: OpenOptions): Promise<WasmThreadsResult> {
  const w = await openWebview(browser(), undefined, undefined, `${TEST_PAGE_PREFIX}wasm-threads-page.js`, options);
  try {
    const result = await w.page.evaluate(([text, steps]) => window.__wasmThreadsPage.train(text, steps), [MODEL, 6] as [string, number]);
    assert.deepEqual(await w.page.evaluate(() => window.__cspViolations), [], 'CSP violations');
    assert.deepEqual(w.consoleErrors, [], 'console errors');
    return result;
  } finally {
    await w.page.context().close();
  }
}

function assertSameLosses(actual: WasmThreadsResult, expected: WasmThreadsResult, what: string): void {
  assert.equal(actual.losses.length, 6, what);
  for (let i = 0; i < expected.losses.length; i++) {
    assert.ok(Math.abs(actual.losses[i] - expected.losses[i]) <= 1e-4 * Math.max(1, Math.abs(expected.losses[i])), `${what} step ${i + 1}: ${actual.losses[i]} vs single-threaded ${expected.losses[i]}`);
  }
}

test('wasm: more than one thread in a cross-origin isolated page whose CSP allows blob: scripts, one otherwise, the same losses on a fixed seed', async () => {
  const single = await trainIn({});
  assert.equal(single.backend, 'wasm');
  assert.equal(single.crossOriginIsolated, false);
  assert.equal(single.threads, 1, 'no SharedArrayBuffer: the single-threaded binary');
  assert.equal(single.reason, 'not cross-origin isolated');
  assert.equal(single.losses.length, 6);
  assert.ok(single.losses.every(Number.isFinite), `losses ${single.losses.join(', ')}`);
  assert.notEqual(single.losses[0], single.losses[5], 'the losses move (the model trains)');

  const threaded = await trainIn({ crossOriginIsolated: true, extraScriptSources: 'blob:' });
  assert.equal(threaded.backend, 'wasm');
  assert.equal(threaded.crossOriginIsolated, true, 'COOP/COEP make the page cross-origin isolated');
  assert.ok(threaded.threads > 1, `threads in the isolated page: ${threaded.threads} (${threaded.reason || 'set up threaded'})`);
  assertSameLosses(threaded, single, 'threaded');

  // The webview's own CSP, isolated: threads exactly when its script-src allows blob: (else the fallback).
  const product = await trainIn({ crossOriginIsolated: true });
  const allowsBlobScripts = /script-src[^;]*\bblob:/.test(contentSecurityPolicy('https://webview.test', 'n'));
  assert.equal(product.crossOriginIsolated, true);
  assert.equal(product.threads > 1, allowsBlobScripts, `threads under the webview CSP: ${product.threads} (${product.reason || 'set up threaded'})`);
  assertSameLosses(product, single, 'webview CSP');
  for (const r of [single, threaded, product]) {
    assert.equal(r.tensorsAfter, r.tensorsBefore, 'every tensor freed after the run');
    // A second module once started beside the first (tf.findBackend initialises what it does not find) and, finishing
    // late, reported 1 thread: the cause of this test's failures on loaded machines.
    assert.equal(r.wasmModulesStarted, 1, 'one wasm module started per worker');
  }
});

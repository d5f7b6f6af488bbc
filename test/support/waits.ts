/**
 * Waits in browser tests: generous by default, and a timeout says what it waited for. A loaded 2-core machine
 * (CI, or `stress-ng --cpu 2` beside the suite) runs pages and training steps many times slower than an idle
 * one, so no wait may be sized to an idle machine; and Playwright's own timeout error for waitForFunction names
 * only the time, not the condition, which is the first thing a failing run needs.
 */
import type { Page } from 'playwright-core';

/** The time any single wait may take before the test fails (ms). */
export const WAIT_TIMEOUT_MS = 120_000;

/**
 * Makes `page`'s waits default to WAIT_TIMEOUT_MS and turns a waitForFunction timeout into an error that quotes
 * the predicate and its argument. Explicit `timeout` options still apply.
 */
export function describeWaits(page: Page, timeoutMs = WAIT_TIMEOUT_MS): void {
  page.setDefaultTimeout(timeoutMs);
  const waitForFunction = page.waitForFunction.bind(page) as (fn: unknown, arg?: unknown, options?: unknown) => Promise<unknown>;
  const described = async (fn: unknown, arg?: unknown, options?: unknown): Promise<unknown> => {
    try {
      return await waitForFunction(fn, arg, options);
    } catch (error) {
      if (!(error instanceof Error) || !/Timeout \d+ms exceeded/.test(error.message)) throw error;
      const argument = arg === undefined ? '' : ` (argument ${JSON.stringify(arg)})`;
      throw new Error(`Timed out waiting for ${String(fn).replace(/\s+/g, ' ')}${argument}: ${error.message.split('\n')[0]}`);
    }
  };
  page.waitForFunction = described as Page['waitForFunction'];
}

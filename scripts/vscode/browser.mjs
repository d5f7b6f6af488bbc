// Debian's Chromium driven by playwright-core (never `playwright install`, which downloads a browser),
// and opening the VS Code workbench served by code-server in it.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SKIPNET_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium off the network and quiet; Playwright makes a fresh profile itself. */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export async function launchChromium({ extraArgs = [] } = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install the Debian package chromium (apt-get install -y chromium).`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/**
 * Opens the workbench at `url` in a new page and resolves once the editor area and status bar are shown
 * and the initial "Activating Extensions..." phase is over (the extension host is up).
 */
export async function openWorkbench(browser, url, { viewport = { width: 1400, height: 900 }, beforeNavigate } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  if (beforeNavigate) await beforeNavigate(page);
  await page.goto(url);
  await page.locator('.monaco-workbench .part.editor').waitFor({ state: 'visible', timeout: 120_000 });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 120_000 });
  return page;
}

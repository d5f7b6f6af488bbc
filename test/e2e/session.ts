// One VS Code session for a test file: code-server with the packaged SkipNet .vsix installed in a fresh
// profile, Debian Chromium driven by playwright-core, and the workbench opened on a folder.
// `close()` always ends the browser and code-server's whole process group, even after a failure.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeWaits } from '../support/waits';
import { launchChromium, openWorkbench } from '../../scripts/vscode/browser.mjs';
import {
  cacheDir, installVsix, prepareProfile, projectRoot, startCodeServer, workbenchUrl, type Profile, type RunningCodeServer,
} from '../../scripts/vscode/code-server.mjs';
import { Workbench } from './workbench';

export const examplesDir = join(projectRoot, 'examples');
export const resultsDir = join(projectRoot, 'test-results');

export interface VsCodeSession {
  server: RunningCodeServer;
  profile: Profile;
  /** The scratch copy of the folder the workbench opened. */
  workspace: string;
  browser: Browser;
  page: Page;
  workbench: Workbench;
  /** Errors the page logged (uncaught exceptions, console.error), for tests that assert there are none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** The .vsix `npm run package` builds; the e2e script packages before running the tests. */
export function packagedVsix(): string {
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  const vsix = join(projectRoot, `skipnet-${version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first (npm run test:e2e does).`);
  return vsix;
}

/**
 * Starts a session on a scratch copy of `folder` (default: examples/), so that edits made by a test never
 * reach the checkout. The copy is `session.workspace`.
 */
export async function startVsCodeSession(options: { name: string; folder?: string; settings?: Record<string, unknown> }): Promise<VsCodeSession> {
  mkdirSync(resultsDir, { recursive: true });
  const profile = prepareProfile(join(cacheDir, 'e2e', options.name), {
    fresh: true,
    settings: { 'files.autoSave': 'off', 'files.hotExit': 'off', ...options.settings },
  });
  const workspace = join(profile.dir, 'workspace');
  cpSync(options.folder ?? examplesDir, workspace, { recursive: true });
  installVsix(profile, packagedVsix());
  const server = await startCodeServer({ profile });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const pageErrors: string[] = [];
    const page = await openWorkbench(browser, workbenchUrl(server, workspace), {
      beforeNavigate: async (p) => {
        describeWaits(p);
        p.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
      },
    });
    const workbench = new Workbench(page, resultsDir, options.name);
    const openedBrowser = browser;
    return {
      server, profile, workspace, browser: openedBrowser, page, workbench, pageErrors,
      close: async () => {
        await workbench.screenshot('final').catch(() => undefined);
        await openedBrowser.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw error;
  }
}

/**
 * The text of the (remote) extension host logs of a profile: VS Code records every extension activation
 * there (`ExtensionService#_doActivateExtension skipnet.skipnet ...`) and every error an extension throws.
 */
export function extensionHostLog(profile: Profile): string {
  const logsDir = join(profile.userDataDir, 'logs');
  if (!existsSync(logsDir)) return '';
  let text = '';
  for (const session of readdirSync(logsDir)) {
    for (const host of readdirSync(join(logsDir, session)).filter((name) => name.startsWith('exthost'))) {
      const file = join(logsDir, session, host, 'remoteexthost.log');
      if (existsSync(file)) text += readFileSync(file, 'utf8');
    }
  }
  return text;
}

/** Waits until the extension host log matches `pattern` (re-read every 100 ms), and returns the matching line. */
export async function waitForExtensionHostLog(profile: Profile, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = extensionHostLog(profile).split('\n').find((entry) => pattern.test(entry));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`the extension host log never matched ${pattern}:\n${extensionHostLog(profile)}`);
    await delay(100);
  }
}

/** The text of SkipNet's own log channels (SkipNet Graph, SkipNet Compare) of a profile, every session. */
export function skipnetLog(profile: Profile): string {
  const logsDir = join(profile.userDataDir, 'logs');
  if (!existsSync(logsDir)) return '';
  let text = '';
  for (const session of readdirSync(logsDir)) {
    for (const host of readdirSync(join(logsDir, session)).filter((name) => name.startsWith('exthost'))) {
      const dir = join(logsDir, session, host, 'skipnet.skipnet');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).filter((name) => name.endsWith('.log'))) text += readFileSync(join(dir, file), 'utf8');
    }
  }
  return text;
}

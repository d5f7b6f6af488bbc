// Types for scripts/vscode/browser.mjs.
import type { Browser, Page } from 'playwright-core';

export declare const CHROMIUM_PATH: string;
export declare function launchChromium(options?: { extraArgs?: string[] }): Promise<Browser>;
export declare function openWorkbench(
  browser: Browser,
  url: string,
  options?: { viewport?: { width: number; height: number }; beforeNavigate?: (page: Page) => Promise<void> },
): Promise<Page>;

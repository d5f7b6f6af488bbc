// Helpers that use the VS Code workbench the way a person does: Quick Open, the command palette, the
// keyboard in the editor, the mouse for hovers, the Problems panel, the status bar, webviews.
// Every helper waits for a visible condition; none sleeps.
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** One row of the Problems panel as the person reads it. */
export interface ProblemRow {
  severity: 'error' | 'warning' | 'info' | 'unknown';
  message: string;
  /** Source and code as shown, e.g. `skipnet(unknown-name)`. */
  source: string;
  line: number;
  column: number;
}

const TIMEOUT = 120_000; // generous: a loaded 2-core machine is many times slower than an idle one

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly resultsDir: string,
    private readonly prefix: string,
  ) {}

  /** Opens a workspace file with Quick Open (Ctrl+P) and waits until its editor tab is active. */
  async openFile(fileName: string): Promise<void> {
    await this.quickInput('Control+P', fileName, fileName);
    await this.page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: TIMEOUT });
    await this.activeEditor().locator('.view-lines').waitFor({ timeout: TIMEOUT });
  }

  /** Runs a command from the command palette (F1) by its title as listed, e.g. `View: Toggle Word Wrap`. */
  async runCommand(title: string): Promise<void> {
    // The palette's input starts with `>` (command mode); filling it replaces that prefix, so repeat it.
    await this.quickInput('F1', `>${title}`, title);
  }

  private async quickInput(shortcut: string, query: string, rowText: string): Promise<void> {
    await this.page.keyboard.press(shortcut);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: TIMEOUT });
    await input.fill(query);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first();
    await row.waitFor({ state: 'visible', timeout: TIMEOUT });
    // Enter picks the focused row; wait until the list has settled on the one we mean.
    await this.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: rowText }).waitFor({ timeout: TIMEOUT });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
  }

  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** The language name in the status bar (e.g. `SkipNet`), once it equals `expected`. */
  async waitForStatusBarLanguage(expected: string): Promise<string> {
    const item = this.page.locator('[id="status.editor.mode"]');
    await this.page.waitForFunction(
      (want) => document.querySelector('[id="status.editor.mode"]')?.textContent?.trim() === want,
      expected,
      { timeout: TIMEOUT },
    );
    return (await item.innerText()).trim();
  }

  /** Moves the cursor with Go to Line (Ctrl+G) to a 1-based line and column. */
  async goTo(line: number, column: number): Promise<void> {
    await this.activeEditor().locator('.view-lines').click();
    await this.quickInputGoTo(`${line}:${column}`);
    await this.page.waitForFunction(
      (want) => document.querySelector('[id="status.editor.selection"]')?.textContent?.includes(want) ?? false,
      `Ln ${line}, Col ${column}`,
      { timeout: TIMEOUT },
    );
  }

  private async quickInputGoTo(position: string): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: TIMEOUT });
    await input.fill(`:${position}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
  }

  /** Gives the keyboard back to the active editor (Ctrl+1) without moving its cursor. */
  async focusEditor(): Promise<void> {
    await this.page.keyboard.press('Control+1');
    await this.page.locator('.editor-group-container.active .monaco-editor.focused').waitFor({ timeout: TIMEOUT });
  }

  /** Types at the cursor of the active editor, as keystrokes. */
  async type(text: string): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.type(text);
  }

  async undo(): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+Z');
  }

  /** The text of an editor line (1-based) as rendered. */
  async lineText(line: number): Promise<string> {
    return this.page.evaluate((index) => {
      const lines = Array.from(document.querySelectorAll<HTMLElement>('.editor-group-container.active .monaco-editor .view-line'));
      // Rendered lines are absolutely positioned and not in document order; sort by their top.
      lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
      const firstVisible = Number(document.querySelector('.editor-group-container.active .monaco-editor .line-numbers')?.textContent ?? '1');
      return (lines[index - firstVisible]?.textContent ?? '').replace(/\u00a0/g, ' ');
    }, line);
  }

  /** Waits until editor line `line` (1-based, visible) reads `expected`, and returns it. */
  async waitForLineText(line: number, expected: string): Promise<string> {
    await this.page.waitForFunction(
      ({ index, want }) => {
        const lines = Array.from(document.querySelectorAll<HTMLElement>('.editor-group-container.active .monaco-editor .view-line'));
        lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
        const firstVisible = Number(document.querySelector('.editor-group-container.active .monaco-editor .line-numbers')?.textContent ?? '1');
        return (lines[index - firstVisible]?.textContent ?? '').replace(/\u00a0/g, ' ') === want;
      },
      { index: line, want: expected },
      { timeout: TIMEOUT },
    );
    return this.lineText(line);
  }

  /** Opens the Problems panel (Ctrl+Shift+M) and waits for it. */
  async showProblems(): Promise<void> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.page.keyboard.press('Control+Shift+M');
      await panel.waitFor({ state: 'visible', timeout: TIMEOUT });
    }
  }

  /** The Problems panel's marker rows (file rows left out), read from the DOM. */
  async problems(): Promise<ProblemRow[]> {
    await this.showProblems();
    return this.page.evaluate(readProblemRows);
  }

  /** Waits until the Problems panel's rows satisfy `accept`, and returns them. */
  async waitForProblems(accept: (rows: ProblemRow[]) => boolean, description: string): Promise<ProblemRow[]> {
    await this.showProblems();
    const deadline = Date.now() + TIMEOUT;
    let rows: ProblemRow[] = [];
    // Re-read after every DOM change of the panel (a MutationObserver in the page), until accepted or timed out.
    while (Date.now() < deadline) {
      rows = await this.page.evaluate(readProblemRows);
      if (accept(rows)) return rows;
      await this.page.evaluate(waitForMutation, { selector: '.markers-panel', timeoutMs: deadline - Date.now() });
    }
    throw new Error(`Problems panel never showed ${description}; last rows: ${JSON.stringify(rows, null, 2)}`);
  }

  /**
   * Hovers the `occurrence`-th (0-based) rendered occurrence of `word` in the editor and returns the hover's text.
   * The word is pointed at once it has kept its place for three animation frames: a panel that has just opened
   * (Problems) resizes the editor, which then scrolls the cursor's line back into view, and a point read before that
   * lands on the line above.
   */
  async hoverWord(word: string, occurrence = 0): Promise<string> {
    const deadline = Date.now() + TIMEOUT;
    let point: { x: number; y: number } | null = null;
    for (let still = 0; still < 3; ) {
      const next = await this.page.evaluate(findWordCenter, { word, occurrence });
      if (!next) throw new Error(`"${word}" (occurrence ${occurrence}) is not visible in the editor`);
      still = point && point.x === next.x && point.y === next.y ? still + 1 : 0;
      point = next;
      if (Date.now() > deadline) throw new Error(`"${word}" kept moving in the editor for ${TIMEOUT} ms`);
      await this.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    }
    await this.page.mouse.move(point!.x, point!.y);
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
    await hover.waitFor({ state: 'visible', timeout: TIMEOUT });
    await this.page.waitForFunction(
      () => (document.querySelector('.monaco-hover:not(.hidden) .monaco-hover-content')?.textContent ?? '').trim().length > 0 &&
        !document.querySelector('.monaco-hover:not(.hidden) .monaco-hover-content')?.textContent?.includes('Loading...'),
      undefined,
      { timeout: TIMEOUT },
    );
    return (await hover.innerText()).trim();
  }

  /** Clicks the CodeLens whose text contains `title` (e.g. `Show graph`), as a person clicks it. */
  async clickCodeLens(title: string): Promise<void> {
    const lens = this.activeEditor().locator('.codelens-decoration a', { hasText: title }).first();
    await lens.waitFor({ state: 'visible', timeout: TIMEOUT });
    await lens.click();
  }

  /** The status bar's cursor item, e.g. `Ln 18, Col 10 (39 selected)`, once it matches `pattern`. */
  async waitForSelectionStatus(pattern: RegExp): Promise<string> {
    const handle = await this.page.waitForFunction(
      ({ source, flags }) => {
        const text = document.querySelector('[id="status.editor.selection"]')?.textContent?.trim() ?? '';
        return new RegExp(source, flags).test(text) ? text : null;
      },
      { source: pattern.source, flags: pattern.flags },
      { timeout: TIMEOUT },
    );
    return (await handle.jsonValue()) as string;
  }

  /**
   * Waits until `locator`'s text matches `pattern` and returns it. Polls the text (a state, not a delay), so a
   * timeout can say what the element showed last: the first thing a failing CI run needs.
   */
  async waitForText(locator: Locator, pattern: RegExp, timeoutMs = TIMEOUT): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last: string | null = null;
    for (;;) {
      last = await locator.first().textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => last);
      if (last !== null && pattern.test(last)) return last;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for text ${pattern}; it read: ${JSON.stringify(last)}`);
      await this.page.waitForTimeout(100);
    }
  }

  /** The content frame of the active webview (`iframe.webview` > `#active-frame`). */
  webviewFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview').frameLocator('#active-frame');
  }

  /** Saves a full-page screenshot as test-results/<prefix>-<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    const path = join(this.resultsDir, `${this.prefix}-${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

// The functions below run in the page (serialized by Playwright): no closures over test-side values.

function readProblemRows(): ProblemRow[] {
  // Marker rows hold a `.marker-icon` (file rows do not); message, source, code and `[Ln, Col]` are separate
  // elements, and the panel shows source and code as `source(code)` through CSS.
  const rows = Array.from(document.querySelectorAll<HTMLElement>('.markers-panel .monaco-list-row'));
  const problems: ProblemRow[] = [];
  for (const row of rows) {
    const icon = row.querySelector('.marker-icon');
    if (!icon) continue;
    const text = (selector: string): string => (row.querySelector(selector)?.textContent ?? '').trim();
    const severity = icon.classList.contains('error') ? 'error' : icon.classList.contains('warning') ? 'warning' : icon.classList.contains('info') ? 'info' : 'unknown';
    const code = text('.marker-code');
    const position = /\[Ln (\d+), Col (\d+)\]/.exec(text('.marker-line'));
    problems.push({
      severity,
      message: text('.marker-message'),
      source: code ? `${text('.marker-source')}(${code})` : text('.marker-source'),
      line: position ? Number(position[1]) : 0,
      column: position ? Number(position[2]) : 0,
    });
  }
  return problems;
}

function waitForMutation({ selector, timeoutMs }: { selector: string; timeoutMs: number }): Promise<void> {
  return new Promise((resolve) => {
    const target = document.querySelector(selector) ?? document.body;
    const timer = setTimeout(() => { observer.disconnect(); resolve(); }, Math.max(0, timeoutMs));
    const observer = new MutationObserver(() => { clearTimeout(timer); observer.disconnect(); resolve(); });
    observer.observe(target, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

function findWordCenter({ word, occurrence }: { word: string; occurrence: number }): { x: number; y: number } | null {
  const lines = Array.from(document.querySelectorAll<HTMLElement>('.editor-group-container.active .monaco-editor .view-line'));
  lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
  let seen = 0;
  const pattern = new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g');
  for (const line of lines) {
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (const match of text.matchAll(pattern)) {
        if (seen++ < occurrence) continue;
        const range = document.createRange();
        range.setStart(node, match.index ?? 0);
        range.setEnd(node, (match.index ?? 0) + word.length);
        const rect = range.getBoundingClientRect();
        return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
      }
    }
  }
  return null;
}

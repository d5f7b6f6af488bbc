import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Analysis } from '../../src/core';
import { runCli } from '../../src/cli/main';
import { readExample, ROOT } from '../support/examples';

/** An example from examples/ with its analysis. */
export function example(name: string): { text: string; analysis: Analysis } {
  const text = readExample(name);
  return { text, analysis: analyze(text) };
}

/** The offset of `delta` characters into the `occurrence`-th (0-based) match of `needle`; fails loudly when absent. */
export function offsetOf(text: string, needle: string, delta = 0, occurrence = 0): number {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) is not in the text`);
  }
  return index + delta;
}

/** The text a range covers. */
export function slice(text: string, range: { start: number; end: number }): string {
  return text.slice(range.start, range.end);
}

/**
 * Runs the CLI in-process on `args`: `files` are read before the checkout (paths relative to its root) and
 * receive what the CLI writes. Returns the exit code and the printed lines joined.
 */
export function runCliIn(args: string[], files: Record<string, string> = {}): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(args, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    writeFile: (path, text) => {
      files[path] = text;
    },
    readFile: (path) => (path in files ? files[path] : readFileSync(join(ROOT, path), 'utf8')),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

import { analyze, type Analysis } from '../../src/core';
import { readExample } from '../support/examples';

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

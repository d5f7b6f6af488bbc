import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root, found from the bundled test's location (out/test/*.js) or the source tree. */
export const ROOT = join(__dirname, '..', '..');

export function readExample(name: string): string {
  return readFileSync(join(ROOT, 'examples', name), 'utf8');
}

export function exampleNames(): string[] {
  return readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.skipnet')).sort();
}

/** 1-based "line:col" of an offset, as people read positions. */
export function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/examples';

/** Source files of the project (not generated output, not dependencies). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mjs|js|py|css|md)$/.test(name)) out.push(path);
  }
  return out;
}

test('comments say why, never which issue: no file refers to an issue number', () => {
  const pattern = /\bissues? ?#?\d+|\(#\d+\)/i;
  const found: string[] = [];
  for (const folder of ['src', 'webview', 'test', 'python', 'bench', 'scripts', 'docs']) {
    for (const file of sources(join(ROOT, folder))) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        // This file's own pattern is the one line allowed to spell it.
        if (pattern.test(line) && !line.includes('const pattern =')) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(found, []);
});

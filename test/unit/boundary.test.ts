import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/examples';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('core boundary', () => {
  it('nothing in src/core imports vscode, node built-ins or the DOM', () => {
    const files = sourceFiles(join(ROOT, 'src', 'core'));
    assert.ok(files.length >= 10);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const imports = [
        ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
        ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
        ...text.matchAll(/\brequire\(\s*['"]([^'"]+)['"]/g),
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g),
      ].map((m) => m[1]);
      for (const spec of imports) assert.ok(spec.startsWith('.'), `${relative(ROOT, file)} imports '${spec}': the core must stay portable`);
      assert.doesNotMatch(text, /\b(document|window)\.\w/, `${relative(ROOT, file)} touches the DOM`);
    }
  });
});

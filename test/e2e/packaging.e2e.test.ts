// The .vsix holds only what runs in VS Code (see .vscodeignore): bundles, media, grammar, examples, docs, the PyTorch runner.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../scripts/vscode/code-server.mjs';

/** What may ship, by path prefix or exact name. */
const ALLOWED = [/^package\.json$/, /^LICENSE$/, /^README\.md$/, /^CHANGELOG\.md$/, /^language-configuration\.json$/, /^dist\//, /^media\//, /^syntaxes\//, /^examples\//, /^docs\//, /^python\/skipnet_(train|io|data|stats|cifar|dist|experiments|algebra|paths)\.py$/];

describe('packaging', () => {
  it('lists only runtime files in the .vsix, with the extension bundle and no sources or maps', () => {
    const vsce = join(projectRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
    const listing = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: projectRoot, encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    const files = listing.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    for (const bundle of ['dist/extension.js', 'dist/webview/main.js', 'dist/webview/layout-worker.js']) {
      assert.ok(files.includes(bundle), `${bundle} is packaged: ${files.join(', ')}`);
    }
    assert.ok(files.includes('examples/densenet121.skipnet'));
    // The PyTorch engine's runner and the modules it imports (src/train/pytorch/runner.ts finds them above dist/).
    assert.deepEqual(files.filter((file) => file.startsWith('python/')).sort(), ['python/skipnet_algebra.py', 'python/skipnet_cifar.py', 'python/skipnet_data.py', 'python/skipnet_dist.py', 'python/skipnet_experiments.py', 'python/skipnet_io.py', 'python/skipnet_paths.py', 'python/skipnet_stats.py', 'python/skipnet_train.py']);
    assert.ok(files.includes('LICENSE'));
    assert.deepEqual(files.filter((file) => !ALLOWED.some((pattern) => pattern.test(file))), [], 'nothing outside the allow-list');
    assert.deepEqual(files.filter((file) => file.endsWith('.map') || file.endsWith('.ts') || file === 'dist/cli.js'), [], 'no maps, sources or CLI');
  });
});

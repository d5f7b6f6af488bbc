// One build script for every bundle: the extension (node/cjs, `vscode` external), the CLI (node),
// and with --tests / --bench the plain-Node test and benchmark files.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', target: 'es2022' };
// TensorFlow.js registers its gradients only from its ES modules ('module'); a Node bundle that took
// tfjs-core's CommonJS 'main' would mix two copies. Bundles that may hold tfjs prefer 'module'.
const preferModules = { mainFields: ['module', 'main'] };

function entries(dir, suffix) {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

const jobs = [];
if (args.has('--tests')) {
  rmSync('out/test', { recursive: true, force: true });
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: entries('test/unit', '.test.ts'), outdir: 'out/test', external: ['vscode'], ...preferModules }));
} else if (args.has('--e2e')) {
  // End-to-end tests drive VS Code from Node: ESM so the shared scripts/vscode/*.mjs keep import.meta.url.
  rmSync('out/e2e', { recursive: true, force: true });
  jobs.push(build({ ...common, platform: 'node', format: 'esm', entryPoints: entries('test/e2e', '.test.ts'), outdir: 'out/e2e', outExtension: { '.js': '.mjs' }, external: ['playwright-core'] }));
} else if (args.has('--integration')) {
  // The integration suite runs inside VS Code's extension host: `vscode` is provided there, mocha is
  // loaded from node_modules at run time (it requires test files itself).
  rmSync('out/integration', { recursive: true, force: true });
  const suite = [...entries('test/integration', '.test.ts'), 'test/integration/index.ts'];
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: suite, outdir: 'out/integration', external: ['vscode', 'mocha'] }));
} else if (args.has('--webview-tests')) {
  // Browser tests of the graph webview: Node files that drive headless Chromium (playwright-core stays external).
  rmSync('out/webview-test', { recursive: true, force: true });
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: entries('test/webview', '.test.ts'), outdir: 'out/webview-test', external: ['vscode', 'playwright-core'] }));
  // Test-only pages (*-page.ts) that mount webview parts on their own, served by test/webview/harness.ts.
  // TensorFlow.js as ES modules, like the training runtime (one copy of tfjs-core, its gradients included).
  jobs.push(build({ ...common, platform: 'browser', format: 'iife', target: 'chrome120', entryPoints: entries('test/webview', '-page.ts'), outdir: 'out/webview-test/pages', loader: { '.css': 'text' }, mainFields: ['module', 'browser', 'main'] }));
} else if (args.has('--screenshots')) {
  // The README's screenshots (scripts/screenshots.ts): a Node driver of headless Chromium, like the webview tests.
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: ['scripts/screenshots.ts'], outdir: 'out/screenshots', external: ['vscode', 'playwright-core'] }));
} else if (args.has('--bench')) {
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: entries('bench', '.bench.ts'), outdir: 'out/bench', external: ['esbuild', 'playwright-core'], ...preferModules }));
} else {
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', ...preferModules }));
  // elkjs for `skipnet render`, apart so the CLI's other commands start without parsing it (src/cli/render.ts).
  jobs.push(build({ ...common, sourcemap: false, platform: 'node', format: 'cjs', entryPoints: ['node_modules/elkjs/lib/elk.bundled.js'], outfile: 'dist/elk-layout.js' }));
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }));
  // Graph webview: the page script and its elkjs layout worker (browser bundles, no Node built-ins).
  const browser = { ...common, platform: 'browser', format: 'iife', target: 'chrome120' };
  jobs.push(build({ ...browser, entryPoints: ['webview/graph/main.ts'], outfile: 'dist/webview/main.js', loader: { '.css': 'text' } }));
  jobs.push(build({ ...browser, entryPoints: ['webview/graph/layout-worker.ts'], outfile: 'dist/webview/layout-worker.js' }));
  // Training worker of the graph and compare views (TensorFlow.js as ES modules: no eval), started on the first run,
  // and the wasm backend's binaries it fetches from the extension (the threaded one serves cross-origin isolated webviews).
  jobs.push(build({ ...browser, entryPoints: ['webview/training/training-worker.ts'], outfile: 'dist/webview/train.js', mainFields: ['module', 'browser', 'main'] }));
  mkdirSync('dist/webview/wasm', { recursive: true });
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join('node_modules/@tensorflow/tfjs-backend-wasm/dist', file), join('dist/webview/wasm', file));
  // Compare view: its own page script (two graph views, the table, ablation and suggestions); same worker.
  jobs.push(build({ ...browser, entryPoints: ['webview/compare/main.ts'], outfile: 'dist/webview/compare.js', loader: { '.css': 'text' } }));
}
await Promise.all(jobs);

// One build script for every bundle: the extension (node/cjs, `vscode` external), the CLI (node),
// and with --tests / --bench the plain-Node test and benchmark files.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
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
} else if (args.has('--bench')) {
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: entries('bench', '.bench.ts'), outdir: 'out/bench', external: ['esbuild', 'playwright-core'], ...preferModules }));
} else {
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', ...preferModules }));
  jobs.push(build({ ...common, platform: 'node', format: 'cjs', entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }));
}
await Promise.all(jobs);

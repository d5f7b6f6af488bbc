#!/usr/bin/env node
// Runs the integration suite in desktop VS Code with @vscode/test-electron, where VS Code can be
// downloaded (it cannot on the project's CI machines: there, `npm run test:integration` runs the same
// suite in code-server through scripts/vscode/run-integration.mjs).
// Usage: npm run build && node scripts/build.mjs --integration && node scripts/vscode/run-integration-electron.mjs [vscode-version]
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { cacheDir, projectRoot } from './code-server.mjs';

const version = process.argv[2] ?? 'stable';
const scratch = join(cacheDir, 'integration-electron');
rmSync(scratch, { recursive: true, force: true });
const workspace = join(scratch, 'workspace');
mkdirSync(scratch, { recursive: true });
cpSync(join(projectRoot, 'examples'), workspace, { recursive: true });

try {
  await runTests({
    version,
    extensionDevelopmentPath: projectRoot,
    extensionTestsPath: join(projectRoot, 'out', 'integration', 'index.js'),
    extensionTestsEnv: { SKIPNET_INTEGRATION_RESULTS: join(projectRoot, 'test-results', 'integration-electron.json') },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(scratch, 'user-data')],
  });
} catch (error) {
  console.error(`run-integration-electron: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

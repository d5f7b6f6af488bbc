// Integration suite entry, with @vscode/test-electron's conventions: VS Code loads this module inside the
// extension host (`--extensionTestsPath`, or the workbench payload `extensionTestsPath` in code-server)
// and calls `run()`. It runs every `*.test.js` next to it with mocha and writes a JSON report for the
// Node-side runner (scripts/vscode/run-integration.mjs), since a browser-hosted workbench has no stdout.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Mocha from 'mocha';

/** One finished test, as the runner reports it. */
export interface IntegrationTestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
  error?: string;
}

export interface IntegrationReport {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  tests: IntegrationTestResult[];
}

/** Where the report goes: $SKIPNET_INTEGRATION_RESULTS, else test-results/integration.json in the checkout. */
function reportPath(): string {
  return process.env.SKIPNET_INTEGRATION_RESULTS ?? resolve(__dirname, '..', '..', 'test-results', 'integration.json');
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 180_000, reporter: 'spec' });
  for (const file of readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort()) {
    mocha.addFile(join(__dirname, file));
  }
  const started = Date.now();
  const tests: IntegrationTestResult[] = [];
  return new Promise((resolveRun, rejectRun) => {
    const runner = mocha.run((failures) => {
      const report: IntegrationReport = {
        passed: tests.filter((t) => t.state === 'passed').length,
        failed: failures,
        pending: tests.filter((t) => t.state === 'pending').length,
        durationMs: Date.now() - started,
        tests,
      };
      const path = reportPath();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(report, null, 2));
      if (failures > 0) rejectRun(new Error(`${failures} integration test(s) failed; report: ${path}`));
      else resolveRun();
    });
    runner.on('pass', (test) => tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration ?? 0 }));
    runner.on('pending', (test) => tests.push({ title: test.fullTitle(), state: 'pending', durationMs: 0 }));
    runner.on('fail', (test, error: Error) => {
      tests.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration ?? 0, error: error.stack ?? String(error) });
    });
  });
}

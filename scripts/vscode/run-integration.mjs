#!/usr/bin/env node
// Runs the integration suite (out/integration, built by `node scripts/build.mjs --integration`) inside a
// real VS Code extension host: code-server's, since desktop VS Code cannot be downloaded on these machines.
//
// How: the workbench page is opened with the payload VS Code's own web test runner uses,
// `extensionDevelopmentPath` + `extensionTestsPath` as vscode-remote URIs. The test module lies inside the
// development extension, so VS Code runs it in that extension's host (code-server's Node extension host),
// calls its `run()`, and when it settles calls `window.codeAutomationExit(code)` in the page, which this
// script exposes. The suite writes a JSON report; this script prints it and exits non-zero on failure.
// With desktop VS Code available, scripts/vscode/run-integration-electron.mjs runs the same suite.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, openWorkbench } from './browser.mjs';
import { cacheDir, prepareProfile, projectRoot, remoteUri, startCodeServer, workbenchUrl } from './code-server.mjs';

const TIMEOUT_MS = Number(process.env.SKIPNET_INTEGRATION_TIMEOUT_MS ?? 600_000);
const testsEntry = join(projectRoot, 'out', 'integration', 'index.js');
const reportFile = join(projectRoot, 'test-results', 'integration.json');

function fail(message) {
  console.error(`run-integration: ${message}`);
  process.exitCode = 1;
}

async function main() {
  if (!existsSync(testsEntry)) return fail(`${testsEntry} is missing: run \`node scripts/build.mjs --integration\` first.`);
  if (!existsSync(join(projectRoot, 'dist', 'extension.js'))) return fail('dist/extension.js is missing: run `npm run build` first.');
  rmSync(reportFile, { force: true });
  mkdirSync(join(projectRoot, 'test-results'), { recursive: true });

  // A fresh profile with no installed extensions: SkipNet runs from this checkout as the development extension.
  const profile = prepareProfile(join(cacheDir, 'integration'), { fresh: true, settings: { 'files.autoSave': 'off' } });
  const workspace = join(profile.dir, 'workspace');
  cpSync(join(projectRoot, 'examples'), workspace, { recursive: true });

  const started = Date.now();
  const server = await startCodeServer({ profile, env: { SKIPNET_INTEGRATION_RESULTS: reportFile } });
  let browser;
  try {
    browser = await launchChromium();
    let settle;
    const exited = new Promise((resolve) => { settle = resolve; });
    const url = workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', remoteUri(server, projectRoot)],
      ['extensionTestsPath', remoteUri(server, testsEntry)],
    ]);
    await openWorkbench(browser, url, {
      beforeNavigate: (page) => page.exposeFunction('codeAutomationExit', (code) => settle(Number(code))),
    });
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), TIMEOUT_MS).unref());
    const code = await Promise.race([exited, timeout]);
    if (code === 'timeout') return fail(`the suite did not finish within ${TIMEOUT_MS} ms; code-server log: ${profile.logFile}`);
    if (!existsSync(reportFile)) return fail(`the extension host exited with ${code} but wrote no report (${reportFile}); see ${profile.userDataDir}/logs`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    for (const test of report.tests) {
      const mark = test.state === 'passed' ? '✔' : test.state === 'failed' ? '✖' : '-';
      console.log(`${mark} ${test.title} (${test.durationMs} ms)`);
      if (test.error) console.log(test.error.split('\n').map((line) => `    ${line}`).join('\n'));
    }
    console.log(`integration (code-server ${server.url}): ${report.passed} passed, ${report.failed} failed, ${report.pending} pending; ` +
      `suite ${report.durationMs} ms, whole run ${Date.now() - started} ms`);
    if (report.failed > 0 || code !== 0) fail(`failures: ${report.failed}, extension host exit code ${code}`);
    if (report.passed === 0) fail('no test ran');
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
}

await main();

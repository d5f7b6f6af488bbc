#!/usr/bin/env node
// Installs code-server (VS Code in the browser, from npm) into .cache/code-server, outside the project's
// own dependencies. Idempotent: returns at once when the same version is already installed.
//
// What a plain `npm install code-server` needs on these machines:
// - as root, code-server's postinstall refuses to run unless npm_config_unsafe_perm=true;
// - node-pty's postinstall calls `npx node-gyp`, which would prompt: npm_config_yes=true;
// - node-gyp would download Node's headers from nodejs.org: npm_config_nodedir=/usr uses Debian's;
// - @vscode/ripgrep downloads ripgrep from GitHub unless its cache already holds the tarball: we put
//   Debian's /usr/bin/rg there, in a TMPDIR of our own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CODE_SERVER_VERSION, DEBIAN_PACKAGES, cacheDir, installDir, isCodeServerInstalled, markCodeServerInstalled, missingDebianPackages,
} from './code-server.mjs';

/** The @vscode/ripgrep release code-server 4.100.3 depends on, and the ripgrep build it fetches. */
const RIPGREP_NPM_VERSION = '1.15.11';
const RIPGREP_TARBALL = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

function fail(message) {
  console.error(`install-code-server: ${message}`);
  process.exit(1);
}

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  return result.status ?? 1;
}

function seedRipgrepCache(tmpDir) {
  const rg = '/usr/bin/rg';
  if (!existsSync(rg)) fail(`${rg} is missing: install the Debian package ripgrep (apt-get install -y ripgrep).`);
  const dir = join(tmpDir, `vscode-ripgrep-cache-${RIPGREP_NPM_VERSION}`);
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, RIPGREP_TARBALL);
  if (!existsSync(tarball) && run('tar', ['-czf', tarball, '-C', '/usr/bin', 'rg']) !== 0) fail(`could not create ${tarball}`);
}

function main() {
  if (isCodeServerInstalled()) {
    console.log(`code-server ${CODE_SERVER_VERSION} is already installed in ${installDir}`);
    return;
  }
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor !== 20) fail(`code-server ${CODE_SERVER_VERSION} needs Node 20 (this is Node ${process.versions.node}).`);
  const missing = missingDebianPackages(DEBIAN_PACKAGES.filter((name) => name !== 'chromium'));
  if (missing.length > 0) {
    fail(`missing Debian packages needed to build code-server's native modules: ${missing.join(' ')}\n` +
      `  install them with: apt-get update && apt-get install -y ${missing.join(' ')}`);
  }

  const started = Date.now();
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  const tmpDir = join(cacheDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  seedRipgrepCache(tmpDir);
  // A package.json of its own keeps code-server out of the project's lockfile. Install scripts are what
  // build VS Code itself (code-server's postinstall installs lib/vscode and its native modules), so allow them.
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({
    name: 'skipnet-code-server',
    private: true,
    description: 'code-server for SkipNet\'s `npm start` and end-to-end tests; installed by scripts/vscode/install-code-server.mjs',
    dependencies: { 'code-server': CODE_SERVER_VERSION },
    allowScripts: { 'code-server': true, argon2: true },
  }, null, 2));

  console.log(`Installing code-server ${CODE_SERVER_VERSION} into ${installDir} (about a minute)...`);
  const env = {
    ...process.env,
    TMPDIR: tmpDir,
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_nodedir: existsSync('/usr/include/node/node.h') ? '/usr' : (process.env.npm_config_nodedir ?? ''),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const status = run('npm', ['install', '--no-package-lock', '--omit=dev', '--loglevel=error'], { cwd: installDir, env });
  if (status !== 0) fail(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${status}); see the output above.`);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  markCodeServerInstalled(seconds);
  console.log(`code-server ${CODE_SERVER_VERSION} installed in ${seconds} s`);
}

main();

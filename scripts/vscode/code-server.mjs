// Shared facts and process control for running SkipNet inside a real VS Code: code-server from npm.
// Used by install-code-server.mjs, start.mjs, the end-to-end tests (test/e2e) and the integration runner.
// Types for TypeScript callers live in code-server.d.mts next to this file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** code-server 4.100.3 is VS Code 1.100.3, the newest release whose `engines` accept Node 20. */
export const CODE_SERVER_VERSION = '4.100.3';

/**
 * The SkipNet checkout: the nearest folder above this module holding SkipNet's package.json. Found by
 * walking up so the same code works from scripts/vscode and from test bundles under out/.
 */
export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start) {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && safeJson(readFileSync(manifest, 'utf8')).name === 'skipnet') return dir;
    if (dirname(dir) === dir) throw new Error(`no SkipNet package.json above ${start}`);
  }
}
/** Everything downloaded or generated for the harness lives here (ignored by git). */
export const cacheDir = join(projectRoot, '.cache');
export const installDir = join(cacheDir, 'code-server');
export const codeServerEntry = join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const installedMarker = join(installDir, 'installed.json');

/**
 * Debian packages needed to build code-server's native modules (node-pty, kerberos, spdlog, keymapping...),
 * plus ripgrep (VS Code's search; its npm package would download it from GitHub) and chromium for tests.
 */
export const DEBIAN_PACKAGES = [
  'build-essential', 'python3', 'pkg-config', 'libkrb5-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'libx11-dev', 'ripgrep', 'chromium',
];

/** Debian packages from DEBIAN_PACKAGES that dpkg does not report as installed ([] when dpkg is absent). */
export function missingDebianPackages(packages = DEBIAN_PACKAGES) {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...packages], { encoding: 'utf8' });
  if (query.error) return [];
  const installed = new Set(
    query.stdout.split('\n').filter((line) => line.endsWith(' installed')).map((line) => line.split(' ')[0].replace(/:.*$/, '')),
  );
  return packages.filter((name) => !installed.has(name));
}

/** True when the cache holds a complete install of CODE_SERVER_VERSION (the marker is written last). */
export function isCodeServerInstalled() {
  if (!existsSync(installedMarker) || !existsSync(codeServerEntry)) return false;
  try {
    return JSON.parse(readFileSync(installedMarker, 'utf8')).version === CODE_SERVER_VERSION;
  } catch {
    return false;
  }
}

export function markCodeServerInstalled(seconds) {
  writeFileSync(installedMarker, JSON.stringify({ version: CODE_SERVER_VERSION, installSeconds: seconds, at: new Date().toISOString() }, null, 2));
}

export function assertCodeServerInstalled() {
  if (!isCodeServerInstalled()) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${installDir}: run \`node scripts/vscode/install-code-server.mjs\` first.`);
  }
}

/** Settings that keep a fresh profile quiet: no welcome page, no telemetry, no update checks, no trust prompt. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
};

/**
 * A profile: code-server's user-data, extensions, config and XDG folders under one directory, so nothing
 * is written to the home folder. `fresh` deletes what an earlier run left there.
 */
export function prepareProfile(profileDir, { fresh = false, settings = {} } = {}) {
  if (fresh) rmSync(profileDir, { recursive: true, force: true });
  const profile = {
    dir: profileDir,
    userDataDir: join(profileDir, 'user-data'),
    extensionsDir: join(profileDir, 'extensions'),
    configFile: join(profileDir, 'config.yaml'),
    logFile: join(profileDir, 'code-server.log'),
  };
  for (const dir of [profile.userDataDir, profile.extensionsDir, join(profileDir, 'xdg-config'), join(profileDir, 'xdg-data'), join(profile.userDataDir, 'User')]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(profile.configFile, 'auth: none\ncert: false\n');
  const settingsFile = join(profile.userDataDir, 'User', 'settings.json');
  const previous = existsSync(settingsFile) ? safeJson(readFileSync(settingsFile, 'utf8')) : {};
  writeFileSync(settingsFile, JSON.stringify({ ...QUIET_SETTINGS, ...previous, ...settings }, null, 2));
  return profile;
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function profileEnv(profile, extraEnv = {}) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(profile.dir, 'xdg-config'),
    XDG_DATA_HOME: join(profile.dir, 'xdg-data'),
    ...extraEnv,
  };
}

function profileArgs(profile) {
  return ['--config', profile.configFile, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir];
}

/** Installs a .vsix into the profile's extensions folder (replacing an older copy of the same extension). */
export function installVsix(profile, vsixPath) {
  assertCodeServerInstalled();
  const result = spawnSync(process.execPath, [codeServerEntry, ...profileArgs(profile), '--install-extension', vsixPath, '--force'], {
    env: profileEnv(profile),
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`code-server could not install ${vsixPath} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout.trim();
}

/**
 * Starts code-server on 127.0.0.1 in its own process group (every browser session leaves an extension host
 * behind; ending the group ends them all). Port 0 lets the kernel pick a free port, read back from its log.
 * Resolves once the HTTP server listens; rejects with the log if it exits first or takes over `timeoutMs`.
 */
export function startCodeServer({ profile, port = 0, args = [], env = {}, timeoutMs = 60_000, echo = false }) {
  assertCodeServerInstalled();
  const serverArgs = [
    codeServerEntry,
    ...profileArgs(profile),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...args,
  ];
  const child = spawn(process.execPath, serverArgs, { env: profileEnv(profile, env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(profile.logFile, { flags: 'a' });
  let output = '';
  let exited = false;
  const exitPromise = new Promise((resolveExit) => child.once('exit', (code, signal) => { exited = true; resolveExit({ code, signal }); }));
  // A crashed test runner must not leave a server behind: end the group when this process exits.
  const killOnExit = () => killGroup(child.pid, 'SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!exited) {
      killGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5_000);
      await exitPromise;
      clearTimeout(timer);
    }
    // Extension hosts are in the same group and may outlive the server by a moment.
    killGroup(child.pid, 'SIGKILL');
    log.end();
  };

  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      stop().then(() => rejectStart(new Error(`code-server did not start within ${timeoutMs} ms:\n${output}`)));
    }, timeoutMs);
    let listening = false;
    const onData = (chunk) => {
      const text = chunk.toString();
      log.write(text);
      if (echo) process.stdout.write(text);
      output += text;
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+)\/?)/.exec(output);
      if (match && !listening) {
        listening = true;
        clearTimeout(timer);
        const actualPort = Number(match[2]);
        resolveStart({ url: `http://127.0.0.1:${actualPort}/`, port: actualPort, pid: child.pid, exited: exitPromise, output: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exitPromise.then(({ code, signal }) => {
      if (listening) return;
      clearTimeout(timer);
      rejectStart(new Error(`code-server exited (code ${code}, signal ${signal}) before listening:\n${output}`));
    });
  });
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

/** The workbench URL for a folder on the server, optionally with a workbench payload (extension development, tests). */
export function workbenchUrl(server, folder, payload) {
  const url = new URL(server.url);
  url.searchParams.set('folder', folder);
  if (payload) url.searchParams.set('payload', JSON.stringify(payload));
  return url.toString();
}

/** A `vscode-remote://` URI for a path on the server, as the workbench payload expects. */
export function remoteUri(server, absolutePath) {
  return `vscode-remote://127.0.0.1:${server.port}${absolutePath}`;
}

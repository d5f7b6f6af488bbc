#!/usr/bin/env node
// `npm start`: build SkipNet and open it in a real VS Code on examples/.
// - Desktop VS Code (`code` on PATH): an extension development host running this checkout.
// - Otherwise VS Code in the browser (code-server from npm, installed into .cache/): the packaged .vsix is
//   installed into a profile under .cache/start-profile, the server listens on 127.0.0.1 without auth,
//   and the URL is printed. Ctrl+C stops it (the whole process group, extension hosts included).
// Options: --browser (use code-server even when `code` exists), --port N (default: a free port).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  cacheDir, installVsix, isCodeServerInstalled, killGroup, prepareProfile, projectRoot, startCodeServer, workbenchUrl,
} from './vscode/code-server.mjs';

const examplesDir = join(projectRoot, 'examples');
const options = parseOptions(process.argv.slice(2));

function parseOptions(argv) {
  const parsed = { browser: false, port: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--browser') parsed.browser = true;
    else if (argv[i] === '--port' && /^\d+$/.test(argv[i + 1] ?? '')) parsed.port = Number(argv[++i]);
    else {
      console.error(`start: unknown option ${argv[i]} (known: --browser, --port N)`);
      process.exit(2);
    }
  }
  return parsed;
}

function step(description, command, args) {
  console.log(`> ${description}`);
  const result = spawnSync(command, args, { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`start: ${description} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && spawnSync('test', ['-x', candidate]).status === 0) return candidate;
  }
  return undefined;
}

/** Runs a child in its own process group and ends that group on Ctrl+C / SIGTERM. */
function forwardSignals(onSignal) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      console.log(`\nstart: ${signal}, stopping...`);
      onSignal();
    });
  }
}

function startDesktop(code) {
  step('build', 'npm', ['run', 'build']);
  console.log(`> ${code} --extensionDevelopmentPath=${projectRoot} ${examplesDir}`);
  // --wait keeps the CLI alive until the window closes, so Ctrl+C here can close it.
  const child = spawn(code, ['--new-window', '--wait', `--extensionDevelopmentPath=${projectRoot}`, examplesDir], { stdio: 'inherit', detached: true });
  forwardSignals(() => killGroup(child.pid, 'SIGTERM'));
  child.on('exit', (status) => process.exit(status ?? 0));
}

async function startBrowser() {
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  step('build', 'npm', ['run', 'build']);
  step('package', 'npm', ['run', 'package']);
  if (!isCodeServerInstalled()) step('install code-server', process.execPath, [join(projectRoot, 'scripts', 'vscode', 'install-code-server.mjs')]);
  const profile = prepareProfile(join(cacheDir, 'start-profile'));
  console.log(`> install skipnet-${version}.vsix into code-server`);
  installVsix(profile, join(projectRoot, `skipnet-${version}.vsix`));
  const server = await startCodeServer({ profile, port: options.port, args: [examplesDir] });
  let stopping = false;
  forwardSignals(() => {
    stopping = true;
    server.stop().then(() => process.exit(0));
  });
  console.log(`\nSkipNet is running in VS Code (code-server): ${workbenchUrl(server, examplesDir)}`);
  console.log(`Log: ${profile.logFile}. Press Ctrl+C to stop.`);
  const { code, signal } = await server.exited;
  if (stopping) return;
  console.error(`start: code-server exited (code ${code}, signal ${signal}); see ${profile.logFile}`);
  process.exit(1);
}

const desktopCode = options.browser ? undefined : findOnPath('code');
if (desktopCode) startDesktop(desktopCode);
else await startBrowser();

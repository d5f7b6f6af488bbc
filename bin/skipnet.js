#!/usr/bin/env node
// The `skipnet` command: a thin launcher for the bundled CLI (built by `npm run build`).
const path = require('path');
const fs = require('fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  console.error('skipnet: the CLI is not built yet; run `npm run build` in ' + path.dirname(__dirname));
  process.exit(2);
}
const cli = require(bundle);
if (process.argv[2] === 'train' || process.argv[2] === 'experiment' || process.argv[2] === 'algebra') cli.runCliAsync(process.argv.slice(2)).then((code) => (process.exitCode = code));
else if (process.argv[2] === 'render') cli.runRenderCommand(process.argv.slice(2)).then((code) => (process.exitCode = code));
else process.exitCode = cli.runCli(process.argv.slice(2));
// `skipnet summary big.skipnet | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode || 0);
  throw error;
});

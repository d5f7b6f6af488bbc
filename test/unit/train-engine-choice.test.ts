import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../../src/core';
import { builtinDatasetFile } from '../../src/train/nodeData';
import { chooseEngine, describeTorch, discoverPython, type PythonDiscovery, speedNote } from '../../src/train/pytorch/discover';
import { PyTorchTraining } from '../../src/train/pytorch/runner';
import { groupMembers } from '../support/processes';
import { alive, DEBIAN_TORCH, EventLog, fakeInterpreter, PYTHON } from './torchHelpers';

// Which engine "Train here" uses (skipnet.train.engine × Python found × workspace trust), what the bar says, in
// which order Python is looked for, and that ending a real PyTorch run leaves no process of its group behind.

const dir = mkdtempSync(join(tmpdir(), 'skipnet-engine-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FOUND: PythonDiscovery = { found: { ...DEBIAN_TORCH, torch: '1.13.0a0+git6c9b55e', origin: 'skipnet.python' }, tried: ['python-ext (from Python extension): not found'] };
const MISSING: PythonDiscovery = { found: null, tried: ['python3 (/usr/local/bin/python3, Python 3.12.1): no PyTorch (ModuleNotFoundError: No module named \'torch\') (from PATH)', 'python: not found (from PATH)'] };
const TRIED = "python3 (/usr/local/bin/python3, Python 3.12.1): no PyTorch (ModuleNotFoundError: No module named 'torch') (from PATH); python: not found (from PATH)";

test('the engine for each setting, Python found or not, trusted or not, and the sentence the bar shows', () => {
  const cases: [Parameters<typeof chooseEngine>, unknown][] = [
    [['browser', true, FOUND], { engine: 'browser', reason: 'browser (skipnet.train.engine is browser)', python: FOUND.found }],
    [['browser', true, MISSING], { engine: 'browser', reason: 'browser (skipnet.train.engine is browser)', python: null }],
    [['pytorch', true, FOUND], { engine: 'pytorch', reason: 'PyTorch 1.13 at /usr/bin/python3, cpu', python: FOUND.found }],
    [['pytorch', true, MISSING], { engine: 'none', message: `PyTorch engine: torch 1.13 or newer not found — tried: ${TRIED}. Install PyTorch, set skipnet.python to a Python that has it, or train in the browser.` }],
    [['auto', true, FOUND], { engine: 'pytorch', reason: 'PyTorch 1.13 at /usr/bin/python3, cpu', python: FOUND.found }],
    [['auto', true, MISSING], { engine: 'browser', reason: `browser: torch not found — tried: ${TRIED}`, python: null }],
    // Untrusted: no interpreter is started at all (discovery is not even run).
    [['auto', false, null], { engine: 'browser', reason: 'browser: PyTorch runs only in a trusted workspace (it starts a Python interpreter)', python: null }],
    [['pytorch', false, null], { engine: 'none', message: 'PyTorch runs only in a trusted workspace (it starts a Python interpreter). Trust this workspace, or train in the browser.' }],
    [['browser', false, null], { engine: 'browser', reason: 'browser (skipnet.train.engine is browser)', python: null }],
  ];
  for (const [args, expected] of cases) assert.deepEqual(chooseEngine(...args), expected, JSON.stringify(args.slice(0, 2)));
  assert.equal(describeTorch({ ...DEBIAN_TORCH, torch: '2.3.1+cu121', cuda: true, executable: '/opt/conda/bin/python' }), 'PyTorch 2.3 at /opt/conda/bin/python, cuda');
  assert.equal(describeTorch({ ...DEBIAN_TORCH, mps: true }), 'PyTorch 1.13 at /usr/bin/python3, mps');
});

test('the speed note compares the two engines\' last measured images/s on the model, only when PyTorch is found but not chosen', () => {
  const browser = chooseEngine('browser', true, FOUND);
  assert.equal(speedNote(browser, { browser: 120, pytorch: 1500 }), 'PyTorch would be about 12.5× faster here (1500 vs 120 img/s in past runs of this model)');
  assert.equal(speedNote(browser, { browser: 900, pytorch: 300 }), 'PyTorch would be about 3.0× slower here (300 vs 900 img/s in past runs of this model)');
  assert.equal(speedNote(browser, { browser: 100, pytorch: 102 }), 'PyTorch would train about as fast here (102 vs 100 img/s in past runs of this model)');
  assert.equal(speedNote(browser, { browser: 120 }), null, 'no PyTorch run of this model yet');
  assert.equal(speedNote(chooseEngine('browser', true, MISSING), { browser: 120, pytorch: 1500 }), null, 'PyTorch not found');
  assert.equal(speedNote(chooseEngine('auto', true, FOUND), { browser: 120, pytorch: 1500 }), null, 'PyTorch chosen');
});

test('Python is looked for in the Python extension\'s interpreter, then skipnet.python, then python3 and python on PATH', async () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // -S leaves out site-packages, where Debian's torch lives: a Python without torch.
  const bare = fakeInterpreter(dir, 'bare-python', `exec ${PYTHON} -S "$@"`);
  const old = fakeInterpreter(dir, 'old-torch', `echo 'SKIPNET_PROBE {"executable": "/opt/old/python", "python": "3.8.10", "torch": "1.12.1"}'`);
  fakeInterpreter(bin, 'python3', `exec ${PYTHON} -S "$@"`);
  const env = { PATH: bin };
  const asked: string[] = [];
  const extension = (answer: string | undefined) => async () => {
    asked.push(answer ?? '(none)');
    return answer;
  };

  // The extension's interpreter lacks torch, the setting's is too old, python3 on PATH lacks it, python is absent.
  let result = await discoverPython({ activeInterpreter: extension(bare), setting: old, env });
  assert.equal(result.found, null);
  assert.deepEqual(result.tried.map((t) => t.replace(/\(.*?Python 3\.\d+\.\d+\)/, '(…)')), [
    `${bare} (…): no PyTorch (ModuleNotFoundError: No module named 'torch') (from Python extension)`,
    `${old} (…): PyTorch 1.12.1 is older than 1.13 (from skipnet.python)`,
    "python3 (…): no PyTorch (ModuleNotFoundError: No module named 'torch') (from PATH)",
    'python: not found (from PATH)',
  ]);

  // The extension's interpreter wins when it has torch; the setting is not even tried.
  result = await discoverPython({ activeInterpreter: extension(PYTHON), setting: old, env });
  assert.deepEqual([result.found?.executable, result.found?.origin, result.tried], [PYTHON, 'Python extension', []]);

  // No Python extension (or no interpreter chosen there): the setting is next.
  result = await discoverPython({ activeInterpreter: extension(undefined), setting: PYTHON, env });
  assert.deepEqual([result.found?.executable, result.found?.origin], [PYTHON, 'skipnet.python']);
  assert.match(result.found!.torch, /^1\.13/);

  // An extension whose API throws counts as absent; an empty setting as unset; PATH's python comes last.
  fakeInterpreter(bin, 'python', `exec ${PYTHON} "$@"`);
  result = await discoverPython({ activeInterpreter: async () => Promise.reject(new Error('ms-python failed to activate')), setting: '  ', env });
  assert.deepEqual([result.found?.command, result.found?.origin, result.tried.length], ['python', 'PATH', 1]);
  assert.deepEqual(asked, [bare, PYTHON, '(none)']);
});

test('disposing a real PyTorch run mid-training ends the runner and every process of its group', async () => {
  const analysis = analyze(readFileSync('examples/mnist_resnet.skipnet', 'utf8'));
  const graph = analysis.models[0];
  const log = new EventLog();
  const run = await PyTorchTraining.start({ analysis, graph, datasetFile: builtinDatasetFile('mnist'), python: DEBIAN_TORCH, config: { batch: 8 }, statsInterval: 2, onEvent: log.push });
  // Mid-training: statistics were computed (merge hooks armed) and the next steps are running.
  await log.next((e) => e.type === 'statistics');
  const members = groupMembers(run.pid);
  assert.ok(members.includes(run.pid), `the runner ${run.pid} leads its own group: ${members.join(', ')}`);
  run.dispose();
  const result = await run.result;
  assert.equal(result.reason, 'stopped');
  assert.equal(alive(run.pid), false);
  assert.deepEqual(members.filter(alive), []);
  assert.deepEqual(groupMembers(run.pid), []);
});

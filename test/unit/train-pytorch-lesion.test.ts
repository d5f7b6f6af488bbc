/**
 * The PyTorch engine's lesion study (Veit, Wilber & Belongie 2016, §4) against the TensorFlow.js engine's on the
 * same weights, for the branches the runner removes through more than the branch's last module: residual branches
 * that end in another merge (a nested residual block's add, a squeeze-and-excitation mul), whose modules it zeroes
 * together, and U-Net skip concatenations (Ronneberger et al. 2015, §2), whose skip channels it cuts where the
 * concat is read. Each model is first trained in TensorFlow.js until its predictions differ across the held-out
 * images, so that a removal can change them; both engines then take one SGD step of lr 0 from those weights (the
 * same loss, the weights unchanged) and study them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../src/core';
import { makeBatch } from '../../src/train/data';
import { checkDataFits } from '../../src/train/dataset';
import { TrainingEngine } from '../../src/train/engine';
import { runLesionStudy, type LesionResult } from '../../src/train/experiments/lesion';
import type { TfModel } from '../../src/train/model';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { spreadIndices } from '../../src/train/schedule';
import { encodeDataset, firstProgress, PYTHON, relative, runBothEngines } from './torchHelpers';
import { immediate, syntheticDataset } from './trainHelpers';

const dir = mkdtempSync(join(tmpdir(), 'skipnet-torch-lesion-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 3;
const SAMPLES = 48;
// Class c lights the pixels whose index is c mod 10: a flatten head sees where they are (a global pool would not).
const synthetic = syntheticDataset({ size: 8, train: 256, test: SAMPLES });
const datasetFile = join(dir, 'synthetic.bin');
writeFileSync(datasetFile, encodeDataset(synthetic));

/** The class each held-out image of the study gets from the TensorFlow.js model with nothing removed. */
function predictions(model: TfModel): number[] {
  const batch = makeBatch(synthetic, synthetic.test, spreadIndices(synthetic.test.count, SAMPLES), checkDataFits(model.graph, synthetic));
  const classes = tf.tidy(() => tf.argMax(model.forward(batch.x, { training: false }).logits, -1));
  const out = Array.from(classes.dataSync());
  tf.dispose([classes, batch.x, batch.y]);
  return out;
}

/** What both engines measured on one model's weights, and what the TensorFlow.js model predicts unlesioned. */
interface Studies {
  torch: LesionResult;
  tfjs: LesionResult;
  predicted: number[];
  losses: [number, number];
}

/**
 * Trains `text`'s model `steps` Adam steps in TensorFlow.js, starts both engines from those weights (one SGD step of
 * lr 0, the runner kept alive with its final weights) and runs the lesion study on each.
 */
async function studyBoth(text: string, steps: number): Promise<Studies> {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const graph = analysis.models[0];
  await useNodeBackend('cpu');
  const trainer = new TrainingEngine({ graph, dataset: synthetic, config: { batch: 16, optimizer: 'adam', lr: 0.01, seed: SEED }, maxSteps: steps, statsInterval: 0, nextFrame: immediate, keepModel: true });
  await trainer.run();
  const trained = Object.fromEntries(Object.entries(await trainer.currentModel!.exportWeights()).map(([name, w]) => [name, w.values]));
  trainer.releaseModel();
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0, seed: SEED }, maxSteps: 1, statsInterval: 0, evalSamples: SAMPLES, evalsPerEpoch: 1, initialWeights: trained };
  const both = await runBothEngines({ analysis, graph, datasetFile, dataset: synthetic, settings, keep: true });
  const { run, log } = both.torch;
  try {
    assert.equal(both.torch.result.reason, 'done');
    run.experiment({ command: 'lesion', samples: SAMPLES, draws: 3, seed: 1 });
    const answer = await log.next((e) => e.type === 'lesion' || e.type === 'lesion-failed' || e.type === 'error');
    assert.ok(answer.type === 'lesion', JSON.stringify(answer));
    const model = both.tfjs.engine.currentModel!;
    const tfjs = await runLesionStudy(model, synthetic, checkDataFits(graph, synthetic), { samples: SAMPLES, draws: 3, seed: 1, nextFrame: immediate });
    return { torch: answer.result, tfjs, predicted: predictions(model), losses: [firstProgress(log).loss, firstProgress(both.tfjs.log).loss] };
  } finally {
    both.tfjs.engine.releaseModel();
    run.quit();
    await run.exited;
  }
}

/** Both engines' studies agree on every figure (accuracies are counts of the 48 images: equal, not close). */
function assertSameStudy({ torch, tfjs }: Studies): void {
  assert.equal(torch.complete, true);
  assert.deepEqual(
    { baseline: torch.baseline, singles: torch.singles, removed: torch.removed, evaluations: torch.evaluations, samples: torch.samples, chance: torch.chance, chanceBasis: torch.chanceBasis },
    { baseline: tfjs.baseline, singles: tfjs.singles, removed: tfjs.removed, evaluations: tfjs.evaluations, samples: tfjs.samples, chance: tfjs.chance, chanceBasis: tfjs.chanceBasis },
  );
}

// Two outer residual blocks, each branch ending in an inner residual block's add, and a squeeze-and-excitation
// block whose branch ends in a mul; no batch norm, so the step of lr 0 leaves every value as it was.
const NESTED = `block inner() {
  r: conv(4, 3, pad=1) -> relu -> conv(4, 3, pad=1)
  add(r, in)
}
block outer() {
  r: conv(4, 3, pad=1) -> relu -> inner()
  add(r, in) -> relu
}
block se(c) {
  gap -> dense(2) -> relu -> dense(c) -> sigmoid
  mul(in, _)
}
block se_res() {
  r: conv(4, 3, pad=1) -> se(4)
  add(r, in) -> relu
}
model nested(8x8x1) {
  conv(4, 3, pad=1) -> relu
  outer()
  outer()
  se_res()
  flatten -> dense(10)
}`;

test('nested residual branches and a squeeze-and-excitation branch: the PyTorch lesion study equals the TensorFlow.js engine’s on the same weights', async () => {
  // Four steps: far enough that the predictions differ across images (about 90% right), not so far that the
  // shortcuts alone carry every prediction (after 15 steps every removal still scored 100%).
  const studies = await studyBoth(NESTED, 4);
  const { torch, predicted, losses } = studies;
  assert.ok(relative(losses[0], losses[1]) < 1e-4, `the same weights give the same loss: PyTorch ${losses[0]}, tfjs ${losses[1]}`);
  // Predictions that differ across images, so that removing a branch can change how many are right.
  assert.ok(new Set(predicted).size >= 3, `classes predicted: ${predicted.join(' ')}`);
  assertSameStudy(studies);
  assert.deepEqual(
    torch.singles.map((s) => [s.label, s.kind]),
    [
      ['outer1/r', 'residual'],
      ['outer1', 'residual'],
      ['outer2/r', 'residual'],
      ['outer2', 'residual'],
      ['se_res1', 'residual'],
    ],
  );
  // 1 + 5 + 4·3 + 1 evaluations.
  assert.equal(torch.evaluations, 19);
  const scores = [torch.baseline, ...torch.singles.map((s) => s.accuracy)];
  assert.ok(new Set(torch.singles.map((s) => s.accuracy)).size >= 2, `removals score differently: ${scores.join(' ')}`);
});

// Two levels of a U-Net (8 → 4 → 2 → 4 → 8) with a classification head: each decoder level concatenates the
// encoder's maps of its size, skip first, which also feed the pooling on.
const UNET = `model unet_cls(8x8x1) {
  enc1: conv(4, 3, pad=1) -> relu
  enc2: maxpool(2) -> conv(4, 3, pad=1) -> relu
  bottleneck: maxpool(2) -> conv(8, 3, pad=1) -> relu
  up2: convtranspose(4, 2, stride=2)
  dec2: concat(enc2, up2) -> conv(4, 3, pad=1) -> relu
  up1: convtranspose(4, 2, stride=2)
  dec1: concat(enc1, up1) -> conv(4, 3, pad=1) -> relu
  flatten -> dense(10)
}`;

test('a U-Net’s skip concatenations: the PyTorch lesion study (skips cut where the concats are read) equals the TensorFlow.js engine’s', async () => {
  const studies = await studyBoth(UNET, 60);
  const { torch, predicted, losses } = studies;
  assert.ok(relative(losses[0], losses[1]) < 1e-4, `the same weights give the same loss: PyTorch ${losses[0]}, tfjs ${losses[1]}`);
  assert.ok(new Set(predicted).size >= 3, `classes predicted: ${predicted.join(' ')}`);
  assertSameStudy(studies);
  assert.deepEqual(
    torch.singles.map((s) => s.kind),
    ['skip-concat', 'skip-concat'],
  );
  const scores = [torch.baseline, ...torch.singles.map((s) => s.accuracy)];
  assert.ok(new Set(torch.singles.map((s) => s.accuracy)).size >= 2, `the two cuts score differently: ${scores.join(' ')}`);
});

test('a study that raises in the runner ends in lesion-failed naming the error, so no one waits for it and the runner stays', () => {
  const script = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(resolve('python'))})
from skipnet_experiments import Experiments
class Split:
    count = 4
class Data:
    test = Split()
    classes = [str(c) for c in range(10)]
    name = "tiny"
class Batches:
    def make(self, split, which):
        return torch.zeros(len(which), 3), torch.zeros(len(which), dtype=torch.long)
def logits_of(x):
    raise RuntimeError("the forward pass failed")
events = []
plan = {"model": "m", "units": [{"node": "a", "label": "a", "kind": "residual", "modules": ["layer"]}], "weights": []}
experiments = Experiments(torch.nn.Linear(3, 10), logits_of, Data(), Batches(), plan, events.append, lambda model, path: model)
experiments.lesion({"samples": 4, "draws": 1, "seed": 1})
print(json.dumps(events))
`;
  const out = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), [{ type: 'lesion-failed', message: 'Lesion study: RuntimeError: the forward pass failed' }]);
});

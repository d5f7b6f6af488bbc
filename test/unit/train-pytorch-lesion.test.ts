/**
 * The PyTorch engine's lesion study (Veit, Wilber & Belongie 2016, §4) against the TensorFlow.js engine's on the
 * same weights, for the branches the runner removes through more than the branch's last module: residual branches
 * that end in another merge (a nested residual block's add, a squeeze-and-excitation mul), whose modules it zeroes
 * together, and U-Net skip concatenations (Ronneberger et al. 2015, §2), whose skip channels it cuts where the
 * concat is read, also on per-pixel labels (mnist_segmentation, where both engines measure against the majority
 * class's share of the pixels). Each model is first trained in TensorFlow.js until its predictions differ across
 * the held-out images, so that a removal can change them; both engines then take one SGD step of lr 0 from those
 * weights (the same loss, the weights unchanged) and study them. A study that raises in the runner answers
 * lesion-failed instead of ending the runner.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../src/core';
import { makeBatch, type ImageDataset } from '../../src/train/data';
import { checkDataFits, segmentationDataset } from '../../src/train/dataset';
import { TrainingEngine } from '../../src/train/engine';
import { runLesionStudy, type LesionResult } from '../../src/train/experiments/lesion';
import type { TfModel } from '../../src/train/model';
import { useNodeBackend } from '../../src/train/nodeBackend';
import { builtinDatasetFile, loadBuiltinDataset } from '../../src/train/nodeData';
import { spreadIndices } from '../../src/train/schedule';
import { encodeDataset, firstProgress, NESTED_BLOCKS, PYTHON, relative, runBothEngines } from './torchHelpers';
import { immediate, syntheticDataset } from './trainHelpers';

const dir = mkdtempSync(join(tmpdir(), 'skipnet-torch-lesion-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 3;
const SAMPLES = 48;
// Class c lights the pixels whose index is c mod 10: a flatten head sees where they are (a global pool would not).
const synthetic = syntheticDataset({ size: 8, train: 256, test: SAMPLES });
const datasetFile = join(dir, 'synthetic.bin');
writeFileSync(datasetFile, encodeDataset(synthetic));

/** The data a study runs on: the set as TensorFlow.js reads it, the file the runner reads, the images studied. */
interface StudyData {
  dataset: ImageDataset;
  file: string;
  samples: number;
}

const SYNTHETIC: StudyData = { dataset: synthetic, file: datasetFile, samples: SAMPLES };

/**
 * What the TensorFlow.js model with nothing removed predicts for each held-out image of the study: its class, or
 * for per-pixel labels its map of classes (one character per pixel).
 */
function predictions(model: TfModel, data: StudyData): string[] {
  const { dataset } = data;
  const batch = makeBatch(dataset, dataset.test, spreadIndices(dataset.test.count, data.samples), checkDataFits(model.graph, dataset));
  const classes = tf.tidy(() => tf.argMax(model.forward(batch.x, { training: false }).logits, -1));
  const values = classes.dataSync();
  tf.dispose([classes, batch.x, batch.y]);
  const perImage = values.length / data.samples;
  return Array.from({ length: data.samples }, (_, i) => Array.from(values.subarray(i * perImage, (i + 1) * perImage), (c) => c.toString(36)).join(''));
}

/** What both engines measured on one model's weights, and what the TensorFlow.js model predicts unlesioned. */
interface Studies {
  torch: LesionResult;
  tfjs: LesionResult;
  predicted: string[];
  losses: [number, number];
}

/**
 * Trains `text`'s model `steps` Adam steps in TensorFlow.js, starts both engines from those weights (one SGD step of
 * lr 0, the runner kept alive with its final weights) and runs the lesion study on each.
 */
async function studyBoth(text: string, steps: number, data: StudyData = SYNTHETIC): Promise<Studies> {
  const { dataset, samples } = data;
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const graph = analysis.models[0];
  await useNodeBackend('cpu');
  const trainer = new TrainingEngine({ graph, dataset, config: { batch: 16, optimizer: 'adam', lr: 0.01, seed: SEED }, maxSteps: steps, statsInterval: 0, nextFrame: immediate, keepModel: true });
  await trainer.run();
  const trained = Object.fromEntries(Object.entries(await trainer.currentModel!.exportWeights()).map(([name, w]) => [name, w.values]));
  trainer.releaseModel();
  const settings = { config: { batch: 8, optimizer: 'sgd' as const, lr: 0, seed: SEED }, maxSteps: 1, statsInterval: 0, evalSamples: samples, evalsPerEpoch: 1, initialWeights: trained };
  const both = await runBothEngines({ analysis, graph, datasetFile: data.file, dataset, settings, keep: true });
  const { run, log } = both.torch;
  try {
    assert.equal(both.torch.result.reason, 'done');
    run.experiment({ command: 'lesion', samples, draws: 3, seed: 1 });
    const answer = await log.next((e) => e.type === 'lesion' || e.type === 'lesion-failed' || e.type === 'error');
    assert.ok(answer.type === 'lesion', JSON.stringify(answer));
    const model = both.tfjs.engine.currentModel!;
    const tfjs = await runLesionStudy(model, dataset, checkDataFits(graph, dataset), { samples, draws: 3, seed: 1, nextFrame: immediate });
    return { torch: answer.result, tfjs, predicted: predictions(model, data), losses: [firstProgress(log).loss, firstProgress(both.tfjs.log).loss] };
  } finally {
    both.tfjs.engine.releaseModel();
    run.quit();
    await run.exited;
  }
}

/** Both engines' studies agree on every figure (accuracies are counts of images or pixels: equal, not close). */
function assertSameStudy({ torch, tfjs }: Studies): void {
  assert.equal(torch.complete, true);
  assert.deepEqual(
    { baseline: torch.baseline, singles: torch.singles, removed: torch.removed, evaluations: torch.evaluations, samples: torch.samples, chance: torch.chance, chanceBasis: torch.chanceBasis },
    { baseline: tfjs.baseline, singles: tfjs.singles, removed: tfjs.removed, evaluations: tfjs.evaluations, samples: tfjs.samples, chance: tfjs.chance, chanceBasis: tfjs.chanceBasis },
  );
}

// Two outer residual blocks, each branch ending in an inner residual block's add, and a squeeze-and-excitation
// block whose branch ends in a mul; no batch norm, so the step of lr 0 leaves every value as it was.
const NESTED = `${NESTED_BLOCKS}model nested(8x8x1) {
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

// One U-Net level on mnist_segmentation (11 classes per pixel, background most of them); no batch norm.
const SEGMENTATION_UNET = `model skip_unet(32x32x1) {
  enc: conv(4, 3, pad=1) -> relu
  down: maxpool(2) -> conv(8, 3, pad=1) -> relu
  up: convtranspose(4, 2, stride=2)
  dec: concat(enc, up) -> conv(4, 3, pad=1) -> relu
  classes: conv(11, 1)
  train { dataset: mnist_segmentation }
}`;

test('a U-Net on per-pixel labels: both engines score each pixel alike and take the majority class’s share of the pixels as the baseline', async () => {
  const dataset = segmentationDataset(loadBuiltinDataset('mnist'));
  const data: StudyData = { dataset, file: builtinDatasetFile('mnist'), samples: 16 };
  // Three steps: the maps already differ across images and hold more than background.
  const studies = await studyBoth(SEGMENTATION_UNET, 3, data);
  const { torch, predicted, losses } = studies;
  assert.ok(relative(losses[0], losses[1]) < 1e-4, `the same weights give the same loss: PyTorch ${losses[0]}, tfjs ${losses[1]}`);
  // Maps that differ across images, and more than one class in them.
  assert.ok(new Set(predicted).size >= 3, `distinct maps predicted: ${new Set(predicted).size}`);
  assert.ok(new Set(predicted.join('')).size >= 2, `classes predicted: ${[...new Set(predicted.join(''))]}`);
  assertSameStudy(studies);
  // The baseline counted here: background pixels among the 16 held-out images' 32 × 32 targets (the runner counts
  // 11 labels per pixel, one more than the data set's 10 image classes).
  const batch = makeBatch(dataset, dataset.test, spreadIndices(dataset.test.count, 16), checkDataFits(analyze(SEGMENTATION_UNET).models[0], dataset));
  const background = (await tf.sum(tf.slice(batch.y, [0, 0, 0, 0], [-1, -1, -1, 1])).array()) as number;
  tf.dispose([batch.x, batch.y]);
  assert.equal(torch.chanceBasis, 'majority');
  assert.equal(torch.chance, background / (16 * 32 * 32));
  assert.ok(torch.chance > 0.8, `background is most pixels: ${torch.chance}`);
  assert.deepEqual(torch.singles.map((s) => s.kind), ['skip-concat']);
  assert.notEqual(torch.singles[0].accuracy, torch.baseline, 'cutting the skip changes the pixels predicted');
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

/**
 * The PyTorch export of every example and of every model in the docs (README.md, docs/language.md), and of
 * padding written every way a block parameter can pass it: each builds and runs one forward and backward pass in
 * PyTorch with the core's counts, names and shapes. One python3 process runs them all.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { exampleNames, readExample, ROOT } from '../support/examples';
import { assertMatchesCore, PYTHON, runInPyTorch, type TorchReport } from '../support/torch';
import { PADDING_CASES } from '../support/paddingCases';

interface Exported {
  /** Where the model comes from: `resnet20.skipnet`, `docs/language.md: resnet20`, or a padding case's title. */
  where: string;
  model: ModelGraph;
  code: string;
  className: string;
  batch?: number;
}

/** Exports every model of `text`, which must analyse without errors. */
function exportAll(text: string, where: string): Exported[] {
  const analysis = analyze(text);
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], where);
  return analysis.models.map((model) => {
    const result = exportPyTorch(analysis, model, where);
    assert.ok(result.ok, `${where}: ${JSON.stringify(!result.ok && result.problems)}`);
    return { where: analysis.models.length > 1 ? `${where}: ${model.name}` : where, model, code: result.code, className: result.className };
  });
}

/** Every ```skipnet snippet of a Markdown file that declares a model and passes the analysis. */
function docModels(file: string): Exported[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/```skipnet\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((snippet) => {
      const analysis = analyze(snippet);
      return analysis.models.length > 0 && analysis.diagnostics.every((d) => d.severity !== 'error');
    })
    .flatMap((snippet) => exportAll(snippet, file));
}

// ImageNet-sized examples run one image (their batch norms still see 7×7 values and more), the others two.
const examples = exampleNames().flatMap((file) => exportAll(readExample(file), file).map((e) => ({ ...e, batch: e.model.inputShape[0] * (e.model.inputShape[1] ?? 1) >= 128 * 128 ? 1 : 2 })));
const docs = [...docModels('README.md'), ...docModels(join('docs', 'language.md'))];
const padding = PADDING_CASES.flatMap((c) => exportAll(c.text, c.title));
let reports: TorchReport[] | undefined;
/** PyTorch's reports for examples, docs and padding cases, in that order, from one python3 process run on first use. */
function torchReports(): TorchReport[] {
  try {
    reports ??= runInPyTorch([...examples, ...docs, ...padding]);
  } catch (error) {
    assert.fail(`PyTorch reference failed (needs Debian python3-torch: apt-get install -y python3-torch; .ci/run installs it): ${(error as Error).message}`);
  }
  return reports;
}

describe('PyTorch export', () => {
  it('writes readable code: one class per block, names from the source, only torch imported', () => {
    const densenet = examples.find((e) => e.where === 'densenet121.skipnet')!;
    assert.deepEqual([...densenet.code.matchAll(/^class (\w+)\(nn\.Module\):/gm)].map((m) => m[1]), ['ZeroPad', 'GlobalAvgPool', 'Denselayer', 'Denseblock', 'Transition', 'Densenet121']);
    assert.match(densenet.code, /^ {8}self\.conv0 = nn\.Conv2d\(in_shape\[0\], 64, 7, stride=2, padding=3, bias=False\)$/m);
    assert.match(densenet.code, /^ {8}concat1 = torch\.cat\(\[x, conv2\], dim=1\)$/m);
    assert.match(densenet.code, /self\.add_module\(f"denselayer\{i \+ 1\}", Denselayer\(s_h, k\)\)/);
    assert.deepEqual([...densenet.code.matchAll(/^(?:import|from) (\S+)/gm)].map((m) => m[1]), ['math', 'torch', 'torch.nn.functional', 'torch']);
  });

  it("every example runs forward and backward in PyTorch with SkipNet's counts, names and every layer's shape", () => {
    assert.equal(examples.length, exampleNames().length);
    const all = torchReports();
    examples.forEach((e, i) => assertMatchesCore(e.model, all[i], e.where));
    const resnet50 = examples.findIndex((e) => e.where === 'resnet50.skipnet');
    assert.equal(all[resnet50].params, 25_557_032);
    // torchvision 0.14's vit_b_16 counts 86,567,656 (test/unit/sequence.test.ts checks the summary's figure).
    const vit = examples.findIndex((e) => e.where === 'vit_b_16.skipnet');
    assert.equal(all[vit].params, 86_567_656);
  });

  it("every model in README.md and docs/language.md runs forward and backward in PyTorch with SkipNet's counts, names and shapes", () => {
    const names = docs.map((d) => d.model.name);
    assert.ok(names.includes('resnet20') && names.includes('inception_part'), names.join(', '));
    const all = torchReports();
    docs.forEach((d, i) => assertMatchesCore(d.model, all[examples.length + i], d.where));
    const resnet20 = docs.findIndex((d) => d.model.name === 'resnet20');
    assert.equal(all[examples.length + resnet20].params, 269_722);
  });

  it('padding from block parameters, whatever Python type each call gives it, builds and runs as the core computes', () => {
    const all = torchReports();
    const offset = examples.length + docs.length;
    padding.forEach((p, i) => assertMatchesCore(p.model, all[offset + i], `${p.where}\n${PADDING_CASES[i].text}`));
    for (const [i, c] of PADDING_CASES.entries()) {
      for (const line of c.code) assert.ok(padding[i].code.includes(line), `${c.title}: the export writes ${line}\n${padding[i].code}`);
      const model = padding[i].model;
      assert.deepEqual(Object.fromEntries(Object.keys(c.shapes).map((id) => [id, model.nodeById.get(id)?.shape])), c.shapes, c.title);
    }
  });
});

describe('PyTorch export under DistributedDataParallel', () => {
  it('an exported model trains under DDP unchanged (gloo, one process)', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const analysis = analyze(readExample('mnist_resnet.skipnet'));
    const result = exportPyTorch(analysis, analysis.models[0], 'mnist_resnet.skipnet');
    assert.ok(result.ok);
    const path = join(mkdtempSync(join(tmpdir(), 'skipnet-ddp-')), 'mnist_resnet.py');
    writeFileSync(path, result.code);
    const stdout = execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'ddp_step.py'), path, result.className, String(port)], { encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(stdout) as { losses: number[]; allGradients: boolean };
    assert.equal(report.losses.length, 2);
    assert.ok(report.losses.every(Number.isFinite));
    assert.equal(report.allGradients, true);
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze, type ModelGraph } from '../../src/core';
import { exportPyTorch } from '../../src/export/pytorch';
import { exampleNames, readExample, ROOT } from '../support/examples';

/** Debian's python3 with python3-torch (PyTorch 1.13), installed by .ci/run. */
const PYTHON = '/usr/bin/python3';

interface TorchReport {
  params: number;
  buffers: number;
  output: number[];
  shapes: Record<string, number[]>;
}

/** SkipNet H×W×C (or N) → PyTorch's C×H×W (or N). */
function torchShape(shape: number[]): number[] {
  return shape.length === 3 ? [shape[2], shape[0], shape[1]] : shape;
}

/** The SkipNet shape PyTorch's module `path` should produce: a node, or a block instance's output. */
function expectedShape(model: ModelGraph, path: string): number[] | undefined {
  const id = path.replace(/\./g, '/');
  const node = model.nodeById.get(id);
  if (node?.shape) return torchShape(node.shape);
  const group = model.groupById.get(id);
  const output = group?.output ? model.nodeById.get(group.output) : undefined;
  return output?.shape ? torchShape(output.shape) : undefined;
}

describe('PyTorch export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-export-'));
  const exported = exampleNames().map((file) => {
    const analysis = analyze(readExample(file));
    const model = analysis.models[0];
    const result = exportPyTorch(analysis, model, file);
    assert.ok(result.ok, `${file}: ${JSON.stringify(!result.ok && result.problems)}`);
    const path = join(dir, file.replace('.skipnet', '.py'));
    writeFileSync(path, result.code);
    return { file, model, path, className: result.className, code: result.code };
  });

  it('writes readable code: one class per block, names from the source, only torch imported', () => {
    const densenet = exported.find((e) => e.file === 'densenet121.skipnet')!;
    assert.deepEqual([...densenet.code.matchAll(/^class (\w+)\(nn\.Module\):/gm)].map((m) => m[1]), ['ZeroPad', 'GlobalAvgPool', 'Denselayer', 'Denseblock', 'Transition', 'Densenet121']);
    assert.match(densenet.code, /^ {8}self\.conv0 = nn\.Conv2d\(in_shape\[0\], 64, 7, stride=2, padding=3, bias=False\)$/m);
    assert.match(densenet.code, /^ {8}concat1 = torch\.cat\(\[x, conv2\], dim=1\)$/m);
    assert.match(densenet.code, /self\.add_module\(f"denselayer\{i \+ 1\}", Denselayer\(s_h, k\)\)/);
    assert.deepEqual([...densenet.code.matchAll(/^(?:import|from) (\S+)/gm)].map((m) => m[1]), ['math', 'torch', 'torch.nn.functional', 'torch']);
  });

  it("every example's export has SkipNet's parameter count and every named layer's shape in PyTorch", () => {
    let report: TorchReport[];
    try {
      const stdout = execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'check_export.py'), ...exported.map((e) => `${e.path}:${e.className}`)], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      });
      report = JSON.parse(stdout);
    } catch (error) {
      assert.fail(`PyTorch reference failed (needs Debian python3-torch: apt-get install -y python3-torch; .ci/run installs it): ${(error as Error).message}`);
    }
    exported.forEach(({ file, model }, i) => {
      const torch = report[i];
      assert.equal(BigInt(torch.params), model.totals.params, `${file}: parameters`);
      assert.equal(BigInt(torch.buffers), model.totals.buffers, `${file}: BN running statistics`);
      assert.deepEqual(torch.output, torchShape(model.nodeById.get(model.output)!.shape!), `${file}: output`);
      let matched = 0;
      for (const [path, shape] of Object.entries(torch.shapes)) {
        const expected = expectedShape(model, path);
        if (!expected) continue;
        assert.deepEqual(shape, expected, `${file}: ${path}`);
        matched++;
      }
      // Every node and block instance that PyTorch names the same way is compared; that must be nearly all of them.
      const comparable = model.nodes.filter((n) => !['input', 'add', 'concat'].includes(n.kind)).length + model.groups.length;
      assert.ok(matched >= comparable * 0.95, `${file}: compared ${matched} of ${comparable} layers and blocks`);
    });
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

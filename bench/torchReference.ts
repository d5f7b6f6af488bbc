// Shared by the training benchmarks: the PyTorch CPU reference (bench/train_torch.py, Debian python3-torch)
// and the small DenseNet-BC they measure next to ResNet-20.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelGraph } from '../src/core';
import { graphSpec } from '../src/train/spec';

export const DENSENET_BC = `
block bottleneck(k) {
  bn -> relu -> conv(4 * k, 1, bias=false) -> bn -> relu -> conv(k, 3, pad=1, bias=false)
  concat(in, _)
}
block transition(theta=0.5) {
  bn -> relu -> conv(floor(theta * channels), 1, bias=false) -> avgpool(2)
}
model densenet_bc40(32x32x3) {
  conv(24, 3, pad=1, bias=false)
  block1: repeat 6 bottleneck(12)
  transition()
  block2: repeat 6 bottleneck(12)
  transition()
  block3: repeat 6 bottleneck(12)
  bn -> relu -> gap -> dense(10)
}`;

/** PyTorch CPU training images/s for `graph` at `batch` with `threads` threads, or why it failed. */
export function torchImagesPerSecond(graph: ModelGraph, weights: unknown, batch: number, threads: number): number | string {
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-bench-'));
  try {
    const spec = { nodes: graphSpec(graph), weights, logits: graph.output, input_shape: graph.inputShape, batch, warmup: 3, steps: 10, threads };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    const run = spawnSync('/usr/bin/python3', ['bench/train_torch.py', join(dir, 'spec.json')], { encoding: 'utf8' });
    if (run.status !== 0) return `PyTorch failed: ${run.stderr.trim().split('\n').at(-1)}`;
    return (JSON.parse(run.stdout) as { images_per_second: number }).images_per_second;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { adaptInputs, makeBatch, type ImageDataset, type InputAdapter } from '../../src/train/data';
import { encodeDataset, PYTHON } from './torchHelpers';
import { useNodeBackend } from '../../src/train/nodeBackend';

// The cpu backend, chosen before any tensor: the shared helpers load the engine, which registers wasm too (first in priority).
before(() => useNodeBackend('cpu'));

// The PyTorch runner's per-step pieces against their definitions: a batch (python/skipnet_data.py's Batches)
// equals the TensorFlow.js engine's makeBatch to the bit for every input adapter (as is, padded and repeated to
// 3 channels, flattened), and the gradient check (skipnet_train.gradient_check) is 0 exactly when every
// gradient is finite, with no overflow for finite values near float32's largest.

const ROOT = join(__dirname, '..', '..');

function dataset(height: number, width: number, channels: number, count: number): ImageDataset {
  // Every byte value 0…255 occurs (the table lookup has no gaps to hide in), in an order that is not a ramp.
  const split = (n: number, shift: number) => ({
    count: n,
    labels: Uint8Array.from({ length: n }, (_, i) => (i * 7 + shift) % 10),
    pixels: Uint8Array.from({ length: n * height * width * channels }, (_, i) => (i * 37 + shift) % 256),
  });
  return { name: 'bytes', height, width, channels, classes: Array.from({ length: 10 }, (_, i) => `c${i}`), train: split(count, 3), test: split(4, 5) };
}

/** What the runner builds from `indices`: x as float32 bytes in NHWC order (base64) and its labels. */
function runnerBatch(file: string, adapter: InputAdapter, indices: number[]): { x: string; shape: number[]; labels: number[] } {
  const [height, width, channels] = adapter.flatten ? [0, 0, 0] : adapter.modelShape;
  const config = { flatten: adapter.flatten, height, width, channels, padTop: adapter.padTop, padLeft: adapter.padLeft, mean: adapter.mean, std: adapter.std };
  const script = [
    'import base64, json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'import torch',
    'from skipnet_data import Batches, read_dataset',
    'spec = json.loads(sys.stdin.read())',
    'data = read_dataset(spec["file"])',
    'x, y = Batches(data, spec["adapter"], torch.device("cpu")).make(data.train, spec["indices"])',
    'assert x.dtype == torch.float32 and x.is_contiguous() and y.dtype == torch.int64',
    'nhwc = x if x.dim() == 2 else x.permute(0, 2, 3, 1).contiguous()',
    'print(json.dumps({"x": base64.b64encode(nhwc.numpy().tobytes()).decode(), "shape": list(x.shape), "labels": y.tolist()}))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, join(ROOT, 'python')], { input: JSON.stringify({ file, adapter: config, indices }), encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }));
}

test('a runner batch equals the TensorFlow.js engine batch to the bit: as is, padded and repeated to 3 channels, flattened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skipnet-batches-'));
  try {
    const cases: { data: ImageDataset; shape: number[]; nchw: number[] }[] = [
      { data: dataset(6, 5, 1, 12), shape: [6, 5, 1], nchw: [4, 1, 6, 5] },
      { data: dataset(6, 5, 1, 12), shape: [9, 8, 3], nchw: [4, 3, 9, 8] },
      { data: dataset(4, 4, 3, 12), shape: [7, 6, 3], nchw: [4, 3, 7, 6] },
      { data: dataset(4, 3, 2, 12), shape: [24], nchw: [4, 24] },
    ];
    const indices = [11, 0, 7, 3];
    cases.forEach(({ data, shape, nchw }, k) => {
      const file = join(dir, `data${k}.bin`);
      writeFileSync(file, encodeDataset(data));
      const adapter = adaptInputs(data, shape);
      const theirs = runnerBatch(file, adapter, indices);
      const ours = makeBatch(data, data.train, indices, adapter);
      const values = ours.x.dataSync() as Float32Array;
      ours.x.dispose();
      ours.y.dispose();
      assert.deepEqual(theirs.shape, nchw, `case ${k}: the runner's layout`);
      assert.deepEqual(theirs.labels, Array.from(ours.labels), `case ${k}: labels`);
      const bytes = Buffer.from(theirs.x, 'base64');
      assert.equal(bytes.length, values.length * 4, `case ${k}: size`);
      assert.ok(Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(bytes), `case ${k}: every float32's bits`);
      if (adapter.padTop > 0) {
        // The padding is the normalised black, (0 − mean) / std rounded once to float32.
        assert.equal(new Float32Array(bytes.buffer, bytes.byteOffset, 1)[0], Math.fround((0 - adapter.mean) / adapter.std), `case ${k}: padding`);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the gradient check is 0 when every gradient is finite, even near float32\'s largest, and NaN for any NaN or infinity', () => {
  const script = [
    'import json, math, sys',
    'sys.path.insert(0, sys.argv[1])',
    'import torch',
    'from skipnet_train import gradient_check',
    'f = lambda *values: torch.tensor(values, dtype=torch.float32)',
    'like = torch.zeros((), dtype=torch.float32)',
    'cases = {',
    '  "finite": [f(1.5, -2.0), f(0.0)],',
    '  "largest": [f(3.4e38, -3.4e38), f(3.4e38)],',
    '  "nan": [f(1.0), f(2.0, float("nan"))],',
    '  "inf": [f(float("-inf"), 1.0), f(0.0)],',
    '  "none": [],',
    '}',
    'out = {name: gradient_check(torch, grads, like).item() for name, grads in cases.items()}',
    'print(json.dumps({k: (v if math.isfinite(v) else str(v)) for k, v in out.items()}))',
  ].join('\n');
  const result = JSON.parse(execFileSync(PYTHON, ['-c', script, join(ROOT, 'python')], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }));
  assert.deepEqual(result, { finite: 0, largest: 0, nan: 'nan', inf: 'nan', none: 0 });
});

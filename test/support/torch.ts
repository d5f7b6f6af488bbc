/**
 * Exported models checked in PyTorch: runs test/reference/check_generated.py (Debian's python3-torch, PyTorch
 * 1.13) on a batch of exports in one process, and compares what PyTorch reports with the core's analysis —
 * parameter and buffer counts, the output shape, the exact set of submodule names and each one's output shape.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { LAYERS, resolvePadding, type ModelGraph } from '../../src/core';
import type { AxisPair } from '../../src/core/layers';
import type { Value } from '../../src/core/values';
import { attributeName } from '../../src/export/python';
import { ROOT } from './examples';

/** Debian's python3 with python3-torch (PyTorch 1.13), installed by .ci/run. */
export const PYTHON = '/usr/bin/python3';

/** What check_generated.py reports for one export (see its docstring). */
export interface TorchReport {
  error?: string;
  params: number;
  buffers: number;
  output: number[];
  /** Output shape (batch axis dropped) of every named submodule that ran, by dotted path. */
  shapes: Record<string, number[]>;
  modules: string[];
  /** Class name of every named submodule, by dotted path. */
  types: Record<string, string>;
  /** Whether every input the model reads and every parameter got a finite gradient from a forward and backward pass in train mode. */
  grads: boolean;
  /** Positions of the inputs that got no gradient at all: the output does not depend on them. */
  unusedInputs: number[];
}

/** One export to build and run: its source and the model class to instantiate. */
export interface TorchCase {
  code: string;
  className: string;
  /** Images in the batch (default 2; 1 halves the time of an ImageNet-sized model, and batch norm still sees H×W values). */
  batch?: number;
}

/**
 * Builds and runs every export in one python3 process (forward and backward at the case's batch, train mode,
 * one thread): one report per case, in order. Throws with python's stderr when the process itself fails.
 */
export function runInPyTorch(cases: TorchCase[], timeoutMs = 600_000): TorchReport[] {
  const stdout = execFileSync(PYTHON, [join(ROOT, 'test', 'reference', 'check_generated.py')], {
    input: JSON.stringify(cases.map((c) => ({ code: c.code, className: c.className, batch: c.batch ?? 2 }))),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
  });
  const reports = JSON.parse(stdout) as TorchReport[];
  assert.equal(reports.length, cases.length, 'one PyTorch report per export');
  return reports;
}

/** SkipNet H×W×C (or N) → PyTorch's C×H×W (or N). */
export const torchShape = (shape: number[]): number[] => (shape.length === 3 ? [shape[2], shape[0], shape[1]] : shape);

/** The PyTorch module path of a SkipNet node or block-instance id (`stage1/conv2` → `stage1.conv2`). */
export const torchPath = (id: string): string => id.split('/').map(attributeName).join('.');

/** Every module PyTorch should have, with the shape of its output (undefined for a labelled repeat's copy: a container). */
export function expectedModules(model: ModelGraph): Map<string, number[] | undefined> {
  const expected = new Map<string, number[] | undefined>();
  // Merges (add, concat, mul, gate) are expressions in forward(), not submodules.
  for (const node of model.nodes) {
    // A tied (shared) layer or block is one module called again: PyTorch names it once, where it was made.
    if (node.kind === 'input' || node.sharedWith !== null || LAYERS.get(node.kind)?.merge === true) continue;
    expected.set(torchPath(node.id), torchShape(node.shape!));
    // Patchify holds its convolution (C, H/p, W/p); nn.MultiheadAttention its out_proj, whose weights it reads
    // without calling it (so no shape).
    const input = model.nodeById.get(node.inputs[0])?.shape;
    const patch = typeof node.args.patch === 'number' ? node.args.patch : 1;
    if (node.kind === 'patchify' && input) expected.set(`${torchPath(node.id)}.proj`, [node.shape![1], input[0] / patch, input[1] / patch]);
    if (node.kind === 'attention') expected.set(`${torchPath(node.id)}.out_proj`, undefined);
  }
  // The no-skip ablation prunes whole calls (a dropped Inception branch, a Siamese twin): their groups stay in the
  // graph with no node inside, and the export leaves them out.
  const ablated = model.nodes.some((n) => n.args.removedSkip !== undefined);
  const live = new Set<string>();
  const groupById = new Map(model.groups.map((g) => [g.id, g]));
  for (const node of model.nodes) for (let id = node.group; id && !live.has(id); id = groupById.get(id)?.parent ?? null) live.add(id);
  for (const group of model.groups) {
    // The group of `label: repeat N stmt` only gathers its copies in the drawing: no module bears its name.
    if (group.copies || group.sharedWith !== null || (ablated && !live.has(group.id))) continue;
    const output = group.output ? model.nodeById.get(group.output)?.shape : undefined;
    expected.set(torchPath(group.id), group.block === 'repeat' || !output ? undefined : torchShape(output));
  }
  return expected;
}

const pair = (value: Value | undefined, fallback: AxisPair): AxisPair =>
  typeof value === 'number' ? [value, value] : typeof value === 'object' && 'dims' in value ? [value.dims[0], value.dims[1]] : fallback;

/**
 * Asserts that PyTorch's view of an export is the core's: no error, the parameter and buffer counts, the output
 * shape, finite gradients, exactly the core's node and block-instance names, and each one's output shape. A pool
 * exported as an explicit pad before the pool (`nn.Sequential(nn.ConstantPad2d, nn.MaxPool2d)`, for `same` and
 * padding from block arguments) has just those two children, and the pad's output is the input grown by the
 * core's padding on each axis.
 */
export function assertMatchesCore(model: ModelGraph, torch: TorchReport, where: string): void {
  assert.equal(torch.error, undefined, `${where}\n${torch.error}`);
  assert.equal(BigInt(torch.params), model.totals.params, `${where} parameters`);
  assert.equal(BigInt(torch.buffers), model.totals.buffers, `${where} BN buffers`);
  assert.deepEqual(torch.output, torchShape(model.nodeById.get(model.output)!.shape!), `${where} output`);
  assert.equal(torch.grads, true, `${where} every parameter gets a finite gradient`);
  // Only the no-skip ablation of a model with several inputs can leave one unread (a Siamese pair's twin).
  const read = new Set(model.nodes.flatMap((n) => n.inputs));
  const unread = model.inputs.flatMap((id, i) => (read.has(id) || id === model.output ? [] : [i]));
  assert.deepEqual(torch.unusedInputs, unread, `${where} inputs without a gradient`);
  const expected = expectedModules(model);
  for (const node of model.nodes) {
    if (node.kind !== 'maxpool' && node.kind !== 'avgpool') continue;
    const path = torchPath(node.id);
    if (!torch.modules.includes(`${path}.0`)) continue;
    const input = model.nodeById.get(node.inputs[0])!.shape!;
    const kernel = pair(node.args.kernel, [1, 1]);
    const resolved = resolvePadding(node.args.pad, kernel, pair(node.args.stride, kernel));
    assert.ok(resolved.ok, `${where} ${node.id}: padding`);
    const { top, bottom, left, right } = resolved.padding;
    assert.equal(torch.types[`${path}.0`], 'ConstantPad2d', `${where} ${path}.0`);
    assert.equal(torch.types[`${path}.1`], node.kind === 'maxpool' ? 'MaxPool2d' : 'AvgPool2d', `${where} ${path}.1`);
    expected.set(`${path}.0`, [input[2], input[0] + top + bottom, input[1] + left + right]);
    expected.set(`${path}.1`, torchShape(node.shape!));
  }
  assert.deepEqual([...torch.modules].sort(), [...expected.keys()].sort(), `${where} module names`);
  for (const [path, shape] of expected) if (shape) assert.deepEqual(torch.shapes[path], shape, `${where} shape of ${path}`);
}

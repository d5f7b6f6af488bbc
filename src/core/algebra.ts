import type { GraphNode, ModelGraph } from './graph';
import { WEIGHTED_KINDS } from './paths';

/**
 * The two merge rules written as one algebra, so a view can draw them in the same target × source form:
 *
 * - DenseNet (Huang et al. 2017, section 3, eq. 2): layer ℓ reads [X_0, X_1, …, X_{ℓ-1}], so its first
 *   convolution is f_ℓ = Σ_s H_ℓ^s * X_s, one kernel slice per source s (the training engine measures
 *   ‖H_ℓ^s * X_s‖, see src/train/stats.ts).
 * - ResNet with identity shortcuts (He et al. 2016, "Identity Mappings in Deep Residual Networks",
 *   section 2, eq. 4): x_L = x_0 + Σ_{i<L} F_i(x_i), so block ℓ reads H_ℓ * (x_0 + F_0 + … + F_{ℓ-1}).
 *   With a ReLU after each add (the original ResNet, He et al. 2015) x_{i+1} = relu(x_i + F_i) and the
 *   sum is only approximate: `ResidualStage.approximate` says so.
 */

/** A run of residual blocks joined by identity shortcuts: one stage of a ResNet between two downsamplings. */
export interface ResidualStage {
  /** The adds of the stage's blocks, in order (block i's add sums x_i and F_i(x_i)). */
  adds: string[];
  /** Node whose output is x_0, the stream entering the stage's first block. */
  input: string;
  /** residuals[i]: the node whose output is F_i(x_i), the residual input of adds[i]. */
  residuals: string[];
  /** True when a layer (a ReLU) sits between one add and the next block's shortcut: the sum x_0 + Σ F_i is then approximate. */
  approximate: boolean;
}

/** Kinds that keep a tensor's shape and may follow an add before the next block forks. */
const POST_ADD = new Set(['relu', 'leakyrelu', 'gelu', 'sigmoid', 'tanh', 'dropout', 'identity']);
/** Kinds a shortcut may hold and still be the identity, when the shape comes through unchanged (a stride-1 zeropad to the same width). */
const SHORTCUT = new Set(['zeropad', 'identity', 'dropout']);

const sameShape = (a: GraphNode | undefined, b: GraphNode | undefined): boolean =>
  !!a?.shape && !!b?.shape && a.shape.length === b.shape.length && a.shape.every((v, i) => v === b.shape![i]);

/**
 * Identity-shortcut residual stages of a model, in graph order. An add joins a stage when it has two
 * inputs and one of them is its block's input passed through unchanged (no weighted layer, same shape);
 * consecutive adds form one stage when the later block's input is the earlier add's output, directly or
 * through shape-keeping activations. A projection or zero-padded downsampling shortcut ends a stage.
 * Pure; models without such adds give [].
 */
export function residualStages(model: ModelGraph): ResidualStage[] {
  const stages: ResidualStage[] = [];
  const stageOf = new Map<string, ResidualStage>();
  for (const node of model.nodes) {
    if (node.kind !== 'add' || node.inputs.length !== 2) continue;
    const found = identityInput(model, node);
    if (!found) continue;
    const { fork, residual } = found;
    // Walk back from the fork over shape-keeping activations to an earlier add of a stage.
    let current = model.nodeById.get(fork);
    let steps = 0;
    while (current && POST_ADD.has(current.kind) && current.inputs.length === 1) {
      current = model.nodeById.get(current.inputs[0]);
      steps++;
    }
    const previous = current && current.kind === 'add' ? stageOf.get(current.id) : undefined;
    if (previous && previous.adds[previous.adds.length - 1] === current!.id) {
      previous.adds.push(node.id);
      previous.residuals.push(residual);
      if (steps > 0) previous.approximate = true;
      stageOf.set(node.id, previous);
    } else {
      const stage: ResidualStage = { adds: [node.id], input: fork, residuals: [residual], approximate: false };
      stages.push(stage);
      stageOf.set(node.id, stage);
    }
  }
  return stages;
}

/** The fork an add's shortcut comes from unchanged, and the add's other (residual) input; undefined when neither input is an identity shortcut. */
function identityInput(model: ModelGraph, add: GraphNode): { fork: string; residual: string } | undefined {
  for (const [index, input] of add.inputs.entries()) {
    const other = add.inputs[1 - index];
    let current = model.nodeById.get(input);
    const start = current;
    while (current && SHORTCUT.has(current.kind) && current.inputs.length === 1) current = model.nodeById.get(current.inputs[0]);
    if (!current || WEIGHTED_KINDS.has(current.kind) || !sameShape(current, start)) continue;
    // The other branch must start from the same tensor: walk it back to `current`.
    let branch = model.nodeById.get(other);
    while (branch && branch.id !== current.id && branch.inputs.length === 1) branch = model.nodeById.get(branch.inputs[0]);
    if (branch?.id === current.id && other !== current.id) return { fork: current.id, residual: other };
  }
  return undefined;
}

/**
 * Shares of the stream after each add of a stage: row i is x_{i+1} = x_0 + F_0 + … + F_i, column 0 is x_0
 * and column j + 1 is F_j; a cell is that term's norm over the sum of the row's norms
 * (‖F_j‖ / (‖x_0‖ + Σ_{k≤i} ‖F_k‖)), null above the diagonal (block i has not seen F_j for j > i).
 * Norms are non-negative numbers in any one unit (the engine's per-sample L2 norms).
 * A row whose norms are all 0 gives 0 shares.
 * @throws RangeError when a norm is negative or not finite.
 */
export function residualShares(inputNorm: number, residualNorms: readonly number[]): (number | null)[][] {
  for (const v of [inputNorm, ...residualNorms]) if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`a norm must be a finite number ≥ 0, not ${v}`);
  const rows: (number | null)[][] = [];
  let total = inputNorm;
  for (let i = 0; i < residualNorms.length; i++) {
    total += residualNorms[i];
    const terms = [inputNorm, ...residualNorms.slice(0, i + 1)];
    rows.push([...terms.map((t) => (total > 0 ? t / total : 0)), ...new Array<null>(residualNorms.length - i - 1).fill(null)]);
  }
  return rows;
}

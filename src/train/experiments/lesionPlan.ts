import type { GraphNode, ModelGraph } from '../../core';
import { pluralize } from '../../core/format';
import { TrainError } from '../errors';
import { SeededRandom } from '../rng';

/**
 * The plan of a lesion study (Veit, Wilber & Belongie 2016, Sec. 4): which blocks a model has to remove, the seeded
 * random removals, the cost, and the shapes of the results. No TensorFlow.js here, so a page that only shows the
 * study (the graph and Compare views) can import it; lesion.ts runs it.
 */

/** One removable block: a merge of a branch with a skip, or what is left of it in a no-skip ablation. */
export interface LesionUnit {
  /** The merge node (add, concat; an identity where the ablation removed the skip). */
  node: string;
  /** What tables and charts call it: the block instance holding the merge, or the node id when that is ambiguous. */
  label: string;
  /**
   * residual: an add whose branch is removed (only the shortcut stays); dense: a DenseNet concat of a layer's input
   * with its own new output (Huang et al. 2017, §3), whose new channels become zeros; skip-concat: a skip
   * concatenation joining maps from across the network, such as a U-Net's encoder maps with its decoder's
   * (Ronneberger et al. 2015, §2; the branch between them changes the spatial size), whose skip channels become
   * zeros; plain: a no-skip ablation's block, whose removal leaves no path from input to output.
   */
  kind: 'residual' | 'dense' | 'skip-concat' | 'plain';
  /** Inputs replaced by zeros when the unit is removed (gate keys `edge:ID:INDEX`, see ForwardOptions.gates). */
  edges: string[];
}

/** Accuracy with one unit removed. */
export interface LesionSingle {
  node: string;
  label: string;
  kind: LesionUnit['kind'];
  /** Fraction of the held-out images classified correctly, in [0, 1]. */
  accuracy: number;
}

/** Accuracy with k random units removed, over several draws. */
export interface LesionRemoved {
  k: number;
  /** One accuracy per draw, in draw order. */
  accuracies: number[];
  mean: number;
  /** Sample standard deviation over the draws (0 with one draw). */
  sd: number;
  /** Labels of the units each draw removed. */
  removed: string[][];
}

export interface LesionResult {
  model: string;
  /** Accuracy with nothing removed. */
  baseline: number;
  /**
   * What a model that lost every path scores, in [0, 1] (see `chanceBasis`): 1 / number of classes for one label
   * per image (a balanced held-out split), the majority class's share of the evaluated held-out pixels for one
   * label per pixel (segmentation: predicting background everywhere).
   */
  chance: number;
  /** How `chance` was found: `classes` (1 / number of classes) or `majority` (the most frequent class's share). */
  chanceBasis: ChanceBasis;
  /** Held-out images per evaluation. */
  samples: number;
  draws: number;
  seed: number;
  singles: LesionSingle[];
  removed: LesionRemoved[];
  /** Passes over the held-out images made. */
  evaluations: number;
  /** False when the study was cancelled: the arrays then hold what was measured before. */
  complete: boolean;
}

/** See LesionResult.chance. */
export type ChanceBasis = 'classes' | 'majority';

/** What the tables and charts call each kind of block. */
export const LESION_KIND_NAMES: Readonly<Record<LesionUnit['kind'], string>> = { residual: 'residual', dense: 'dense layer', 'skip-concat': 'skip concatenation', plain: 'plain' };

/**
 * What sentences, chart axes and CLI lines call the units a study removes, per kind (singular, plural): a ResNet
 * loses residual branches (Veit et al. 2016, §4), a DenseNet dense layers (Huang et al. 2017, §3), a U-Net skip
 * concatenations (Ronneberger et al. 2015, §2), a no-skip ablation plain blocks.
 */
export const LESION_UNIT_NOUNS: Readonly<Record<LesionUnit['kind'], readonly [singular: string, plural: string]>> = {
  residual: ['residual branch', 'residual branches'],
  dense: ['dense layer', 'dense layers'],
  'skip-concat': ['skip concatenation', 'skip concatenations'],
  plain: ['plain block', 'plain blocks'],
};

/**
 * The noun for `count` of these units: the kind's own ("residual branch", "dense layers") when every unit is of one
 * kind, "unit" or "units" when the kinds are mixed or there are none.
 */
export function lesionUnitNoun(kinds: readonly LesionUnit['kind'][], count: number): string {
  const distinct = [...new Set(kinds)];
  return distinct.length === 1 ? pluralize(count, ...LESION_UNIT_NOUNS[distinct[0]]) : pluralize(count, 'unit');
}

/**
 * How many units a study removes, named by kind: "9 residual branches", "1 skip concatenation"; mixed kinds count
 * as units with the breakdown in graph order of first appearance, "4 units (3 residual branches, 1 skip
 * concatenation)"; a model with none, "0 units".
 */
export function countLesionUnits(kinds: readonly LesionUnit['kind'][]): string {
  const counts = new Map<LesionUnit['kind'], number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const total = `${kinds.length} ${lesionUnitNoun(kinds, kinds.length)}`;
  if (counts.size < 2) return total;
  return `${total} (${[...counts].map(([kind, n]) => `${n} ${pluralize(n, ...LESION_UNIT_NOUNS[kind])}`).join(', ')})`;
}

/** What the tables and charts call a study's chance level: "chance" or "majority class". */
export function chanceName(basis: ChanceBasis): string {
  return basis === 'majority' ? 'majority class' : 'chance';
}

/**
 * The majority class's share of per-pixel labels, in [0, 1]: `counts[c]` pixels of class c. The accuracy of
 * predicting that class everywhere, the baseline of per-pixel accuracy (background is about 90% of
 * mnist_segmentation's pixels, far above 1 / 11). 0 without pixels.
 */
export function majorityShare(counts: ArrayLike<number>): number {
  let total = 0;
  let most = 0;
  for (let c = 0; c < counts.length; c++) {
    total += counts[c];
    most = Math.max(most, counts[c]);
  }
  return total === 0 ? 0 : most / total;
}

export interface LesionCost {
  units: number;
  /** Passes over the held-out images: 1 (nothing removed) + n (one at a time) + draws per k < n + 1 (all n). */
  evaluations: number;
  /** evaluations × held-out images: forward passes of one image each. */
  images: number;
}

export const DEFAULT_LESION_SAMPLES = 500;
export const DEFAULT_LESION_DRAWS = 5;

/** Longest path from the input, in layers (the core's rule in expand.ts: at a merge the shallowest input is the skip). */
function depths(graph: ModelGraph): Map<string, number> {
  const depth = new Map<string, number>();
  for (const node of graph.nodes) depth.set(node.id, 1 + node.inputs.reduce((deepest, id) => Math.max(deepest, depth.get(id) ?? 0), 0));
  return depth;
}

/**
 * Whether a concat with this branch input joins maps from across the network (a skip concatenation) rather than a
 * layer's input with its own new output (a dense layer): some layer between a skip input and the branch's end
 * has another height and width than that skip (a U-Net's encoder, bottleneck and decoder between its encoder maps
 * and the up-convolution; a dense layer keeps its input's size).
 */
function joinsAcross(graph: ModelGraph, node: GraphNode, branch: number): boolean {
  const between = new Set<string>();
  const stack = [node.inputs[branch]];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (between.has(id)) continue;
    between.add(id);
    stack.push(...(graph.nodeById.get(id)?.inputs ?? []));
  }
  return node.inputs.some((skip, i) => {
    const size = graph.nodeById.get(skip)?.shape;
    if (i === branch || !between.has(skip) || size?.length !== 3) return false;
    // Layers downstream of the skip on the way to the branch's end.
    const after = new Set([skip]);
    for (const n of graph.nodes) {
      if (!between.has(n.id) || n.id === skip || !n.inputs.some((input) => after.has(input))) continue;
      after.add(n.id);
      if (n.shape?.length === 3 && (n.shape[0] !== size[0] || n.shape[1] !== size[1])) return true;
    }
    return false;
  });
}

/** The removable blocks of a model graph, in graph order (see LesionUnit). */
export function lesionUnits(graph: ModelGraph): LesionUnit[] {
  const depth = depths(graph);
  const units: LesionUnit[] = [];
  for (const node of graph.nodes) {
    if ((node.kind === 'add' || node.kind === 'concat') && node.inputs.length >= 2) {
      // The deepest input is the branch (the new feature maps); the core's ablation keeps the same one.
      let branch = 0;
      node.inputs.forEach((id, i) => {
        if ((depth.get(id) ?? 0) > (depth.get(node.inputs[branch]) ?? 0)) branch = i;
      });
      const label = node.group ?? node.id;
      if (node.kind === 'concat' && joinsAcross(graph, node, branch)) {
        // Lesioning a skip concatenation cuts the skip: its channels become zeros, the branch's stay.
        const skips = node.inputs.flatMap((_, i) => (i === branch ? [] : [`edge:${node.id}:${i}`]));
        units.push({ node: node.id, label, kind: 'skip-concat', edges: skips });
      } else units.push({ node: node.id, label, kind: node.kind === 'add' ? 'residual' : 'dense', edges: [`edge:${node.id}:${branch}`] });
    } else if (node.kind === 'identity' && node.args.removedSkip !== undefined) {
      units.push({ node: node.id, label: node.group ?? node.id, kind: 'plain', edges: [`edge:${node.id}:0`] });
    }
  }
  const perLabel = new Map<string, number>();
  for (const unit of units) perLabel.set(unit.label, (perLabel.get(unit.label) ?? 0) + 1);
  for (const unit of units) if (perLabel.get(unit.label)! > 1) unit.label = unit.node;
  return units;
}

/** What a study of `units` blocks costs (see LesionCost). */
export function lesionCost(units: number, draws: number, samples: number): LesionCost {
  const evaluations = units === 0 ? 1 : 1 + units + (units - 1) * draws + 1;
  return { units, evaluations, images: evaluations * samples };
}

/**
 * The random removals: for k = 1…n, `draws` sets of k distinct unit indices (sorted), one set for k = n (there is
 * only one). One seeded stream in that order (a partial Fisher–Yates shuffle per draw), so a seed gives the same sets.
 */
export function drawLesions(units: number, draws: number, seed: number): number[][][] {
  if (!Number.isInteger(draws) || draws < 1) throw new TrainError(`Lesion draws must be a whole number ≥ 1, not ${draws}.`, 'unsupported');
  const random = new SeededRandom(seed);
  const out: number[][][] = [];
  for (let k = 1; k <= units; k++) {
    const sets: number[][] = [];
    for (let d = 0; d < (k === units ? 1 : draws); d++) {
      const pool = Array.from({ length: units }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(random.next() * (units - i));
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      sets.push(pool.slice(0, k).sort((a, b) => a - b));
    }
    out.push(sets);
  }
  return out;
}

/**
 * Why an experiment (lesion study, loss landscape) cannot run on a run that has no weights worth measuring yet, as the
 * user reads it. Here, not with the experiments, so the pages (which hold no TensorFlow.js) can show it too.
 */
export const NO_WEIGHTS_MESSAGE = 'No weights to measure yet: pause the run, or let it finish or stop, then measure.';

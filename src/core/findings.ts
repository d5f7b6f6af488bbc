import { memoryEfficientSaved } from './efficientMemory';
import { formatBytes, formatCount, formatMacs, pluralize } from './format';
import type { GraphNode, ModelGraph } from './graph';
import { savedForBackward, tfjsStepBytes, trainingMemory } from './memory';
import { describePaths, isWeighted, pathCounts, pathsWord, WEIGHTED_KINDS, type PathStatistics } from './paths';
import { stageWidths, type StageWidth } from './width';

/** What a finding speaks of; a view can pick its drawing by topic. */
export type FindingTopic = 'width' | 'parameters' | 'macs' | 'activations' | 'training-memory' | 'efficient-memory' | 'depth' | 'paths' | 'skips' | 'accuracy' | 'gradients';

/** One plain sentence computed from the analysis, with the figures it states and the nodes it is about. */
export interface Finding {
  topic: FindingTopic;
  text: string;
  /** The figures in the sentence, exact: counts and bytes as decimal digits, ratios as in `exactRatio`. */
  values: Record<string, string>;
  /** nodes[i]: ids of nodes of the i-th model (0: `model`, 1: `other`) the sentence is about, for highlighting. */
  nodes: string[][];
}

export interface FindingsOptions {
  /** Names in the sentences; default the models' names, and "NAME without skips" for an ablation of the same model. */
  labels?: [string, string];
  /** Batch of the training-memory figures; default the first model's training batch. */
  batch?: number;
  /** The first model's `pathCounts`, when the caller has it already (it is the costliest figure: polynomial in the depth). */
  paths?: PathStatistics;
}

/**
 * y / x to two decimals, rounded half up, exactly from the counts; "∞" when only x is 0, and
 * "n/a (0 / 0)" when both are: no ratio exists, and "1.00" would claim they scale alike.
 */
export function exactRatio(x: bigint, y: bigint): string {
  if (x === 0n) return y === 0n ? 'n/a (0 / 0)' : '∞';
  const hundredths = (y * 200n + x) / (2n * x);
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

/**
 * Plain sentences about one model, or about a pair (two models, or a model and its no-skip ablation from
 * `withoutSkipConnections`): channel width per stage, parameters, MACs, activation and training memory (with
 * the memory-efficient DenseNet figure where there are concatenations), depth and paths, and for an ablation
 * what removing the skips changed. Pair sentences give "b / a" ratios. Pure and deterministic.
 */
export function findings(model: ModelGraph, other?: ModelGraph, options: FindingsOptions = {}): Finding[] {
  const batch = options.batch ?? model.training.batch;
  if (!other) return single(model, model.name, batch, options.paths);
  const ablation = other.nodes.some((n) => n.args.removedSkip !== undefined);
  const labels = options.labels ?? [model.name, ablation && other.name === model.name ? `${model.name} without skips` : other.name];
  return pair([model, other], labels, batch, ablation);
}

function single(model: ModelGraph, label: string, batch: number, known?: PathStatistics): Finding[] {
  const paths = known ?? pathCounts(model);
  const result = [widthFinding(model, label, 0, 1), depthFinding(model, paths, label, 0, 1), pathsFinding(model, paths, 0, 1)];
  const params = model.totals.params;
  const byKind = (get: (n: GraphNode) => bigint): string =>
    ['conv', 'dense', 'bn']
      .map((kind) => {
        const nodes = model.nodes.filter((n) => n.kind === kind && get(n) > 0n);
        const total = nodes.reduce((s, n) => s + get(n), 0n);
        return nodes.length === 0 ? '' : `${formatCount(total)} in ${nodes.length} ${KIND_WORDS[kind]}${nodes.length === 1 ? '' : 's'}`;
      })
      .filter((part) => part !== '')
      .join(', ');
  const biggest = largest(model, (n) => n.params);
  result.push({
    topic: 'parameters',
    text: `${formatCount(params)} trainable parameters${params > 0n ? `: ${byKind((n) => n.params)}` : ''}${biggest ? `; the largest layer, ${biggest.text}, holds ${formatCount(biggest.value)} (${percent(biggest.value, params)})` : ''}.`,
    values: { params: params.toString(), ...(biggest ? { largest: biggest.value.toString() } : {}) },
    nodes: [biggest?.ids ?? []],
  });
  const macs = model.totals.macs;
  const heavy = largest(model, (n) => n.macs, 'cost');
  result.push({
    topic: 'macs',
    text: `${formatCount(macs)} multiply-accumulates per sample (${formatMacs(macs)})${heavy ? `; the costliest layer, ${heavy.text}, does ${formatCount(heavy.value)} (${percent(heavy.value, macs)})` : ''}.`,
    values: { macs: macs.toString(), ...(heavy ? { largest: heavy.value.toString() } : {}) },
    nodes: [heavy?.ids ?? []],
  });
  const outputs = model.totals.activationElements * 4n;
  const saved = savedForBackward(model).perSample;
  const widest = largest(model, (n) => (n.view ? 0n : n.outputElements * 4n));
  result.push({
    topic: 'activations',
    text: `Layer outputs take ${formatBytes(outputs)} per sample; autograd keeps ${formatBytes(saved)} of them for the backward pass${widest ? `; the largest output, ${widest.text}, is ${formatBytes(widest.value)}` : ''}.`,
    values: { outputBytes: outputs.toString(), savedBytes: saved.toString() },
    nodes: [widest?.ids ?? []],
  });
  const step = trainingMemory(model, batch);
  const browser = tfjsStepBytes(model, batch, model.training.optimizer);
  result.push({
    topic: 'training-memory',
    text:
      `A PyTorch training step at batch ${batch} (${model.training.optimizer}) needs ${formatBytes(step.total)}: weights, gradients, optimizer state and what autograd keeps for the backward pass (${percent(step.activations, step.total)} of it activations). ` +
      `The browser engine (TensorFlow.js) needs about ${formatBytes(browser)}: its tape keeps every intermediate of the step.`,
    values: { batch: String(batch), trainingBytes: step.total.toString(), activationBytes: step.activations.toString(), browserBytes: browser.toString() },
    nodes: [[]],
  });
  const efficient = efficientFinding(model, label, batch, 0, 1);
  if (efficient) result.push(efficient);
  return result;
}

function pair(models: [ModelGraph, ModelGraph], labels: [string, string], batch: number, ablation: boolean): Finding[] {
  const [a, b] = models;
  const stats = models.map(pathCounts);
  const result: Finding[] = [widthFinding(a, labels[0], 0, 2), widthFinding(b, labels[1], 1, 2)];
  const compare = (topic: FindingTopic, what: string, get: (m: ModelGraph) => bigint, format: (v: bigint) => string): Finding => {
    const [x, y] = [get(a), get(b)];
    const ratio = exactRatio(x, y);
    const text = x === y ? `${labels[0]} and ${labels[1]} have the same ${what}: ${format(x)}.` : `${labels[1]} has ${ratio}× the ${what} of ${labels[0]}: ${format(y)} against ${format(x)}.`;
    return { topic, text, values: { a: x.toString(), b: y.toString(), ratio }, nodes: [[], []] };
  };
  result.push(
    compare('parameters', 'trainable parameters', (m) => m.totals.params, formatCount),
    compare('macs', 'multiply-accumulates per sample', (m) => m.totals.macs, (v) => `${formatCount(v)} (${formatMacs(v)})`),
    compare('activations', 'activation memory per sample', (m) => m.totals.activationElements * 4n, formatBytes),
    compare('training-memory', `training memory at batch ${batch}`, (m) => trainingMemory(m, batch).total, formatBytes),
  );
  const longest = stats.map((s) => s.longest);
  result.push({
    topic: 'depth',
    text: `Longest path: ${longest[0]} weighted layers in ${labels[0]}, ${longest[1]} in ${labels[1]}; shortest: ${stats[0].shortest} and ${stats[1].shortest}.`,
    values: { a: String(longest[0]), b: String(longest[1]), shortestA: String(stats[0].shortest), shortestB: String(stats[1].shortest) },
    nodes: [stats[0].shortestPath, stats[1].shortestPath],
  });
  const spread = (s: PathStatistics): string => (s.shortest === s.longest ? `all ${s.longest} ${pluralize(s.longest, 'layer')} long` : `${s.shortest}–${s.longest} layers long, mean ${decimals(s.mean)}`);
  result.push({
    topic: 'paths',
    text: `${labels[0]} has ${pathsWord(stats[0].total)} (${spread(stats[0])}), ${labels[1]} ${pathsWord(stats[1].total)} (${spread(stats[1])}).`,
    values: { a: stats[0].total.toString(), b: stats[1].total.toString() },
    nodes: models.map(merges),
  });
  for (const [i, m] of models.entries()) {
    const efficient = efficientFinding(m, labels[i], batch, i, 2);
    if (efficient) result.push(efficient);
  }
  if (ablation) {
    const removed = b.nodes.filter((n) => n.args.removedSkip !== undefined).map((n) => n.id);
    const kinds = removed.map((id) => a.nodeById.get(id)?.kind ?? 'merge');
    const adds = kinds.filter((k) => k === 'add').length;
    const concats = kinds.filter((k) => k === 'concat').length;
    const what = [adds > 0 ? `${adds} add${adds === 1 ? '' : 's'}` : '', concats > 0 ? `${concats} concat${concats === 1 ? '' : 's'}` : ''].filter((s) => s !== '').join(' and ');
    const params = b.totals.params - a.totals.params;
    const change = params === 0n ? 'leaves the parameters as they are' : `changes the parameters by ${params > 0n ? '+' : ''}${formatCount(params)}`;
    result.push({
      topic: 'skips',
      text: `Removing the skip connections turns ${what || 'no merge'} into identities, ${change} and leaves ${pathsWord(stats[1].total)} of ${formatCount(stats[0].total)}.`,
      values: { removed: String(removed.length), paramsChange: params.toString(), paths: stats[1].total.toString(), pathsBefore: stats[0].total.toString() },
      nodes: [removed.filter((id) => a.nodeById.has(id)), removed],
    });
  }
  return result;
}

const KIND_WORDS: Record<string, string> = { conv: 'conv layer', dense: 'dense layer', bn: 'batch norm' };

/** The node(s) with the largest positive value: "transition2/conv1" or "layer3/basic1/conv2 and 4 more of the same size" (or `noun`). */
function largest(model: ModelGraph, get: (n: GraphNode) => bigint, noun = 'size'): { value: bigint; ids: string[]; text: string } | undefined {
  let value = 0n;
  for (const node of model.nodes) if (get(node) > value) value = get(node);
  if (value === 0n) return undefined;
  const ids = model.nodes.filter((n) => get(n) === value).map((n) => n.id);
  return { value, ids, text: ids.length === 1 ? ids[0] : `${ids[0]} and ${ids.length - 1} more of the same ${noun}` };
}

/** At most two decimals, no trailing zeros: 11 → "11", 7.125 → "7.13". */
function decimals(value: number): string {
  return String(Number(value.toFixed(2)));
}

/** part / whole in percent to one decimal, exact ("13.7%"). */
function percent(part: bigint, whole: bigint): string {
  if (whole === 0n) return '0%';
  const tenths = (part * 2000n + whole) / (2n * whole);
  return `${tenths / 10n}.${tenths % 10n}%`;
}

function merges(model: ModelGraph): string[] {
  return model.nodes.filter((n) => n.kind === 'add' || n.kind === 'concat').map((n) => n.id);
}

function slot(ids: string[], index: number, count: number): string[][] {
  return Array.from({ length: count }, (_, i) => (i === index ? ids : []));
}

/** "each add keeps the width: 16 → 16 in layer1 (3 adds), …" from `stageWidths`. */
function widthFinding(model: ModelGraph, label: string, index: number, count: number): Finding {
  const stages = stageWidths(model);
  const values: Record<string, string> = {};
  if (stages.length === 0) {
    const last = [...model.nodes].reverse().find((n) => n.shape !== null && n.shape.length === 3);
    const text = `${label} has no add or concat: each layer sets the width${last?.shape ? `, ${model.inputShape[model.inputShape.length - 1]} → ${last.shape[2]} ${pluralize(last.shape[2], 'channel')} at the last feature map (${last.id})` : ''}.`;
    return { topic: 'width', text, values, nodes: slot(last ? [last.id] : [], index, count) };
  }
  const adds = stages.some((s) => s.adds > 0);
  const concats = stages.some((s) => s.concats > 0);
  const rule = adds && concats ? 'each add keeps the width and each concat grows it' : adds ? 'each add keeps the width' : 'each concat grows the width';
  const parts = stages.map((stage) => {
    values[`${stage.label}.in`] = String(stage.input);
    values[`${stage.label}.out`] = String(stage.output);
    return `${stage.input} → ${stage.output} ${/^\d|^flat$/.test(stage.label) ? 'at' : 'in'} ${stage.label} (${mergeWords(stage)})`;
  });
  return { topic: 'width', text: `In ${label} ${rule}: ${parts.join(', ')}.`, values, nodes: slot(stages.flatMap((s) => s.merges), index, count) };
}

function mergeWords(stage: StageWidth): string {
  const words: string[] = [];
  if (stage.adds > 0) words.push(`${stage.adds} add${stage.adds === 1 ? '' : 's'}`);
  if (stage.concats > 0) {
    const low = Math.min(...stage.growth);
    const high = Math.max(...stage.growth);
    const each = stage.concats === 1 ? `+${low}` : low === high ? `+${low} each` : `+${low} to +${high}`;
    words.push(`${stage.concats} concat${stage.concats === 1 ? '' : 's'}, ${each}`);
  }
  return words.join(', ');
}

function depthFinding(model: ModelGraph, paths: PathStatistics, label: string, index: number, count: number): Finding {
  const weighted = (ids: string[]): GraphNode[] => ids.map((id) => model.nodeById.get(id)!).filter(isWeighted);
  const longest = weighted(paths.longestPath);
  const kinds = [...WEIGHTED_KINDS].map((k) => [k, longest.filter((n) => n.kind === k).length] as const).filter(([, n]) => n > 0);
  const shortest = weighted(paths.shortestPath);
  const names = shortest.length > 0 && shortest.length <= 4 ? `: ${shortest.map((n) => n.id).join(' → ')}` : '';
  const text =
    paths.total === 0n
      ? `${label}: no path joins the input to the output.`
      : paths.total === 1n
        ? `${label}'s only path has ${paths.longest} weighted layers (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}).`
        : `${label}'s longest path has ${paths.longest} weighted layers (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}); the shortest has ${paths.shortest}${names}.`;
  return { topic: 'depth', text, values: { longest: String(paths.longest), shortest: String(paths.shortest) }, nodes: slot(paths.shortestPath, index, count) };
}

function pathsFinding(model: ModelGraph, paths: PathStatistics, index: number, count: number): Finding {
  const values: Record<string, string> = { total: paths.total.toString(), mean: String(paths.mean), median: String(paths.median) };
  for (const range of paths.ranges) values[`range${range.percent}`] = `${range.from}-${range.to}`;
  const mean = paths.lengths.length > 1 ? ` Mean length ${decimals(paths.mean)}, median ${paths.median}.` : '';
  return { topic: 'paths', text: `${describePaths(paths)}${mean}`, values, nodes: slot(merges(model), index, count) };
}

/** The memory-efficient DenseNet figure (Pleiss et al. 2017), for models with concatenations. */
function efficientFinding(model: ModelGraph, label: string, batch: number, index: number, count: number): Finding | undefined {
  const efficient = memoryEfficientSaved(model);
  if (efficient.recomputed.length === 0) return undefined;
  const naive = savedForBackward(model);
  const step = trainingMemory(model, batch);
  const efficientStep = step.total - step.activations + BigInt(batch) * efficient.perSample + efficient.perStep;
  return {
    topic: 'efficient-memory',
    text:
      `With shared buffers for concatenations and batch norms, recomputed in the backward pass (Pleiss et al. 2017), ${label} keeps ` +
      `${formatBytes(efficient.perSample)} per sample instead of ${formatBytes(naive.perSample)} (${exactRatio(naive.perSample, efficient.perSample)}×); ` +
      `a training step at batch ${batch} needs ${formatBytes(efficientStep)} instead of ${formatBytes(step.total)}.`,
    values: { savedBytes: naive.perSample.toString(), efficientBytes: efficient.perSample.toString(), trainingBytes: step.total.toString(), efficientTrainingBytes: efficientStep.toString() },
    nodes: slot(efficient.recomputed.filter((id) => model.nodeById.get(id)?.kind === 'concat'), index, count),
  };
}

/** What one finished (or running) training run tells, for `runFindings`. */
export interface RunSummary {
  label: string;
  /** Trainable parameters. */
  params: bigint;
  /** Held-out accuracy in [0, 1]; null before the first evaluation. */
  heldOutAccuracy: number | null;
  /** Gradient L2 norm of each weighted layer with its depth (weighted layers from the input, 1 = first). */
  gradients: { layer: string; depth: number; norm: number }[];
}

/**
 * Sentences about training runs: held-out accuracy per million parameters (and, for two runs, which
 * is more parameter-efficient), and the gradient norm at the first weighted layer relative to the last,
 * ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ (the vanishing-gradient ratio; Glorot & Bengio 2010, section 4, read
 * it across depth). A ratio whose denominator is 0 reads "n/a" with the reason. nodes[i] are run i's ids.
 * Pure; runs without an evaluation or gradients give no sentence of that kind.
 */
export function runFindings(runs: readonly RunSummary[]): Finding[] {
  const result: Finding[] = [];
  const count = runs.length;
  const perMillion = (run: RunSummary): number | null => (run.heldOutAccuracy === null || run.params === 0n ? null : (run.heldOutAccuracy * 100) / (Number(run.params) / 1e6));
  runs.forEach((run, i) => {
    const efficiency = perMillion(run);
    if (run.heldOutAccuracy === null) return;
    const points = (run.heldOutAccuracy * 100).toFixed(1);
    result.push({
      topic: 'accuracy',
      text:
        efficiency === null
          ? `${run.label} reaches ${points}% held-out accuracy with no trainable parameters: accuracy per parameter is n/a (0 parameters).`
          : `${run.label} reaches ${points}% held-out accuracy with ${formatCount(run.params)} parameters: ${significant(efficiency)} percentage points per million parameters.`,
      values: { accuracy: String(run.heldOutAccuracy), params: run.params.toString(), ...(efficiency === null ? {} : { perMillion: String(efficiency) }) },
      nodes: slot([], i, count),
    });
  });
  if (count === 2) {
    const [a, b] = runs.map(perMillion);
    if (a !== null && b !== null) {
      const ratio = a === 0 ? (b === 0 ? 'n/a (0 / 0)' : '∞') : (b / a).toFixed(2);
      result.push({
        topic: 'accuracy',
        text: `Per parameter, ${runs[1].label} earns ${ratio}× the held-out accuracy of ${runs[0].label}.`,
        values: { ratio },
        nodes: [[], []],
      });
    }
  }
  runs.forEach((run, i) => {
    const layers = run.gradients.filter((g) => Number.isFinite(g.norm) && g.norm >= 0);
    if (layers.length < 2) return;
    const first = layers.reduce((best, g) => (g.depth < best.depth ? g : best));
    const last = layers.reduce((best, g) => (g.depth > best.depth ? g : best));
    const figures = `${significant(first.norm)} against ${significant(last.norm)}`;
    const ratio = last.norm === 0 ? (first.norm === 0 ? 'n/a (both gradients are 0)' : "n/a (the last layer's gradient is 0)") : significant(first.norm / last.norm);
    result.push({
      topic: 'gradients',
      text:
        last.norm === 0
          ? `In ${run.label} the gradient norm at the first layer (${first.layer}) relative to the last (${last.layer}) is ${ratio}: ${figures}.`
          : `In ${run.label} the gradient norm at the first layer (${first.layer}) is ${ratio}× that at the last (${last.layer}): ${figures}.`,
      values: { first: String(first.norm), last: String(last.norm), ratio },
      nodes: slot([first.layer, last.layer], i, count),
    });
  });
  return result;
}

/** Three significant figures, plain for 0.001 ≤ |v| < 10⁶, else scientific: 0.0123, 338, 1.23e-7. */
function significant(value: number): string {
  const magnitude = Math.abs(value);
  if (value === 0) return '0';
  if (magnitude >= 1e-3 && magnitude < 1e6) return String(Number(value.toPrecision(3)));
  return value.toExponential(2);
}

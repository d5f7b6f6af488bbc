/**
 * The answer views' data, host → webview: the core's plain-sentence findings (with the node ids each
 * sentence speaks of, for highlighting) and the exact input → output path counts by length (Veit, Wilber
 * & Belongie 2016). Counts travel as decimal digits: DenseNet-121 has more paths than a double holds exactly.
 */
import { findings, type Finding, type FindingTopic } from '../core/findings';
import type { ModelGraph } from '../core/graph';
import { pathCounts } from '../core/paths';
import { array, type Checker, decimal, literal, number, object, recordOf, string } from './schema';

/** One finding as it crosses postMessage: the core's `Finding` (already plain strings). */
export type FindingPayload = Finding;

/** How many input → output paths have `length` weighted layers (conv, dense); `count` as decimal digits, exact. */
export interface PathLengthPayload {
  length: number;
  count: string;
}

/** What the graph view's answer panel shows for one model. */
export interface AnswersPayload {
  findings: FindingPayload[];
  /** Path counts by length, shortest first; empty when no path joins the input to the output. */
  paths: PathLengthPayload[];
}

/** Findings and path counts of one model (core `findings`, `pathCounts`). Pure. */
export function buildAnswers(model: ModelGraph): AnswersPayload {
  return {
    findings: findings(model),
    paths: pathCounts(model).lengths.map((l) => ({ length: l.length, count: l.count.toString() })),
  };
}

/** Findings about a pair (core `findings(a, b)`): "B has 3.78× the parameters of A", the ablation's effect, …; nodes[0] are A's ids, nodes[1] B's. */
export function buildPairFindings(a: ModelGraph, b: ModelGraph, labels: [string, string], batch: number): FindingPayload[] {
  return findings(a, b, { labels, batch });
}

const TOPICS: readonly FindingTopic[] = ['width', 'parameters', 'macs', 'activations', 'training-memory', 'efficient-memory', 'depth', 'paths', 'skips', 'accuracy', 'gradients'];
const id = string(1024);

export const findingChecker: Checker = object({
  topic: literal(...TOPICS),
  text: string(10_000),
  values: recordOf(string(1024), 1000),
  nodes: array(array(id, 100_000), 2),
});

export const answersChecker: Checker = object({
  findings: array(findingChecker, 1000),
  paths: array(object({ length: number({ integer: true, min: 0 }), count: decimal }), 100_000),
});

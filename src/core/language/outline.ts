import type { Analysis } from '../analyze';
import type { Element, ModelDecl, Statement } from '../ast';
import type { ModelGraph } from '../graph';
import { formatCount } from '../memory';
import { oneLineSummary } from '../summary';
import type { Range } from '../text';
import { formatShape } from '../values';

export type OutlineKind = 'model' | 'block' | 'label' | 'repeat' | 'train';

/** A document symbol: what the Outline view and breadcrumbs show. */
export interface OutlineSymbol {
  name: string;
  detail: string;
  kind: OutlineKind;
  /** The whole declaration or statement. */
  range: Range;
  /** The name itself (selected when the symbol is picked). */
  selectionRange: Range;
  children: OutlineSymbol[];
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Models and blocks with their labelled statements and train sections, in source order. */
export function documentSymbols(analysis: Analysis): OutlineSymbol[] {
  const text = analysis.text;
  const symbols: OutlineSymbol[] = [];
  for (const block of analysis.file.blocks) {
    symbols.push({
      name: block.name,
      detail: `block(${block.params.map((p) => (p.default ? `${p.name}=${oneLine(text.slice(p.default.range.start, p.default.range.end))}` : p.name)).join(', ')})`,
      kind: 'block',
      range: block.range,
      selectionRange: block.nameRange,
      children: statementSymbols(analysis, block.body),
    });
  }
  analysis.file.models.forEach((model) => {
    const graph = analysis.models.find((m) => m.nameRange.start === model.nameRange.start);
    const children = statementSymbols(analysis, model.body);
    if (model.train) {
      const settings = model.train.settings.map((s) => `${s.key}: ${oneLine(text.slice(s.value.range.start, s.value.range.end))}`);
      children.push({ name: 'train', detail: settings.join(' · '), kind: 'train', range: model.train.range, selectionRange: { start: model.train.range.start, end: model.train.range.start + 5 }, children: [] });
    }
    symbols.push({ name: model.name, detail: graph ? modelDetail(graph) : `model(${model.inputDims.join('x')})`, kind: 'model', range: model.range, selectionRange: model.nameRange, children });
  });
  return symbols.sort((a, b) => a.range.start - b.range.start);
}

function modelDetail(graph: ModelGraph): string {
  const output = graph.nodeById.get(graph.output);
  return `${formatShape(graph.inputShape)} → ${formatShape(output?.shape)} · ${formatCount(graph.totals.params)} params`;
}

function elementText(analysis: Analysis, element: Element): string {
  return oneLine(analysis.text.slice(element.nameRange.start, element.range.end));
}

function statementSymbols(analysis: Analysis, statements: Statement[]): OutlineSymbol[] {
  const symbols: OutlineSymbol[] = [];
  for (const statement of statements) {
    if (statement.kind === 'repeat') {
      const count = oneLine(analysis.text.slice(statement.count.range.start, statement.count.range.end));
      const inner = Array.isArray(statement.body) ? statementSymbols(analysis, statement.body) : chainLabels(analysis, statement.body.elements);
      const body = Array.isArray(statement.body) ? '{ … }' : statement.body.elements.map((e) => elementText(analysis, e)).join(' -> ');
      if (statement.label && statement.labelRange) {
        symbols.push({ name: statement.label, detail: `repeat ${count} ${body}`, kind: 'repeat', range: statement.range, selectionRange: statement.labelRange, children: inner });
      } else symbols.push(...inner);
      continue;
    }
    const inner = chainLabels(analysis, statement.elements);
    const last = statement.elements[statement.elements.length - 1];
    if (statement.label && statement.labelRange && last) {
      symbols.push({ name: statement.label, detail: elementText(analysis, last), kind: 'label', range: statement.range, selectionRange: statement.labelRange, children: inner });
    } else symbols.push(...inner);
  }
  return symbols;
}

/** Labels written inside a chain: `in -> pool0: maxpool(3)`. */
function chainLabels(analysis: Analysis, elements: Element[]): OutlineSymbol[] {
  return elements
    .filter((e) => e.label && e.labelRange)
    .map((e) => ({ name: e.label!, detail: elementText(analysis, e), kind: 'label' as const, range: { start: e.labelRange!.start, end: e.range.end }, selectionRange: e.labelRange!, children: [] }));
}

/** What the CodeLens line above a model shows and passes to its commands. */
export interface ModelLens {
  model: string;
  /** The model declaration (`model name(...)` through its closing brace). */
  range: Range;
  nameRange: Range;
  batch: number;
  /**
   * "269,722 params · 40.55 MMACs · 12.3 MiB to train at batch 32"; when errors leave it partial it starts
   * with "partial (fix the errors first) · ", so a lens cut off in a narrow editor still says so first.
   */
  summary: string;
}

/**
 * One entry per model. The batch is the model's own `batch:` setting when its train section has one,
 * else `defaultBatch` (the editor's skipnet.training.defaultBatchSize setting).
 */
export function modelLenses(analysis: Analysis, defaultBatch: number): ModelLens[] {
  const lenses: ModelLens[] = [];
  for (const graph of analysis.models) {
    const declaration = analysis.file.models.find((m) => m.nameRange.start === graph.nameRange.start);
    if (!declaration) continue;
    const batch = hasBatchSetting(declaration) ? graph.training.batch : defaultBatch;
    const summary = oneLineSummary(graph, batch);
    lenses.push({ model: graph.name, range: graph.range, nameRange: graph.nameRange, batch, summary: graph.complete ? summary : `partial (fix the errors first) · ${summary}` });
  }
  return lenses;
}

function hasBatchSetting(model: ModelDecl): boolean {
  return model.train?.settings.some((s) => s.key === 'batch') ?? false;
}

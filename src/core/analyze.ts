import type { BlockDecl, SkipnetFile } from './ast';
import { checkBatchStatistics } from './batchstats';
import { checkDeclarations, readTraining } from './checks';
import { reportDeadLayers } from './deadLayers';
import type { Diagnostic } from './diagnostics';
import { expandModel, type ExpansionOptions } from './expand';
import type { ModelGraph, ModelTotals } from './graph';
import { parse } from './parser';
import { checkPairModel } from './pairs';
import { checkSegmentationModel } from './segmentation';
import type { Token } from './scanner';
import { checkTrainTarget } from './trainTarget';
import { LineIndex } from './text';

export type { ExpansionOptions as AnalysisOptions } from './expand';

export interface Analysis {
  text: string;
  lines: LineIndex;
  tokens: Token[];
  file: SkipnetFile;
  blocks: Map<string, BlockDecl>;
  models: ModelGraph[];
  diagnostics: Diagnostic[];
}

/**
 * Parses and analyses a .skipnet text: every model expanded into a graph with shapes, provenance,
 * parameters, MACs and memory, plus all diagnostics sorted by position. Never throws.
 */
export function analyze(text: string, options: ExpansionOptions = {}): Analysis {
  const { file, tokens, diagnostics: sink } = parse(text);
  const blocks = new Map<string, BlockDecl>();
  for (const block of file.blocks) if (!blocks.has(block.name)) blocks.set(block.name, block);
  const recursive = checkDeclarations(file, blocks, sink);

  const models: ModelGraph[] = [];
  for (const model of file.models) {
    const training = readTraining(model, sink);
    const errorsBefore = sink.errorReports;
    const expansion = expandModel(model, blocks, recursive, sink, options);
    // After an error, what reaches the output is unknown: dead layers are reported for sound models only.
    const sound = expansion.complete && expansion.outputKnown && sink.errorReports === errorsBefore;
    if (sound && !sink.items.some((d) => d.severity === 'error' && d.range.start >= model.range.start && d.range.end <= model.range.end)) {
      reportDeadLayers(model, blocks, expansion, sink);
    }
    const groupById = new Map(expansion.groups.map((g) => [g.id, g]));
    // Roll each node's cost up through every enclosing block instance.
    for (const node of expansion.nodes) {
      for (let id = node.group; id; id = groupById.get(id)?.parent ?? null) {
        const group = groupById.get(id);
        if (!group) break;
        group.params += node.params;
        group.macs += node.macs;
      }
    }
    models.push({
      name: model.name,
      range: model.range,
      nameRange: model.nameRange,
      inputShape: model.inputDims,
      inputs: expansion.inputs,
      nodes: expansion.nodes,
      nodeById: expansion.nodeById,
      groups: expansion.groups,
      groupById,
      output: expansion.output,
      totals: totalsOf(expansion.nodes),
      training,
      hasTrainSection: model.train !== undefined,
      complete: expansion.complete,
    });
    const batchSetting = model.train?.settings.find((s) => s.key === 'batch');
    checkBatchStatistics(models[models.length - 1], training.batch, sink, batchSetting?.value.range);
    checkSegmentationModel(models[models.length - 1], model, sink);
    checkTrainTarget(models[models.length - 1], model, text, sink);
    checkPairModel(models[models.length - 1], model, sink);
  }
  const diagnostics = sink.items.slice().sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  return { text, lines: new LineIndex(text), tokens, file, blocks, models, diagnostics };
}

function totalsOf(nodes: ModelGraph['nodes']): ModelTotals {
  const totals: ModelTotals = { params: 0n, buffers: 0n, macs: 0n, activationElements: 0n, layers: 0 };
  for (const node of nodes) {
    totals.params += node.params;
    totals.buffers += node.buffers;
    totals.macs += node.macs;
    if (!node.view) totals.activationElements += node.outputElements;
    if (node.kind !== 'input') totals.layers++;
  }
  return totals;
}

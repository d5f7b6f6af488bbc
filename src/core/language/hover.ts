import type { Analysis } from '../analyze';
import type { BlockDecl, Element } from '../ast';
import type { GraphNode } from '../graph';
import { LAYERS } from '../layers';
import { formatBytes, formatCount, formatMacsExact, pluralize, type Quantity } from '../format';
import { activationBytes, trainingMemory } from '../memory';
import { describeProvenance } from '../provenance';
import type { Range } from '../text';
import { channelsOf, formatShape, formatValue } from '../values';
import {
  blockGroups,
  elementGroups,
  elementNodes,
  groupInput,
  groupTotals,
  instanceName,
  labelTensors,
  referenceTensors,
  type GroupInstance,
  type NodeInstance,
} from './instances';
import { symbolAt, type LabelDefinition, type TensorReference } from './sourceIndex';
import { TRAIN_SETTINGS } from './vocabulary';

export interface HoverResult {
  /** Markdown for the hover (VS Code renders tables and code fences). */
  markdown: string;
  /** The word or name the hover is about. */
  range: Range;
}

/** Rows past this many are summarised, so a block used thousands of times still gives a readable hover. */
export const MAX_HOVER_ROWS = 100;

/**
 * The hover at `offset`: shapes, feature maps with their provenance, parameters, MACs and memory for
 * layers, block calls, labels and references; per-instance totals for block definitions.
 */
export function hoverAt(analysis: Analysis, offset: number): HoverResult | undefined {
  const target = symbolAt(analysis, offset);
  if (!target) return undefined;
  const range = target.range;
  switch (target.kind) {
    case 'layer':
      return { range, markdown: layerHover(analysis, target.element) };
    case 'block-call':
      return { range, markdown: blockCallHover(analysis, target.call.element) };
    case 'block':
      return { range, markdown: blockDefinitionHover(analysis, target.block) };
    case 'label':
      return { range, markdown: labelHover(analysis, target.label) };
    case 'reference':
      return { range, markdown: referenceHover(analysis, target.reference) };
    case 'model': {
      const graph = analysis.models.find((m) => m.nameRange.start === target.model.nameRange.start);
      return graph ? { range, markdown: modelHover(graph) } : undefined;
    }
    case 'parameter': {
      const param = target.block.params.find((p) => p.name === target.name);
      const fallback = param?.default ? ` (default \`${analysis.text.slice(param.default.range.start, param.default.range.end)}\`)` : ' (required)';
      return { range, markdown: `**${target.name}**: parameter of block \`${target.block.name}\`${fallback}` };
    }
    case 'layer-argument': {
      const arg = LAYERS.get(target.layer)?.args.find((a) => a.name === target.name);
      if (!arg) return undefined;
      const fallback = arg.default === undefined ? 'required' : `default \`${formatValue(arg.default)}\``;
      return { range, markdown: `**${arg.name}**: argument of \`${target.layer}\`: ${arg.doc} (${fallback})` };
    }
    case 'channels':
      return { range, markdown: channelsHover(analysis, target.element) };
    case 'train-setting': {
      const setting = TRAIN_SETTINGS.find((s) => s.key === target.setting.key);
      return setting ? { range, markdown: `**${setting.key}**: training setting: ${setting.doc}` } : undefined;
    }
  }
}

/**
 * `channels` in a call's arguments: the channel count of the tensor flowing into that call, for each
 * instance (a block body runs once per call, and each call may see a different count).
 */
function channelsHover(analysis: Analysis, element: Element): string {
  const counts: { name: string; channels: number | undefined }[] = [];
  const channelsOfNode = (node: GraphNode | undefined): number | undefined => (node?.shape ? channelsOf(node.shape) : undefined);
  for (const { model, node } of elementNodes(analysis, element)) counts.push({ name: instanceName(analysis, model, node.id), channels: channelsOfNode(node.inputs[0] ? model.nodeById.get(node.inputs[0]) : undefined) });
  for (const { model, group } of elementGroups(analysis, element)) counts.push({ name: instanceName(analysis, model, group.id), channels: channelsOfNode(groupInput(model, group)) });
  const head = `**channels**: the channel count flowing into \`${element.name}\` at this call`;
  if (counts.length === 0) return `${head}; unknown here (no model runs this line).`;
  const values = new Set(counts.map((c) => c.channels));
  const text = (n: number | undefined): string => (n === undefined ? 'unknown' : formatCount(BigInt(n)));
  if (values.size === 1) return `${head}: **${text(counts[0].channels)}**${counts.length > 1 ? ` in all ${formatCount(BigInt(counts.length))} instances` : ''}.`;
  const shown = counts.slice(0, MAX_HOVER_ROWS).map((c) => `- \`${c.name}\`: ${text(c.channels)}`);
  if (counts.length > shown.length) shown.push(`- …and ${formatCount(BigInt(counts.length - shown.length))} more.`);
  return [`${head}, per instance:`, '', ...shown].join('\n');
}

function sourceText(analysis: Analysis, range: Range): string {
  return analysis.text.slice(range.start, range.end).replace(/\s+/g, ' ');
}

function codeBlock(text: string): string {
  return `\`\`\`skipnet\n${text}\n\`\`\``;
}

function layerHover(analysis: Analysis, element: Element): string {
  const spec = LAYERS.get(element.name)!;
  return [codeBlock(sourceText(analysis, element.range)), `**${spec.kind}**: ${spec.doc}`, nodeSection(analysis, elementNodes(analysis, element), true)].join('\n\n');
}

function blockCallHover(analysis: Analysis, element: Element): string {
  const block = analysis.blocks.get(element.name)!;
  return [codeBlock(sourceText(analysis, element.range)), `Block ${blockSignature(analysis, block)}`, groupSection(analysis, elementGroups(analysis, element))].join('\n\n');
}

function blockDefinitionHover(analysis: Analysis, block: BlockDecl): string {
  return [`Block ${blockSignature(analysis, block)}`, groupSection(analysis, blockGroups(analysis, block))].join('\n\n');
}

function labelHover(analysis: Analysis, label: LabelDefinition): string {
  const target = label.target;
  if (target.kind === 'element') {
    const element = target.element;
    if (LAYERS.has(element.name)) return [`**${label.name}**: label`, layerHover(analysis, element)].join('\n\n');
    if (analysis.blocks.has(element.name)) return [`**${label.name}**: label`, blockCallHover(analysis, element)].join('\n\n');
  }
  const head =
    target.kind === 'repeat' ? `**${label.name}**: label of \`repeat ${sourceText(analysis, target.statement.count.range)}\`` : `**${label.name}**: label`;
  return [head, nodeSection(analysis, labelTensors(analysis, label))].join('\n\n');
}

function referenceHover(analysis: Analysis, reference: TensorReference): string {
  const inBlock = reference.scope.declaration.kind === 'block';
  let head: string;
  if (reference.name === '_') head = '**_**: the tensor before this one';
  else if (reference.name === 'in' || reference.name === 'input') head = `**${reference.name}**: the ${inBlock ? 'block' : 'model'}'s input`;
  else if (reference.definition) {
    const line = analysis.lines.positionAt(reference.definition.range.start).line + 1;
    head = `**${reference.name}**: tensor labelled on line ${line}`;
  } else return `**${reference.name}**: unknown tensor name`;
  return [head, nodeSection(analysis, referenceTensors(analysis, reference))].join('\n\n');
}

function modelHover(model: Analysis['models'][number]): string {
  const output = model.nodeById.get(model.output);
  const memory = trainingMemory(model);
  const lines = [
    `**model ${model.name}**: input \`${formatShape(model.inputShape)}\`, output \`${formatShape(output?.shape)}\``,
    '',
    `- Layers: ${formatCount(model.totals.layers)}`,
    `- Parameters: ${formatCount(model.totals.params)}${model.totals.buffers ? ` (+ ${formatCount(model.totals.buffers)} buffers)` : ''}`,
    `- MACs: ${formatMacsExact(model.totals.macs)}`,
    `- Activation memory: ${formatBytes(model.totals.activationElements * 4n)} per sample`,
    `- Training memory at batch ${memory.batch}: ${formatBytes(memory.total)} (weights ${formatBytes(memory.weights)}, buffers ${formatBytes(memory.buffers)}, gradients ${formatBytes(memory.gradients)}, optimizer ${formatBytes(memory.optimizerState)}, activations kept for backward ${formatBytes(memory.activations)})`,
  ];
  if (!model.complete) lines.push('', '_Partial: errors leave some shapes unknown, so the totals cover only the known part._');
  return lines.join('\n');
}

/** `denselayer(k, bn_size=4)` with defaults as written. */
export function blockSignature(analysis: Analysis, block: BlockDecl): string {
  const params = block.params.map((p) => (p.default ? `${p.name}=${sourceText(analysis, p.default.range)}` : p.name));
  return `\`${block.name}(${params.join(', ')})\``;
}

/** Channel provenance as the core words it, each source named relative to the node's own block path. */
function featureMaps(node: GraphNode): string {
  return node.shape ? describeProvenance(node) : 'unknown (an error upstream)';
}

function plural(count: number, word: string): string {
  return `${formatCount(count)} ${pluralize(count, word)}`;
}

function nodeSection(analysis: Analysis, instances: NodeInstance[], withTotals = false): string {
  if (instances.length === 0) return '_Not part of any model here, so its shapes are unknown._';
  if (instances.length === 1) {
    const { model, node } = instances[0];
    return [
      `\`${instanceName(analysis, model, node.id)}\``,
      '',
      `- Output: \`${formatShape(node.shape)}\``,
      `- Feature maps: ${featureMaps(node)}`,
      `- Parameters: ${node.sharedWith ? `shared with \`${node.sharedWith}\` (tied weights, counted there once)` : formatCount(node.params)}`,
      `- MACs: ${formatMacsExact(node.macs)}`,
      `- Activation memory: ${formatBytes(activationBytes(node))} per sample`,
    ].join('\n');
  }
  const rows = instances.map(({ model, node }) =>
    row(instanceName(analysis, model, node.id), node, featureMaps(node), node.params, node.macs, activationBytes(node)),
  );
  const params = instances.reduce((sum, i) => sum + i.node.params, 0n);
  const macs = instances.reduce((sum, i) => sum + i.node.macs, 0n);
  const together = withTotals ? `; together ${formatCount(params)} parameters, ${formatMacsExact(macs)} MACs` : '';
  return table(`${plural(instances.length, 'instance')}${together}:`, rows);
}

function groupSection(analysis: Analysis, instances: GroupInstance[]): string {
  if (instances.length === 0) return '_Not called by any model here, so its shapes are unknown._';
  const facts = instances.map(({ model, group }) => ({ model, group, totals: groupTotals(model, group) }));
  if (facts.length === 1) {
    const { model, group, totals } = facts[0];
    const output = totals.output;
    return [
      `\`${instanceName(analysis, model, group.id)}\``,
      '',
      `- Output: \`${formatShape(output?.shape)}\``,
      `- Feature maps: ${output ? featureMaps(output) : 'unknown'}`,
      `- Parameters: ${formatCount(totals.params)}`,
      `- MACs: ${formatMacsExact(totals.macs)}`,
      // Named apart from the graph tooltip's figure, which is the block's output alone.
      `- Activation memory, all ${formatCount(totals.layers)} ${pluralize(totals.layers, 'layer')}' outputs: ${formatBytes(totals.activationBytes)} per sample (the block's output alone: ${output ? formatBytes(activationBytes(output)) : 'unknown'})`,
      `- Layers: ${formatCount(totals.layers)}`,
    ].join('\n');
  }
  const rows = facts.map(({ model, group, totals }) =>
    row(
      instanceName(analysis, model, group.id),
      totals.output,
      totals.output ? featureMaps(totals.output) : 'unknown',
      totals.params,
      totals.macs,
      totals.activationBytes,
    ),
  );
  const params = facts.reduce((sum, f) => sum + f.totals.params, 0n);
  return table(`${plural(facts.length, 'instance')}; together ${formatCount(params)} parameters:`, rows);
}

/** One instance's row; parameters and MACs with every digit (exact at any size). */
function row(name: string, node: GraphNode | undefined, maps: string, params: Quantity, macs: Quantity, bytes: Quantity): string {
  return `| \`${name}\` | ${formatShape(node?.shape)} | ${maps} | ${formatCount(params)} | ${formatCount(macs)} | ${formatBytes(bytes)} |`;
}

function table(caption: string, rows: string[]): string {
  const shown = rows.slice(0, MAX_HOVER_ROWS);
  const lines = [caption, '', '| Instance | Output | Feature maps | Params | MACs | Memory |', '| --- | --- | --- | ---: | ---: | ---: |', ...shown];
  if (rows.length > shown.length) lines.push('', `…and ${formatCount(rows.length - shown.length)} more.`);
  return lines.join('\n');
}

import type { Analysis } from '../analyze';
import type { BlockDecl, Element, RepeatStatement } from '../ast';
import type { BlockGroup, GraphNode, ModelGraph } from '../graph';
import { LAYERS } from '../layers';
import { activationBytes } from '../memory';
import type { Range } from '../text';
import { sourceIndex, type LabelDefinition, type TensorReference } from './sourceIndex';

/**
 * Links between the source and the expanded graphs: an element written once inside a block body is
 * expanded into one node (or block instance) per call, in every model of the file.
 */

export interface NodeInstance {
  model: ModelGraph;
  node: GraphNode;
}

export interface GroupInstance {
  model: ModelGraph;
  group: BlockGroup;
}

/** Totals of one block instance, nested instances included. */
export interface GroupTotals {
  params: bigint;
  macs: bigint;
  /** Bytes of activations for one sample, views excluded. */
  activationBytes: bigint;
  layers: number;
  output: GraphNode | undefined;
}

const sameRange = (a: Range, b: Range): boolean => a.start === b.start && a.end === b.end;

/** Every node expanded from a layer element, across all models, in graph order. */
export function elementNodes(analysis: Analysis, element: Element): NodeInstance[] {
  const found: NodeInstance[] = [];
  for (const model of analysis.models) {
    for (const node of model.nodes) if (node.kind !== 'input' && sameRange(node.range, element.range)) found.push({ model, node });
  }
  return found;
}

/** Every block instance made by a block-call element, across all models. */
export function elementGroups(analysis: Analysis, element: Element): GroupInstance[] {
  const found: GroupInstance[] = [];
  for (const model of analysis.models) {
    for (const group of model.groups) if (group.block !== 'repeat' && sameRange(group.callRange, element.range)) found.push({ model, group });
  }
  return found;
}

/** Every instance of a block, wherever it is called from. */
export function blockGroups(analysis: Analysis, block: BlockDecl): GroupInstance[] {
  const found: GroupInstance[] = [];
  for (const model of analysis.models) for (const group of model.groups) if (group.block === block.name) found.push({ model, group });
  return found;
}

/** The iterations of a labelled repeat with a multi-statement body (each is a compound group). */
export function repeatGroups(analysis: Analysis, statement: RepeatStatement): GroupInstance[] {
  const found: GroupInstance[] = [];
  for (const model of analysis.models) {
    for (const group of model.groups) if (group.block === 'repeat' && sameRange(group.callRange, statement.range)) found.push({ model, group });
  }
  return found;
}

/**
 * Nodes inside a group, nested groups included. Membership follows each node's group chain, not its id: the
 * group of `block1: repeat N …` holds copies whose ids do not start with `block1/`.
 */
export function groupNodes(model: ModelGraph, group: BlockGroup): GraphNode[] {
  return model.nodes.filter((node) => {
    for (let id = node.group; id; id = model.groupById.get(id)?.parent ?? null) if (id === group.id) return true;
    return false;
  });
}

export function groupTotals(model: ModelGraph, group: BlockGroup): GroupTotals {
  const nodes = groupNodes(model, group);
  return {
    params: group.params,
    macs: group.macs,
    activationBytes: nodes.reduce((sum, node) => sum + activationBytes(node), 0n),
    layers: nodes.length,
    output: group.output ? model.nodeById.get(group.output) : undefined,
  };
}

/** The tensor flowing into a block instance: the outside input read by its first node. */
export function groupInput(model: ModelGraph, group: BlockGroup): GraphNode | undefined {
  const nodes = groupNodes(model, group);
  const inside = new Set(nodes.map((node) => node.id));
  for (const node of nodes) {
    const outside = node.inputs.find((id) => !inside.has(id));
    if (outside) return model.nodeById.get(outside);
  }
  return undefined;
}

/** The output node of each instance of an element, whether it is a layer or a block call. */
export function elementOutputs(analysis: Analysis, element: Element): NodeInstance[] {
  if (LAYERS.has(element.name)) return elementNodes(analysis, element);
  // `shared(label)` of a layer makes a node at the call; of a block, a block instance there.
  const shared = element.name === 'shared' && !analysis.blocks.has('shared') ? elementNodes(analysis, element) : [];
  if (shared.length > 0) return shared;
  const outputs: NodeInstance[] = [];
  for (const { model, group } of elementGroups(analysis, element)) {
    const node = group.output ? model.nodeById.get(group.output) : undefined;
    if (node) outputs.push({ model, node });
  }
  return outputs;
}

/**
 * The tensor a reference stands for, once per instance. Where the reference feeds a layer the graph
 * records the exact input; otherwise it falls back to what its label names.
 */
export function referenceTensors(analysis: Analysis, reference: TensorReference): NodeInstance[] {
  const site = reference.site;
  if (site.kind === 'merge-argument') {
    const expectedInputs = site.element.args?.length ?? 0;
    return elementNodes(analysis, site.element)
      .filter(({ node }) => node.inputs.length === expectedInputs)
      .map(({ model, node }) => ({ model, node: model.nodeById.get(node.inputs[site.index])! }))
      .filter((instance) => instance.node !== undefined);
  }
  const position = site.chain.elements.indexOf(site.element);
  const consumer = site.chain.elements[position + 1];
  if (consumer && LAYERS.has(consumer.name) && !LAYERS.get(consumer.name)!.merge) {
    return elementNodes(analysis, consumer)
      .filter(({ node }) => node.inputs.length === 1)
      .map(({ model, node }) => ({ model, node: model.nodeById.get(node.inputs[0])! }))
      .filter((instance) => instance.node !== undefined);
  }
  if (consumer && analysis.blocks.has(consumer.name)) {
    const inputs: NodeInstance[] = [];
    for (const { model, group } of elementGroups(analysis, consumer)) {
      const node = groupInput(model, group);
      if (node) inputs.push({ model, node });
    }
    return inputs;
  }
  if (reference.definition) return labelTensors(analysis, reference.definition);
  return [];
}

/** The tensor a label names, once per instance of the scope it is written in. */
export function labelTensors(analysis: Analysis, label: LabelDefinition): NodeInstance[] {
  const target = label.target;
  if (target.kind === 'element') {
    const element = target.element;
    if (LAYERS.has(element.name) || analysis.blocks.has(element.name) || (element.name === 'shared' && element.args)) return elementOutputs(analysis, element);
    // A label on a plain reference (`shortcut: in`) names what the reference names.
    const index = sourceIndexReferences(analysis, element);
    return index ? referenceTensors(analysis, index) : [];
  }
  const statement = target.statement;
  if (Array.isArray(statement.body)) {
    const outputs: NodeInstance[] = [];
    for (const { model, group } of repeatGroups(analysis, statement)) {
      const node = group.output ? model.nodeById.get(group.output) : undefined;
      if (node) outputs.push({ model, node });
    }
    return outputs;
  }
  const last = statement.body.elements[statement.body.elements.length - 1];
  return last ? elementOutputs(analysis, last) : [];
}

function sourceIndexReferences(analysis: Analysis, element: Element): TensorReference | undefined {
  return sourceIndex(analysis).references.find((r) => r.site.kind === 'chain-start' && r.site.element === element);
}

/** "densenet121 › denseblock1/denselayer1/concat1" when the file has several models, else the id alone. */
export function instanceName(analysis: Analysis, model: ModelGraph, id: string): string {
  return analysis.models.length > 1 ? `${model.name} › ${id}` : id;
}

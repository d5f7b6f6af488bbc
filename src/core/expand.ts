import type { Argument, BlockDecl, ChainStatement, Element, ModelDecl, Statement } from './ast';
import { argumentRange, copyName, reportUnknownLayer } from './checks';
import { DiagnosticSink, type RelatedInformation } from './diagnostics';
import { evaluate, type EvalScope } from './evaluate';
import type { BlockGroup, GraphNode } from './graph';
import { LAYERS, RESERVED_NAMES, type LayerArgs, type LayerSpec } from './layers';
import { emptyNode, fillNode, type NodeBase } from './nodes';
import { inputShape, layerArgs, localName, newFrame, type Applied, type Frame } from './scope';
import { foreignName, suggest } from './suggest';
import type { Range } from './text';
import { reportTensorArguments } from './unsupported';
import { channelsOf, formatShape, formatValue, MAX_DIMENSION, type Shape, type Value } from './values';

const MAX_DIMENSION_TEXT = MAX_DIMENSION.toLocaleString('en-US');

/** Expansion stops past this many nodes plus repeat iterations, so any input is analysed in bounded time. */
export const DEFAULT_MAX_WORK = 50_000;

/** Blocks calling blocks deeper than this stop the analysis (and keep the stack bounded). */
const MAX_BLOCK_DEPTH = 256;

class TooLarge {}

export interface ExpansionOptions {
  maxWork?: number;
  /**
   * The ablation "without skip connections": every add and concat keeps only its deepest input (the
   * residual branch, the new feature maps) and drops the shortcut, and shapes are inferred again.
   */
  withoutSkips?: boolean;
}

export interface Expansion {
  nodes: GraphNode[];
  nodeById: Map<string, GraphNode>;
  groups: BlockGroup[];
  output: string;
  /** Ids of the input nodes, in the order declared. */
  inputs: string[];
  /** False when an error left the model's last tensor unknown (`output` is then the input). */
  outputKnown: boolean;
  complete: boolean;
}

/** Turns a model's statements into a flat graph of layers, inferring every shape on the way. */
export function expandModel(
  model: ModelDecl,
  blocks: Map<string, BlockDecl>,
  recursive: Set<string>,
  sink: DiagnosticSink,
  options: ExpansionOptions = {},
): Expansion {
  const maxWork = options.maxWork ?? DEFAULT_MAX_WORK;
  /** Longest path from the input, in layers: at a merge, the shallowest input is the skip connection. */
  const depth = new Map<string, number>();
  const nodes: GraphNode[] = [];
  const nodeById = new Map<string, GraphNode>();
  const groups: BlockGroup[] = [];
  let work = 0;
  let complete = true;
  /** The instance and arguments of the block call that ran last, which a label records for `shared(label)`. */
  let lastBlockCall: { group: BlockGroup; params: Map<string, Value> } | null = null;

  const declared = model.inputs.length > 0 ? model.inputs : [{ name: 'input', nameRange: model.inputRange, dims: model.inputDims, range: model.inputRange }];
  const inputNodes: GraphNode[] = [];
  for (const [index, decl] of declared.entries()) {
    if (model.inputs.length > 0 && (RESERVED_NAMES.has(decl.name) || LAYERS.has(decl.name) || blocks.has(decl.name))) {
      sink.add('reserved-name', `'${decl.name}' is a built-in name or a block; choose another name for this input.`, decl.nameRange);
    } else if (declared.slice(0, index).some((other) => other.name === decl.name)) {
      sink.add('duplicate-name', `The input '${decl.name}' is declared twice.`, decl.nameRange);
      continue;
    }
    inputNodes.push(addNode({ id: decl.name, name: decl.name, kind: 'input', inputs: [], args: {}, range: decl.range, group: null }, inputShape(decl.dims, decl.range, sink), 'new', [], null));
  }
  const input = inputNodes[0];

  const root = newFrame('', null, new Map(), input.id, null, [], model.body);
  if (model.inputs.length > 0) {
    // Named inputs are tensors of the model's scope, like labels, and a label may not take their names.
    for (const [index, node] of inputNodes.entries()) {
      root.tensors.set(node.id, node.id);
      root.usedNames.add(node.id);
      root.labelOwners.set(node.id, declared[index].nameRange.start);
    }
  }
  try {
    runStatements(model.body, root);
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    complete = false;
  }
  const output = root.current ?? input.id;
  if (options.withoutSkips) pruneUnused(output);
  if (inputNodes.length > 1 && complete) {
    const read = new Set(nodes.flatMap((n) => n.inputs));
    for (const node of inputNodes) {
      if (!read.has(node.id) && node.id !== output) sink.add('unused-input', `The input '${node.id}' is never used; read it (${node.id} -> …) or remove it.`, declared.find((d) => d.name === node.id)!.nameRange, undefined, 'warning');
    }
  }
  return { nodes, nodeById, groups, output, inputs: inputNodes.map((n) => n.id), outputKnown: root.current !== null, complete: complete && nodes.every((n) => n.shape !== null) };

  /**
   * Without its skips a model no longer uses its shortcut branches (a projection's conv and bn): drop every
   * node the output does not depend on, so parameters, MACs and memory count only what is trained.
   */
  function pruneUnused(outputId: string): void {
    const used = new Set<string>(inputNodes.map((n) => n.id));
    const pending = [outputId];
    while (pending.length > 0) {
      const id = pending.pop()!;
      if (used.has(id) && nodeById.get(id)?.kind !== 'input') continue;
      used.add(id);
      for (const source of nodeById.get(id)?.inputs ?? []) if (!used.has(source)) pending.push(source);
    }
    if (used.size === nodes.length) return;
    const kept = nodes.filter((n) => used.has(n.id));
    nodes.splice(0, nodes.length, ...kept);
    for (const id of [...nodeById.keys()]) if (!used.has(id)) nodeById.delete(id);
    for (const group of groups) group.nodes = group.nodes.filter((id) => used.has(id));
  }

  function spend(range: Range): void {
    if (++work > maxWork) {
      sink.add('model-too-large', `Model '${model.name}' expands to more than ${maxWork.toLocaleString('en-US')} layers and repetitions; analysis stopped here.`, range);
      throw new TooLarge();
    }
  }

  function runStatements(statements: Statement[], frame: Frame): void {
    for (const statement of statements) {
      if (statement.kind === 'chain') runChain(statement, frame, statement.label, statement.labelRange);
      else runRepeat(statement, frame);
    }
  }

  function runRepeat(statement: Extract<Statement, { kind: 'repeat' }>, frame: Frame): void {
    const count = evaluate(statement.count, scopeOf(frame), sink);
    if (count === undefined) return;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      sink.add('invalid-size', `repeat needs a whole number ≥ 0, not ${formatValue(count)}.`, statement.count.range);
      return;
    }
    // `label: repeat N stmt` draws as one group holding its copies, like a block call; ids keep the scope's
    // prefix (copies stay `block1_1/conv1`, as torchvision names them), so membership is by `group`, not by id.
    const outer = frame.group;
    const whole = frame.group !== null && frame.body.length === 1 && frame.body[0] === statement;
    const wrapper = statement.label && statement.labelRange && !Array.isArray(statement.body) && count > 0 && !whole
      ? openGroup(frame, localName(frame, 'repeat', statement.label, statement.labelRange, sink), 'repeat', statement.range, true)
      : null;
    if (wrapper) frame.group = wrapper;
    for (let i = 1; i <= count; i++) {
      spend(statement.keywordRange);
      const label = statement.label ? copyName(statement.label, i) : undefined;
      if (!Array.isArray(statement.body)) {
        runChain(statement.body, frame, label, statement.labelRange);
      } else if (label) {
        const group = openGroup(frame, localName(frame, 'repeat', label, statement.labelRange, sink), 'repeat', statement.range);
        const child = newFrame(`${group.id}/`, group, frame.params, frame.current, frame, frame.stack, statement.body);
        runStatements(statement.body, child);
        group.output = child.current;
        frame.current = child.current;
      } else runStatements(statement.body, frame);
    }
    if (wrapper) {
      wrapper.output = frame.current;
      frame.group = outer;
    }
    if (statement.label) frame.tensors.set(statement.label, frame.current);
  }

  function runChain(chain: ChainStatement, frame: Frame, label: string | undefined, labelRange: Range | undefined): void {
    let current = frame.current;
    // A statement the parser could not read (reported there): what follows starts from an unknown tensor.
    if (chain.elements.length === 0) current = null;
    chain.elements.forEach((element, index) => {
      const isLast = index === chain.elements.length - 1;
      const elementLabel = element.label ?? (isLast ? label : undefined);
      const elementLabelRange = element.labelRange ?? labelRange;
      const spec = LAYERS.get(element.name);
      const block = spec ? undefined : blocks.get(element.name);
      const before = current;
      if (element.name === 'shared' && element.args && !block) current = runShared(element, frame, current, elementLabel, elementLabelRange);
      else if (spec) current = runLayer(spec, element, frame, current, elementLabel, elementLabelRange);
      else if (block) current = runBlock(block, element, frame, current, elementLabel, elementLabelRange);
      // Calls of unknown names and names after an arrow are reported by checkDeclarations.
      else if (element.args || index > 0) current = null;
      else if (!isTensor(element.name, frame) && foreignName(element, LAYERS)) {
        reportUnknownLayer(element, blocks, sink);
        current = null;
      } else current = resolveTensor(element.name, element.nameRange, frame, current);
      if (elementLabel && before !== null && current !== null && element.name !== 'shared') remember(frame, elementLabel, spec, block, before, current);
      if (element.label) frame.tensors.set(element.label, current);
    });
    frame.current = current;
    if (label) frame.tensors.set(label, current);
  }

  /** Records a labelled layer or block call so `shared(label)` can apply it again. */
  function remember(frame: Frame, label: string, spec: LayerSpec | undefined, block: BlockDecl | undefined, input: string, output: string): void {
    const node = nodeById.get(output);
    if (spec && !spec.merge && node && node.kind === spec.kind) {
      frame.applied.set(label, { kind: 'layer', node: node.sharedWith ?? node.id, input, spec, args: node.args, range: node.range });
    } else if (block && lastBlockCall) {
      frame.applied.set(label, { kind: 'block', group: lastBlockCall.group, input, block, params: lastBlockCall.params, range: lastBlockCall.group.callRange });
    }
  }

  /**
   * `shared(label)`: the layer or block instance `label` applied again to the current tensor with the same
   * weights (tied weights, as one nn.Module called twice in PyTorch, e.g. the twin towers of a Siamese network,
   * Bromley et al. 1993, section 2). The new nodes count MACs but no parameters or buffers: those are the
   * original's, counted once.
   */
  function runShared(element: Element, frame: Frame, current: string | null, label: string | undefined, labelRange: Range | undefined): string | null {
    spend(element.range);
    const args = element.args ?? [];
    const target = args.length === 1 && !args[0].name && args[0].value.kind === 'name' ? args[0].value : undefined;
    if (!target) {
      sink.add('argument-count', 'shared takes one label: the labelled layer or block call to apply again, e.g. shared(tower).', element.argsRange ?? element.range);
      return null;
    }
    let applied: Applied | undefined;
    for (let scope: Frame | null = frame; scope && !applied; scope = scope.outer) applied = scope.applied.get(target.name);
    if (!applied) {
      if (isTensor(target.name, frame)) {
        sink.add('argument-type', `'${target.name}' is not a labelled layer or block call: shared(…) applies the weights of one written before it, as in 'tower: conv(32, 3)' then 'shared(tower)'.`, target.range);
      } else {
        const known: string[] = [];
        for (let scope: Frame | null = frame; scope; scope = scope.outer) known.push(...scope.applied.keys());
        const { hint, fix } = suggest(target.name, known.sort(), target.range);
        sink.add('unknown-name', `Unknown layer or block label '${target.name}'.${hint}`, target.range, undefined, 'error', fix);
      }
      return null;
    }
    const originalInput = nodeById.get(applied.input)?.shape;
    const shape = current ? nodeById.get(current)?.shape : null;
    if (!current || !shape || !originalInput) return current === null ? null : addShared(applied, frame, current, label, labelRange, element, false);
    if (shape.length !== originalInput.length || shape.some((d, i) => d !== originalInput[i])) {
      const original = applied.kind === 'layer' ? applied.node : applied.group.id;
      sink.add(
        'shape-mismatch',
        `shared(${target.name}) applies the weights of ${original}, built for ${formatShape(originalInput)}, to ${formatShape(shape)}; tied weights need the same input shape.`,
        element.range,
        [
          { range: applied.range, message: `${original} is applied to ${formatShape(originalInput)} (from ${applied.input})` },
          { range: nodeById.get(current)!.range, message: `this input is ${formatShape(shape)} (from ${current})` },
        ],
      );
      return null;
    }
    return addShared(applied, frame, current, label, labelRange, element, true);
  }

  function addShared(applied: Applied, frame: Frame, current: string, label: string | undefined, labelRange: Range | undefined, element: Element, known: boolean): string | null {
    if (label) frame.applied.set(label, applied);
    if (applied.kind === 'layer') {
      const name = localName(frame, applied.spec.kind, label, labelRange, sink);
      const input = nodeById.get(current)!;
      const node = addNode({ id: frame.prefix + name, name, kind: applied.spec.kind, inputs: [current], args: applied.args, range: element.range, group: frame.group?.id ?? null }, null, 'new', [input], frame.group);
      node.sharedWith = applied.node;
      if (!known) return node.id;
      const result = applied.spec.infer([input.shape!], applied.args);
      if (!result.ok) return node.id; // the original reported this already: same layer, same shape
      fillNode(node, result.shape, result.provenance, [input]);
      node.macs = result.macs;
      return node.id;
    }
    const { group: original, block, params } = applied;
    const group = openGroup(frame, localName(frame, block.name, label, labelRange, sink), block.name, element.range);
    group.sharedWith = original.id;
    const first = nodes.length;
    const firstGroup = groups.length;
    const child = newFrame(`${group.id}/`, group, params, current, null, [...frame.stack, block.name], block.body);
    sink.enter({ range: element.range, message: `in shared block instance ${group.id}` });
    try {
      runStatements(block.body, child);
    } finally {
      sink.leave();
    }
    group.output = child.current;
    // The same body with the same arguments and input shape makes the same node ids under the new prefix.
    const twin = (id: string): string => original.id + id.slice(group.id.length);
    for (const node of nodes.slice(first)) {
      const source = nodeById.get(twin(node.id));
      node.sharedWith = source ? (source.sharedWith ?? source.id) : null;
      node.params = 0n;
      node.buffers = 0n;
    }
    for (const inner of groups.slice(firstGroup + 1)) inner.sharedWith = twin(inner.id);
    return child.current;
  }

  function isTensor(name: string, frame: Frame): boolean {
    if (name === '_' || name === 'in' || name === 'input') return true;
    for (let scope: Frame | null = frame; scope; scope = scope.outer) if (scope.tensors.has(name)) return true;
    return false;
  }

  function resolveTensor(name: string, range: Range, frame: Frame, current: string | null, asMergeInput = false): string | null {
    if (name === '_') return current;
    if (name === 'in' || name === 'input') return frame.input;
    for (let scope: Frame | null = frame; scope; scope = scope.outer) {
      // A label whose statement failed maps to null: its error is already reported.
      if (scope.tensors.has(name)) return scope.tensors.get(name) ?? null;
    }
    const labels: string[] = [];
    for (let scope: Frame | null = frame; scope; scope = scope.outer) labels.push(...scope.tensors.keys());
    // The order completion lists names in (labels and blocks, layers, then in and _): ties go to the first.
    const candidates = asMergeInput ? [...labels.sort(), 'in', '_'] : [...[...labels, ...blocks.keys()].sort(), ...LAYERS.keys(), 'in', '_'];
    const { hint, fix } = suggest(name, candidates, range);
    sink.add('unknown-name', `Unknown ${asMergeInput ? 'tensor' : 'layer, block or tensor'} '${name}'.${hint}`, range, undefined, 'error', fix);
    return null;
  }

  function scopeOf(frame: Frame, current: string | null = frame.current): EvalScope {
    return {
      lookup: (name) => frame.params.get(name),
      names: () => [...frame.params.keys()],
      channels: () => {
        const shape = current ? nodeById.get(current)?.shape : null;
        return shape ? channelsOf(shape) : undefined;
      },
    };
  }

  function openGroup(frame: Frame, name: string, block: string, callRange: Range, copies = false): BlockGroup {
    const group: BlockGroup = { id: frame.prefix + name, name, block, parent: frame.group?.id ?? null, callRange, nodes: [], output: null, params: 0n, macs: 0n, copies, sharedWith: null };
    groups.push(group);
    return group;
  }

  function runBlock(block: BlockDecl, element: Element, frame: Frame, current: string | null, label: string | undefined, labelRange: Range | undefined): string | null {
    spend(element.range);
    lastBlockCall = null;
    if (recursive.has(block.name) || frame.stack.includes(block.name)) return null;
    if (frame.stack.length >= MAX_BLOCK_DEPTH) {
      sink.add('model-too-large', `Blocks are nested more than ${MAX_BLOCK_DEPTH} deep here; analysis stopped.`, element.range);
      throw new TooLarge();
    }
    const params = new Map<string, Value>();
    const failedParams = new Set<string>();
    const callerScope = scopeOf(frame, current);
    const args = element.args ?? [];
    let ok = true;
    let position = 0;
    for (const arg of args) {
      let name: string;
      if (arg.name) {
        name = arg.name;
        if (!block.params.some((p) => p.name === name)) {
          const nameRange = arg.nameRange ?? arg.range;
          const { hint, fix } = suggest(name, block.params.map((p) => p.name), nameRange);
          sink.add('unknown-argument', `Block '${block.name}' has no parameter '${name}'.${hint}`, nameRange, undefined, 'error', fix);
          ok = false;
          continue;
        }
      } else {
        if (position >= block.params.length) {
          sink.add('argument-count', `Block '${block.name}' takes at most ${block.params.length} argument(s).`, arg.range);
          ok = false;
          continue;
        }
        name = block.params[position++].name;
      }
      if (params.has(name)) {
        sink.add('duplicate-argument', `'${name}' is given twice.`, arg.range);
        ok = false;
        continue;
      }
      const value = evaluate(arg.value, callerScope, sink);
      if (value === undefined) {
        ok = false;
        failedParams.add(name);
      } else params.set(name, value);
    }
    for (const [index, param] of block.params.entries()) {
      if (params.has(param.name) || failedParams.has(param.name)) continue;
      if (!param.default) {
        sink.add('missing-argument', `Block '${block.name}' needs a value for '${param.name}'.`, element.range);
        ok = false;
        continue;
      }
      // A default sees the parameters before it only, given or not: in `q=valid, valid=1`, q is the word valid.
      const earlier = new Set(block.params.slice(0, index).map((p) => p.name));
      const value = evaluate(param.default, { lookup: (name) => (earlier.has(name) ? params.get(name) : undefined), channels: callerScope.channels }, sink);
      if (value === undefined) ok = false;
      else params.set(param.name, value);
    }
    if (!ok) return null;
    const group = openGroup(frame, localName(frame, block.name, label, labelRange, sink), block.name, element.range);
    const child = newFrame(`${group.id}/`, group, params, current, null, [...frame.stack, block.name], block.body);
    // Errors in the body depend on this call's arguments and input: they name this call site.
    sink.enter({ range: element.range, message: `in block instance ${group.id}` });
    try {
      runStatements(block.body, child);
    } finally {
      sink.leave();
    }
    group.output = child.current;
    lastBlockCall = { group, params };
    return child.current;
  }

  function runLayer(written: LayerSpec, element: Element, frame: Frame, current: string | null, label: string | undefined, labelRange: Range | undefined): string | null {
    spend(element.range);
    let spec = written;
    let inputs: (string | null)[];
    let args: LayerArgs | undefined;
    if (spec.merge) {
      inputs = mergeInputs(spec, element, frame, current);
      args = {};
      if (options.withoutSkips && inputs.length >= 2 && inputs.every((id) => id !== null)) {
        const deepest = (inputs as string[]).reduce((best, id) => ((depth.get(id) ?? 0) > (depth.get(best) ?? 0) ? id : best));
        const removed = (inputs as string[]).filter((id) => id !== deepest);
        spec = LAYERS.get('identity')!;
        inputs = [deepest];
        args = { removedSkip: { text: removed.join(', ') } };
      }
    } else {
      inputs = [current];
      const isTensor = (name: string): boolean => {
        if (frame.params.has(name)) return false;
        if (name === 'in' || name === '_') return true;
        for (let f: Frame | null = frame; f; f = f.outer) if (f.tensors.has(name)) return true;
        return false;
      };
      args = reportTensorArguments(spec, element, isTensor, sink) ? undefined : layerArgs(spec, element, scopeOf(frame, current), [...frame.params.keys()], sink);
    }
    const name = localName(frame, written.kind, label, labelRange, sink);
    const known = inputs.every((id) => id !== null) && args !== undefined;
    const inputNodes = known ? inputs.map((id) => nodeById.get(id as string)!) : [];
    const inputShapes = inputNodes.map((n) => n.shape);
    const node = addNode(
      { id: frame.prefix + name, name, kind: spec.kind, inputs: inputs.filter((id): id is string => id !== null), args: args ?? {}, range: element.range, group: frame.group?.id ?? null },
      null,
      'new',
      inputNodes,
      frame.group,
    );
    if (!known || inputShapes.some((s) => s === null)) return node.id;
    const result = spec.infer(inputShapes as Shape[], args!);
    if (!result.ok) {
      const related: RelatedInformation[] = inputNodes.map((n, i) => ({
        range: n.range,
        message: `input ${i + 1}${spec.merge ? ` '${element.args?.[i] ? describeArg(element.args[i]) : n.name}'` : ''} is ${formatShape(n.shape)} (from ${n.id})`,
      }));
      sink.add(result.code, result.message, argumentRange(spec, element, result.argument) ?? element.range, related);
      return node.id;
    }
    // Shapes are doubles: a dimension past 2^53 − 1 could not be exact, so it is an error, not a rounding.
    const huge = result.shape.find((dim) => !Number.isSafeInteger(dim));
    if (huge !== undefined) {
      sink.add('invalid-shape', `${spec.kind} would make a dimension of about ${huge.toPrecision(4)}, more than ${MAX_DIMENSION_TEXT} (2^53 − 1), the largest size computed exactly.`, element.range);
      return node.id;
    }
    fillNode(node, result.shape, result.provenance, inputNodes);
    node.params = result.params;
    node.buffers = result.buffers;
    node.macs = result.macs;
    return node.id;
  }

  function mergeInputs(spec: LayerSpec, element: Element, frame: Frame, current: string | null): (string | null)[] {
    const args = element.args ?? [];
    if (args.length < 2) {
      sink.add('argument-count', `${spec.kind} needs at least two tensors, e.g. ${spec.kind}(in, _).`, element.range);
      return [null];
    }
    return args.map((arg) => {
      if (arg.name) {
        sink.add('unknown-argument', `${spec.kind} takes only tensor names, not '${arg.name}='.`, arg.range);
        return null;
      }
      if (arg.value.kind !== 'name') {
        sink.add('argument-type', `${spec.kind} takes tensor names (such as in, _ or a label), not an expression.`, arg.range);
        return null;
      }
      return resolveTensor(arg.value.name, arg.value.range, frame, current, true);
    });
  }

  function addNode(base: NodeBase, shape: Shape | null, provenance: 'new', inputNodes: GraphNode[], group: BlockGroup | null): GraphNode {
    const node = emptyNode(base);
    if (nodeById.has(node.id)) {
      // Unreachable with the naming rules above; kept so a bug can never corrupt the graph silently.
      node.id = `${node.id}#${nodes.length}`;
    }
    nodes.push(node);
    nodeById.set(node.id, node);
    depth.set(node.id, 1 + node.inputs.reduce((deepest, id) => Math.max(deepest, depth.get(id) ?? 0), 0));
    group?.nodes.push(node.id);
    if (shape) fillNode(node, shape, provenance, inputNodes);
    return node;
  }
}

/** How an argument reads in a message: its tensor name, or '?' for an expression. */
function describeArg(arg: Argument): string {
  return arg.value.kind === 'name' ? arg.value.name : '?';
}

import type { Analysis } from '../core/analyze';
import type { BlockDecl, ChainStatement, Element, Expr, Parameter, RepeatStatement, Statement } from '../core/ast';
import { copyName, copyStem, forEachElement } from '../core/checks';
import type { ModelGraph } from '../core/graph';
import { LAYERS } from '../core/layers';
import { formatCount } from '../core/format';
import type { Range } from '../core/text';
import { type AblationPlan, planAblation } from './ablation';
import { SEQUENCE_KINDS, SEQUENCE_PREAMBLE } from './sequenceModules';
import { layerModule } from './layerModules';
import { addCount, type Family, type Name, NamingError, ScopeNames } from './names';
import { attributeName, attributeRef, className, constantValue, PREAMBLE, type PyScope, pythonExpr, pythonName, PYTHON_RESERVED, pythonType, type PyType } from './python';

export interface ExportProblem {
  message: string;
  range: Range;
}

export type PyTorchExport = { ok: true; code: string; className: string } | { ok: false; problems: ExportProblem[] };

export interface PyTorchExportOptions {
  /**
   * Write the no-skip ablation: `analysis` and `model` are then withoutSkipConnections(text)'s. Each merge is written
   * as the core's ablation computes it, an nn.Identity (named as the merge) of its deepest input, and every layer or
   * block call the output no longer depends on is left out, so the module has the core's ablation parameter count,
   * names and shapes (see src/export/ablation.ts).
   */
  withoutSkips?: boolean;
}

interface TensorRef {
  /** Python variable in forward(), and the variable in __init__ that holds its shape (C, H, W) or (N,). */
  value: string;
  shape: string;
}

/** Where statements are being written: one SkipNet scope inside one generated class. */
interface Context {
  names: ScopeNames;
  /** Python expression of the module that owns this scope's submodules: `self`, or `self.stage1` for a labelled repeat's copy. */
  owner: string;
  indent: string;
  /** Index of the enclosing loop's count in `self.counts`, when inside a repeat whose count is known only in PyTorch. */
  loop?: number;
  tensors: Map<string, TensorRef>;
  outer?: Context;
  input: TensorRef;
  current: TensorRef;
  /** Labelled layer and block calls by label: the submodule and its output shape, which `shared(label)` calls again. */
  modules: Map<string, { ref: string; shape: string }>;
}

/** Stands for the output of a call the ablation leaves out: nothing the output depends on reads it. */
const LEFT_OUT: TensorRef = { value: 'None', shape: 'None' };

/** A model's named input, written as an argument of forward(). */
interface NamedInput {
  name: string;
  /** (C, H, W) or (N,). */
  shape: string;
}

/**
 * Writes a readable, dependency-free PyTorch module for one model: one class per block (constructor
 * arguments = the input shape (C, H, W) or (N,), then the block parameters), submodules named as SkipNet names
 * its nodes, and the forward pass in source order. Repeats with a count known here are written out; a repeat
 * over a block parameter becomes a loop. The file imports only torch. Returns the problems instead when the
 * analysis has errors or a name cannot be reproduced in PyTorch (each with a source range). With
 * `options.withoutSkips`, writes the no-skip ablation of the model (PyTorchExportOptions).
 */
export function exportPyTorch(analysis: Analysis, model: ModelGraph, sourceName: string, options: PyTorchExportOptions = {}): PyTorchExport {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { ok: false, problems: errors.map((d) => ({ message: d.message, range: d.range })) };
  const decl = analysis.file.models.find((m) => m.name === model.name);
  if (!decl) return { ok: false, problems: [{ message: `No model '${model.name}'.`, range: { start: 0, end: 0 } }] };

  const inputRanks = new Map<number, Set<number>>();
  for (const node of model.nodes) {
    const rank = node.inputs.length ? model.nodeById.get(node.inputs[0])?.shape?.length : undefined;
    if (rank === undefined) continue;
    const ranks = inputRanks.get(node.range.start) ?? new Set<number>();
    ranks.add(rank);
    inputRanks.set(node.range.start, ranks);
  }
  const isBlock = (name: string): boolean => !LAYERS.has(name) && analysis.blocks.has(name);
  const order: BlockDecl[] = [];
  const seen = new Set<string>();
  const visit = (statements: Statement[]): void =>
    forEachElement(statements, (element) => {
      const block = analysis.blocks.get(element.name);
      if (!block || !isBlock(element.name) || seen.has(block.name)) return;
      seen.add(block.name);
      visit(block.body);
      order.push(block);
    });
  visit(decl.body);
  const taken = new Set<string>();
  const classNames = new Map<string, string>();
  for (const block of order) {
    const name = className(block.name, taken);
    taken.add(name);
    classNames.set(block.name, name);
  }
  const modelClass = className(model.name, taken);
  const types = parameterTypes(order, decl.body, analysis.blocks);

  /** The ablation's decisions per source element (set first in the try below: planning may refuse, with a range). */
  let ablation: AblationPlan | undefined;
  try {
    ablation = options.withoutSkips ? planAblation(analysis, model) : undefined;
    const classes = order.map((block) => writeClass(classNames.get(block.name)!, block.params, block.body, `block ${block.name}(${block.params.map((p) => analysis.text.slice(p.range.start, p.range.end)).join(', ')})`, block.range, types.get(block.name)!));
    const torchShape = (dims: number[]): string => (dims.length === 3 ? `(${dims[2]}, ${dims[0]}, ${dims[1]})` : `(${dims[0]},)`);
    const inShape = torchShape(model.inputShape);
    const named: NamedInput[] = decl.inputs.map((input) => ({ name: input.name, shape: torchShape(input.dims) }));
    const inputsDoc = named.length > 0 ? `inputs ${decl.inputs.map((i) => `${i.name} ${i.dims.join('x')}`).join(', ')} (NCHW here: ${named.map((i) => i.shape).join(', ')})` : `input ${model.inputShape.join('x')} (NCHW here: ${inShape})`;
    classes.push(writeClass(modelClass, [], decl.body, `model ${model.name}, ${inputsDoc}`, decl.range, new Map(), inShape, named));
    const header = [
      `"""${model.name}: exported by SkipNet from ${sourceName.replace(/\\/g, '/').replace(/"""/g, '')}.`,
      '',
      'Plain PyTorch, no other dependency. Tensors are NCHW here (SkipNet writes shapes H×W×C); sequences are (N, T, D).',
      ...(ablation ? ['The no-skip ablation: every add and concat keeps only its deepest input (an nn.Identity named as the merge),', 'and the layers only a skip connection used are left out.'] : []),
      `Trainable parameters: ${formatCount(model.totals.params)} (SkipNet's count).`,
      'The module trains anywhere PyTorch does, e.g. under torchrun with DistributedDataParallel.',
      '"""',
      '',
    ].join('\n');
    const footer = [
      '',
      '',
      'if __name__ == "__main__":',
      `    model = ${modelClass}()`,
      '    print(model)',
      '    print("trainable parameters:", sum(p.numel() for p in model.parameters() if p.requires_grad))',
      decl.inputs.length > 0 ? '    print("output:", tuple(model(*[torch.zeros(2, *shape) for shape in model.in_shapes]).shape))' : `    print("output:", tuple(model(torch.zeros(2, *model.in_shape)).shape))`,
      '',
    ].join('\n');
    const sequences = model.nodes.some((n) => SEQUENCE_KINDS.has(n.kind)) ? SEQUENCE_PREAMBLE : '';
    return { ok: true, code: `${header}${PREAMBLE}${sequences}\n\n${classes.join('\n\n\n')}${footer}`, className: modelClass };
  } catch (error) {
    if (error instanceof NamingError) return { ok: false, problems: [{ message: error.message, range: error.range }] };
    throw error;
  }

  function writeClass(name: string, params: Parameter[], body: Statement[], doc: string, range: Range, paramTypes: Map<string, PyType>, fixedInput?: string, named: NamedInput[] = []): string {
    const locals = new Set<string>(['self', 'x', 'in_shape', 'i']);
    const pyParams = new Map<string, { name: string; type: PyType }>();
    for (const param of params) {
      const py = parameterName(param.name);
      locals.add(py);
      pyParams.set(param.name, { name: py, type: paramTypes.get(param.name) ?? 'other' });
    }
    /** A fresh local variable, never a builtin, a module-level name or another local of this class. */
    const local = (base: string): string => {
      let name = PYTHON_RESERVED.has(base) ? `${base}_` : base;
      for (let n = 2; locals.has(name); n++) name = `${base}_${n}`;
      locals.add(name);
      return name;
    };
    const init: string[] = [];
    const forward: string[] = [];
    let counts = 0;
    /** The submodule and output shape of the last layer or block call written, which a label records. */
    let lastModule: { ref: string; shape: string } | undefined;
    const scopeAt = (shape: string): PyScope => ({ params: pyParams, shape });
    // A default sees only the parameters before it (as in the core): a later one's name there is a word.
    const defaultScope = (index: number): PyScope => ({ params: new Map([...pyParams].slice(0, index)), shape: 'in_shape' });

    // Python requires parameters with defaults last: a required one after them becomes keyword-only.
    const signature = ['self', named.length > 0 ? `in_shapes=(${named.map((i) => i.shape).join(', ')})` : fixedInput ? `in_shape=${fixedInput}` : 'in_shape'];
    const keywordOnly = keywordOnlyStart(params);
    params.forEach((param, index) => {
      if (index === keywordOnly) signature.push('*');
      const py = pyParams.get(param.name)!.name;
      const constant = param.default && constantValue(param.default, defaultScope(index)) !== undefined;
      signature.push(param.default ? `${py}=${constant ? pythonExpr(param.default, defaultScope(index)) : 'None'}` : py);
    });
    init.push(`def __init__(${signature.join(', ')}):`, '    super().__init__()');
    // Several inputs: forward() takes one tensor per input, in the order declared, and in_shapes holds their shapes.
    if (named.length > 0) init.push('    in_shape = in_shapes[0]', '    self.in_shapes = in_shapes');
    init.push('    self.in_shape = in_shape');
    params.forEach((param, index) => {
      if (param.default && constantValue(param.default, defaultScope(index)) === undefined) {
        const py = pyParams.get(param.name)!.name;
        init.push(`    if ${py} is None:`, `        ${py} = ${pythonExpr(param.default, defaultScope(index))}`);
      }
    });
    const countsAt = init.length;
    const inputRefs = named.map((input, index): [string, TensorRef] => [input.name, { value: local(pythonName(input.name)), shape: `in_shapes[${index}]` }]);
    const input: TensorRef = inputRefs[0]?.[1] ?? { value: 'x', shape: 'in_shape' };
    const root: Context = { names: newNames(body, range), owner: 'self', indent: '    ', tensors: new Map(inputRefs), input, current: input, modules: new Map() };
    runStatements(body, root);
    if (counts > 0) init.splice(countsAt, 0, '    self.counts = []');
    init.push(`    self.out_shape = ${root.current.shape}`);
    forward.push(`    return ${root.current.value}`);
    const indentAll = (lines: string[]): string[] => lines.map((line) => `    ${line}`);
    const forwardArgs = named.length > 0 ? inputRefs.map(([, ref]) => ref.value).join(', ') : 'x';
    return [`class ${name}(nn.Module):`, `    """${doc.replace(/"""/g, '')}"""`, '', ...indentAll(init), '', ...indentAll([`def forward(self, ${forwardArgs}):`, ...forward])].join('\n');

    function newNames(statements: Statement[], at: Range): ScopeNames {
      const constantCount = (count: Expr): ReturnType<typeof constantValue> => constantValue(count, scopeAt('in_shape'));
      return new ScopeNames(statements, scopeFamilies(statements, constantCount, isBlock), constantCount, at);
    }

    function runStatements(statements: Statement[], ctx: Context): void {
      for (const statement of statements) {
        if (statement.kind === 'chain') runChain(statement, ctx, statement.label, statement.labelRange?.start);
        else runRepeat(statement, ctx);
      }
    }

    function resolve(reference: string, ctx: Context, range: Range): TensorRef {
      if (reference === '_') return ctx.current;
      if (reference === 'in' || reference === 'input') return ctx.input;
      for (let scope: Context | undefined = ctx; scope; scope = scope.outer) {
        const found = scope.tensors.get(reference);
        if (found) return found;
      }
      throw new NamingError(`Cannot export: unknown tensor '${reference}'.`, range);
    }

    function runChain(chain: ChainStatement, ctx: Context, label: string | undefined, owner: number | undefined): void {
      chain.elements.forEach((element, index) => {
        const spec = LAYERS.get(element.name);
        const ownLabel = element.label ?? (index === chain.elements.length - 1 ? label : undefined);
        if (element.name === 'shared' && element.args && !isBlock(element.name)) ctx.current = emitShared(element, ctx, ownLabel);
        else if (!spec && !isBlock(element.name)) ctx.current = resolve(element.name, ctx, element.nameRange);
        else {
          const ownOwner = element.labelRange?.start ?? owner ?? element.range.start;
          const name = ownLabel ? ctx.names.labelled(ownLabel, ownOwner, element.range) : ctx.names.numbered(spec?.kind ?? element.name, element.range);
          ctx.current = emitElement(element, ctx, name);
          if (ownLabel && lastModule && !spec?.merge) ctx.modules.set(ownLabel, lastModule);
        }
        if (element.label) ctx.tensors.set(element.label, ctx.current);
      });
      if (label) ctx.tensors.set(label, ctx.current);
    }

    /** `shared(label)`: the labelled submodule called again, so its weights are tied (one module, two calls). */
    function emitShared(element: Element, ctx: Context, label: string | undefined): TensorRef {
      if (ablation?.leftOut.has(element.range.start)) return LEFT_OUT;
      const target = element.args?.[0]?.value;
      let module: { ref: string; shape: string } | undefined;
      for (let scope: Context | undefined = ctx; scope && !module; scope = scope.outer) module = target?.kind === 'name' ? scope.modules.get(target.name) : undefined;
      if (!module) throw new NamingError('Cannot export: shared(…) names no labelled layer or block call of this scope.', element.range);
      if (label) ctx.modules.set(label, module);
      const value = local(label ?? 'shared');
      const out: TensorRef = { value, shape: local(`s_${value}`) };
      init.push(`${ctx.indent}${out.shape} = ${module.shape}`);
      forward.push(`${ctx.indent}${out.value} = ${module.ref}(${ctx.current.value})`);
      return out;
    }

    /** Writes one layer or block call; returns the tensor it makes. */
    function emitElement(element: Element, ctx: Context, name: Name): TensorRef {
      if (ablation?.leftOut.has(element.range.start)) {
        lastModule = undefined;
        return LEFT_OUT;
      }
      const spec = LAYERS.get(element.name);
      const base = name.text ?? spec?.kind ?? element.name;
      const value = local(base);
      const out: TensorRef = { value, shape: local(`s_${value}`) };
      const i = ctx.indent;
      const kept = spec?.merge ? ablation?.kept.get(element.range.start) : undefined;
      if (spec?.merge && kept === undefined) {
        const inputs = (element.args ?? []).map((arg) => resolve(arg.value.kind === 'name' ? arg.value.name : '', ctx, arg.range));
        if (element.name === 'add') {
          init.push(`${i}${out.shape} = ${inputs[0].shape}`);
          forward.push(`${i}${out.value} = ${inputs.map((t) => t.value).join(' + ')}`);
        } else if (element.name === 'mul' || element.name === 'gate') {
          init.push(`${i}${out.shape} = broadcast_shape([${inputs.map((t) => t.shape).join(', ')}])`);
          // gate(h, t, x) = h·t + x·(1 − t) is lerp from x to h by t.
          const [h, t, x] = inputs.map((ref) => ref.value);
          forward.push(`${i}${out.value} = ${element.name === 'mul' ? `broadcast_mul([${inputs.map((ref) => ref.value).join(', ')}])` : `torch.lerp(*as_maps([${x}, ${h}, ${t}]))`}`);
        } else {
          init.push(`${i}${out.shape} = (${inputs.map((t) => `${t.shape}[0]`).join(' + ')}, *${inputs[0].shape}[1:])`);
          forward.push(`${i}${out.value} = torch.cat([${inputs.map((t) => t.value).join(', ')}], dim=1)`);
        }
        return out;
      }
      let input = ctx.current;
      if (kept !== undefined) {
        const arg = element.args![kept];
        input = resolve(arg.value.kind === 'name' ? arg.value.name : '', ctx, arg.range);
        // The reader sees where the ablation differs from the source: the merge as written, and what it keeps.
        forward.push(`${i}# no skip: ${analysis.text.slice(element.range.start, element.range.end).replace(/\s+/g, ' ')} keeps ${analysis.text.slice(arg.range.start, arg.range.end)}`);
      }
      const scope = scopeAt(input.shape);
      const attribute = name.text === undefined ? name.py : JSON.stringify(attributeName(name.text));
      const ref = name.text === undefined ? `getattr(${ctx.owner}, ${name.py})` : attributeRef(ctx.owner, attributeName(name.text));
      let module: string;
      let shape: string;
      if (kept !== undefined) [module, shape] = ['nn.Identity()', input.shape];
      else if (spec) [module, shape] = layerModule(spec, element, scope, inputRanks.get(element.range.start));
      else {
        module = `${classNames.get(element.name)}(${[ctx.current.shape, ...blockArguments(analysis.blocks.get(element.name)!, element, scope)].join(', ')})`;
        shape = `${ref}.out_shape`;
      }
      init.push(`${i}${ref.startsWith('getattr(') ? `${ctx.owner}.add_module(${attribute}, ${module})` : `${ref} = ${module}`}`);
      init.push(`${i}${out.shape} = ${shape}`);
      forward.push(`${i}${out.value} = ${ref}(${input.value})`);
      lastModule = { ref, shape: out.shape };
      return out;
    }

    function runRepeat(statement: RepeatStatement, ctx: Context): void {
      const count = constantValue(statement.count, scopeAt(ctx.current.shape));
      if (typeof count === 'number') {
        for (let copy = 1; copy <= count; copy++) runCopy(statement, ctx, statement.label ? copyName(statement.label, copy) : undefined);
      } else runLoop(statement, ctx);
      if (statement.label) ctx.tensors.set(statement.label, ctx.current);
    }

    /** One copy of a repeat whose count is known here. */
    function runCopy(statement: RepeatStatement, ctx: Context, label: string | undefined): void {
      const owner = statement.labelRange?.start;
      if (!Array.isArray(statement.body)) return runChain(statement.body, ctx, label, owner);
      if (!label) return runStatements(statement.body, ctx);
      // A labelled repeat body: each copy is its own scope, a submodule holding that copy's layers.
      const name = ctx.names.labelled(label, owner ?? statement.range.start, statement.range);
      if (name.text === undefined) throw new NamingError('Cannot export: a labelled repeat with a body inside a repeat whose count is known only in PyTorch.', statement.range);
      const ref = attributeRef(ctx.owner, attributeName(name.text));
      init.push(`${ctx.indent}${ref.startsWith('getattr(') ? `${ctx.owner}.add_module(${JSON.stringify(name.text)}, nn.Module())` : `${ref} = nn.Module()`}`);
      const child: Context = { names: newNames(statement.body, statement.range), owner: ref, indent: ctx.indent, tensors: new Map(), outer: ctx, input: ctx.current, current: ctx.current, modules: new Map() };
      runStatements(statement.body, child);
      ctx.current = child.current;
    }

    /** A repeat whose count is known only in PyTorch (it depends on a block parameter or on `channels`): a loop. */
    function runLoop(statement: RepeatStatement, ctx: Context): void {
      if (ctx.loop !== undefined) throw new NamingError('Cannot export: a repeat whose count is known only in PyTorch inside another such repeat; PyTorch export writes one level of such loops.', statement.range);
      if (statement.label && Array.isArray(statement.body)) throw new NamingError('Cannot export: a labelled repeat with a body whose count is known only in PyTorch (a block parameter); write the count as a number.', statement.range);
      const index = counts++;
      const countRef = `self.counts[${index}]`;
      const i = ctx.indent;
      init.push(`${i}self.counts.append(${pythonExpr(statement.count, scopeAt(ctx.current.shape), true)})`);
      const carried: TensorRef = { value: local('h'), shape: '' };
      carried.shape = local(`s_${carried.value}`);
      init.push(`${i}${carried.shape} = ${ctx.current.shape}`);
      forward.push(`${i}${carried.value} = ${ctx.current.value}`);
      init.push(`${i}for i in range(${countRef}):`);
      forward.push(`${i}for i in range(${countRef}):`);
      // The copies of a labelled chain take the repeat's names: only the layers before the last are numbered.
      const copies = !Array.isArray(statement.body) && statement.label !== undefined && statement.body.elements[statement.body.elements.length - 1].label === undefined;
      const counted = Array.isArray(statement.body) ? statement.body : [copies ? { ...statement.body, elements: statement.body.elements.slice(0, -1) } : statement.body];
      const perCopy = namesPerRun(counted, (count) => constantValue(count, scopeAt('in_shape')), isBlock);
      const before = new Map([...perCopy.keys()].map((key) => [key, ctx.names.count(key)]));
      for (const [key, per] of perCopy) ctx.names.setCount(key, addCount(before.get(key)!, per, 'i'));
      const inner: Context = { ...ctx, indent: `${i}    `, loop: index, current: carried };
      if (Array.isArray(statement.body)) runStatements(statement.body, inner);
      else if (copies) {
        const elements = statement.body.elements;
        const last = elements[elements.length - 1];
        runChain({ ...statement.body, elements: elements.slice(0, -1) }, inner, undefined, undefined);
        if (!LAYERS.has(last.name) && !isBlock(last.name)) runChain({ ...statement.body, elements: [last] }, inner, undefined, undefined);
        else inner.current = emitElement(last, inner, ctx.names.repeatCopy(statement.label!, 'i', `@${statement.range.start}`, statement.range));
      } else runChain(statement.body, inner, undefined, undefined);
      init.push(`${i}    ${carried.shape} = ${inner.current.shape}`);
      forward.push(`${i}    ${carried.value} = ${inner.current.value}`);
      for (const [key, per] of perCopy) ctx.names.setCount(key, addCount(before.get(key)!, per, countRef));
      ctx.current = carried;
    }

    /** Python arguments of a block call: positional as written while the signature allows, keywords after. */
    function blockArguments(block: BlockDecl, element: Element, scope: PyScope): string[] {
      const keywordOnly = keywordOnlyStart(block.params);
      const calleeNames = new Map(block.params.map((p) => [p.name, parameterName(p.name)]));
      let position = 0;
      return (element.args ?? []).map((arg) => {
        const index = arg.name ? -1 : position++;
        const text = pythonExpr(arg.value, scope);
        const param = arg.name ?? block.params[index]?.name;
        return arg.name || (keywordOnly !== undefined && index >= keywordOnly) ? `${calleeNames.get(param)}=${text}` : text;
      });
    }
  }
}

/** A block parameter's Python name: not a Python name, nor one the generated constructor uses. */
function parameterName(name: string): string {
  const py = pythonName(name);
  return ['self', 'x', 'in_shape', 'i'].includes(py) ? `${py}_` : py;
}

/** Index of the first parameter that Python must take by keyword: a required one after one with a default. */
function keywordOnlyStart(params: Parameter[]): number | undefined {
  const firstDefault = params.findIndex((p) => p.default);
  if (firstDefault < 0) return undefined;
  const index = params.findIndex((p, i) => i > firstDefault && !p.default);
  return index < 0 ? undefined : index;
}

/** How many names of each key (`#kind`, `=label`) one run of these statements makes in their scope. */
function namesPerRun(statements: Statement[], constantCount: (count: Expr) => unknown, isBlock: (name: string) => boolean): Map<string, number> {
  const per = new Map<string, number>();
  const add = (key: string, n = 1): void => void per.set(key, (per.get(key) ?? 0) + n);
  const chain = (c: ChainStatement, label: string | undefined): void =>
    c.elements.forEach((element, index) => {
      if (!LAYERS.has(element.name) && !isBlock(element.name)) return;
      const own = element.label ?? (index === c.elements.length - 1 ? label : undefined);
      add(own ? `=${own}` : `#${LAYERS.get(element.name)?.kind ?? element.name}`);
    });
  for (const statement of statements) {
    if (statement.kind === 'chain') {
      chain(statement, statement.label);
      continue;
    }
    const count = constantCount(statement.count);
    if (typeof count !== 'number') continue; // a nested loop: refused when it is written
    for (let copy = 1; copy <= count; copy++) {
      const label = statement.label ? copyName(statement.label, copy) : undefined;
      if (!Array.isArray(statement.body)) chain(statement.body, label);
      else if (label) add(`=${label}`);
      else for (const [key, n] of namesPerRun(statement.body, constantCount, isBlock)) add(key, n);
    }
  }
  return per;
}

/** Every family of names a scope can make, for the checks of ScopeNames. */
function scopeFamilies(statements: Statement[], constantCount: (count: Expr) => unknown, isBlock: (name: string) => boolean, families: Family[] = [], repeated = false): Family[] {
  const label = (name: string, again: boolean): void => void families.push({ form: again ? 'runs' : 'literal', stem: name, key: `=${name}` });
  const chain = (c: ChainStatement, statementLabel: string | undefined, again: boolean, copies = false): void =>
    c.elements.forEach((element, index) => {
      if (!LAYERS.has(element.name) && !isBlock(element.name)) return;
      const own = element.label ?? (index === c.elements.length - 1 ? statementLabel : undefined);
      if (element.label || (own && !copies)) label(own!, again);
      else if (own) return; // a copy of a labelled repeat: its family is the repeat's
      else if (!families.some((f) => f.key === `#${LAYERS.get(element.name)?.kind ?? element.name}`)) {
        const kind = LAYERS.get(element.name)?.kind ?? element.name;
        families.push({ form: 'numbered', stem: kind, key: `#${kind}` });
      }
    });
  for (const statement of statements) {
    if (statement.kind === 'chain') {
      chain(statement, statement.label, repeated);
      continue;
    }
    if (statement.label) families.push({ form: 'numbered', stem: copyStem(statement.label), key: `${typeof constantCount(statement.count) === 'number' ? '%' : '@'}${statement.range.start}` });
    if (!Array.isArray(statement.body)) chain(statement.body, statement.label, true, true);
    else if (!statement.label) scopeFamilies(statement.body, constantCount, isBlock, families, true);
  }
  return families;
}

/**
 * Python types of block parameters over every call in the model (a fixed point: arguments may pass the caller's
 * parameters on). A parameter is `int` when every value it gets is a Python int, so sizes need no int().
 */
function parameterTypes(order: BlockDecl[], modelBody: Statement[], blocks: Map<string, BlockDecl>): Map<string, Map<string, PyType>> {
  const types = new Map(order.map((b) => [b.name, new Map(b.params.map((p) => [p.name, 'int' as PyType]))]));
  const join = (a: PyType, b: PyType): PyType => (a === 'other' || b === 'other' ? 'other' : a === 'float' || b === 'float' ? 'float' : 'int');
  const scopeOf = (block: BlockDecl | undefined, before = Infinity): PyScope => ({ params: new Map((block?.params ?? []).slice(0, before).map((p) => [p.name, { name: p.name, type: types.get(block!.name)!.get(p.name)! }])), shape: 'in_shape' });
  for (let changed = true; changed; ) {
    changed = false;
    for (const caller of [undefined, ...order]) {
      const callerScope = scopeOf(caller);
      forEachElement(caller ? caller.body : modelBody, (element) => {
        const callee = blocks.get(element.name);
        const calleeTypes = types.get(element.name);
        if (!callee || !calleeTypes || LAYERS.has(element.name)) return;
        const given = new Set<string>();
        let position = 0;
        for (const arg of element.args ?? []) {
          const param = arg.name ?? callee.params[position++]?.name;
          if (!param || !calleeTypes.has(param)) continue;
          given.add(param);
          const type = join(calleeTypes.get(param)!, pythonType(arg.value, callerScope));
          if (type !== calleeTypes.get(param)) (calleeTypes.set(param, type), (changed = true));
        }
        for (const [index, param] of callee.params.entries()) {
          if (given.has(param.name) || !param.default) continue;
          const type = join(calleeTypes.get(param.name)!, pythonType(param.default, scopeOf(callee, index)));
          if (type !== calleeTypes.get(param.name)) (calleeTypes.set(param.name, type), (changed = true));
        }
      });
    }
  }
  return types;
}

import type { Analysis } from '../core/analyze';
import type { BlockDecl, Element, Expr, Statement } from '../core/ast';
import { forEachElement } from '../core/checks';
import { formatCount } from '../core/format';
import type { ModelGraph } from '../core/graph';
import { LAYERS, type LayerSpec } from '../core/layers';
import type { Range } from '../core/text';
import type { Value } from '../core/values';
import { className, PREAMBLE, pythonExpr, pythonName } from './python';

export interface ExportProblem {
  message: string;
  range: Range;
}

export type PyTorchExport = { ok: true; code: string; className: string } | { ok: false; problems: ExportProblem[] };

class ExportError {
  constructor(readonly problem: ExportProblem) {}
}

interface TensorRef {
  /** Python variable in forward() and in __init__ (its shape). */
  value: string;
  shape: string;
}

/** A name for a module attribute: static (`conv1`) or computed inside a loop (`f"basic{2 + i}"`). */
interface Name {
  text: string;
  dynamic: boolean;
}

/**
 * Writes a readable, dependency-free PyTorch module for one model: one class per block (constructor
 * arguments = block parameters plus the input shape), module names as SkipNet names its nodes, and the
 * forward pass in source order. The file imports only torch.
 */
export function exportPyTorch(analysis: Analysis, model: ModelGraph, sourceName: string): PyTorchExport {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { ok: false, problems: errors.map((d) => ({ message: d.message, range: d.range })) };
  const decl = analysis.file.models.find((m) => m.name === model.name);
  if (!decl) return { ok: false, problems: [{ message: `No model '${model.name}'.`, range: { start: 0, end: 0 } }] };

  // Ranks the analysis saw at each written layer (over all its instances): lets bn pick BatchNorm2d or 1d.
  const inputRanks = new Map<number, Set<number>>();
  for (const node of model.nodes) {
    const rank = node.inputs.length ? model.nodeById.get(node.inputs[0])?.shape?.length : undefined;
    if (rank === undefined) continue;
    const ranks = inputRanks.get(node.range.start) ?? new Set<number>();
    ranks.add(rank);
    inputRanks.set(node.range.start, ranks);
  }
  const classNames = new Map<string, string>();
  const taken = new Set(['ZeroPad', 'GlobalAvgPool']);
  const order: BlockDecl[] = [];
  const visit = (statements: Statement[]): void =>
    forEachElement(statements, (element) => {
      const block = analysis.blocks.get(element.name);
      if (!block || LAYERS.has(element.name) || classNames.has(block.name)) return;
      classNames.set(block.name, '');
      visit(block.body);
      order.push(block);
    });
  visit(decl.body);
  for (const block of order) {
    const name = className(block.name, taken);
    taken.add(name);
    classNames.set(block.name, name);
  }
  const modelClass = className(model.name, taken);

  try {
    const classes = order.map((block) => writeClass(classNames.get(block.name)!, block.params.map((p) => ({ name: p.name, default: p.default })), block.body, `block ${block.name}(${block.params.map((p) => analysis.text.slice(p.range.start, p.range.end)).join(', ')})`));
    const [h, w, c] = model.inputShape;
    const inShape = model.inputShape.length === 3 ? `(${c}, ${h}, ${w})` : `(${h},)`;
    classes.push(writeClass(modelClass, [], decl.body, `model ${model.name}, input ${model.inputShape.join('x')} (NCHW here: ${inShape})`, inShape));
    const header = [
      `"""${model.name}: exported by SkipNet from ${sourceName}.`,
      '',
      'Plain PyTorch, no other dependency. Tensors are NCHW here (SkipNet writes shapes H×W×C).',
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
      `    print("output:", tuple(model(torch.zeros(2, *model.in_shape)).shape))`,
      '',
    ].join('\n');
    return { ok: true, code: `${header}${PREAMBLE}\n\n${classes.join('\n\n\n')}${footer}`, className: modelClass };
  } catch (error) {
    if (error instanceof ExportError) return { ok: false, problems: [error.problem] };
    throw error;
  }

  function writeClass(name: string, params: { name: string; default?: Expr }[], body: Statement[], doc: string, fixedInput?: string): string {
    const paramNames = new Set(params.map((p) => p.name));
    const init: string[] = [];
    const forward: string[] = [];
    const labels = new Set<string>();
    for (const statement of body) if (statement.label) labels.add(statement.label);
    forEachElement(body, (element) => element.label && labels.add(element.label));
    const counters = new Map<string, string>();
    const used = new Set<string>();
    const tensors = new Map<string, TensorRef>();
    const input: TensorRef = { value: 'x', shape: 'in_shape' };
    let current = input;
    let temp = 0;
    let repeats = 0;

    const signature = ['self', fixedInput ? `in_shape=${fixedInput}` : 'in_shape'];
    for (const param of params) {
      const constant = param.default && isConstant(param.default);
      signature.push(param.default ? `${pythonName(param.name)}=${constant ? pythonExpr(param.default, paramNames, 'in_shape') : 'None'}` : pythonName(param.name));
    }
    init.push(`def __init__(${signature.join(', ')}):`, '    super().__init__()', '    self.in_shape = in_shape');
    for (const param of params) {
      if (param.default && !isConstant(param.default)) {
        init.push(`    if ${pythonName(param.name)} is None:`, `        ${pythonName(param.name)} = ${pythonExpr(param.default, paramNames, 'in_shape')}`);
      }
    }

    const staticName = (kind: string, label: string | undefined): Name => {
      if (label) {
        used.add(label);
        return { text: pythonName(label), dynamic: false };
      }
      let next = Number(counters.get(kind) ?? '0');
      let name: string;
      do name = `${kind}${++next}`;
      while (used.has(name) || labels.has(name));
      counters.set(kind, String(next));
      used.add(name);
      return { text: name, dynamic: false };
    };
    const moduleRef = (name: Name): string => (name.dynamic ? `getattr(self, ${name.text})` : `self.${name.text}`);
    const assign = (name: Name, module: string, indent: string): string => (name.dynamic ? `${indent}self.add_module(${name.text}, ${module})` : `${indent}self.${name.text} = ${module}`);

    /** Emits one layer or block call; returns the tensor it makes. */
    const emitElement = (element: Element, input: TensorRef, name: Name, indent: string, target?: TensorRef): TensorRef => {
      const spec = LAYERS.get(element.name);
      const out: TensorRef = target ?? { value: name.dynamic ? `t${++temp}` : name.text, shape: `s_${name.dynamic ? `t${temp}` : name.text}` };
      if (spec?.merge) {
        const inputs = (element.args ?? []).map((arg) => resolve(arg.value.kind === 'name' ? arg.value.name : '', arg.range));
        if (element.name === 'add') {
          init.push(`${indent}${out.shape} = ${inputs[0].shape}`);
          forward.push(`${indent}${out.value} = ${inputs.map((t) => t.value).join(' + ')}`);
        } else {
          init.push(`${indent}${out.shape} = (${inputs.map((t) => `${t.shape}[0]`).join(' + ')}, *${inputs[0].shape}[1:])`);
          forward.push(`${indent}${out.value} = torch.cat([${inputs.map((t) => t.value).join(', ')}], dim=1)`);
        }
        return out;
      }
      let module: string;
      let shape: string;
      if (spec) [module, shape] = layerModule(spec, element, input.shape, paramNames, inputRanks.get(element.range.start));
      else {
        const block = analysis.blocks.get(element.name)!;
        const args = (element.args ?? []).map((arg) => (arg.name ? `${pythonName(arg.name)}=` : '') + pythonExpr(arg.value, paramNames, input.shape));
        module = `${classNames.get(block.name)}(${[input.shape, ...args].join(', ')})`;
        shape = `${moduleRef(name)}.out_shape`;
      }
      init.push(assign(name, module, indent));
      init.push(`${indent}${out.shape} = ${shape}`);
      forward.push(`${indent}${out.value} = ${moduleRef(name)}(${input.value})`);
      return out;
    };

    const resolve = (reference: string, range: Range): TensorRef => {
      if (reference === '_') return current;
      if (reference === 'in' || reference === 'input') return input;
      const found = tensors.get(reference);
      if (!found) throw new ExportError({ message: `Cannot export: unknown tensor '${reference}'.`, range });
      return found;
    };

    const emitChain = (elements: Element[], label: string | undefined): void => {
      elements.forEach((element, index) => {
        const isLast = index === elements.length - 1;
        const spec = LAYERS.get(element.name);
        if (!spec && !analysis.blocks.has(element.name)) {
          current = resolve(element.name, element.nameRange);
        } else {
          const ownLabel = element.label ?? (isLast ? label : undefined);
          current = emitElement(element, current, staticName(spec ? spec.kind : element.name, ownLabel), '    ');
        }
        if (element.label) tensors.set(element.label, current);
      });
      if (label) tensors.set(label, current);
    };

    for (const statement of body) {
      if (statement.kind === 'chain') {
        emitChain(statement.elements, statement.label);
        continue;
      }
      // repeat: modules are added in a loop under computed names, as SkipNet numbers them.
      const chains = Array.isArray(statement.body) ? statement.body : [statement.body];
      const elements: Element[] = [];
      for (const chain of chains) {
        if (chain.kind !== 'chain' || chain.label || (Array.isArray(statement.body) && statement.label)) {
          throw new ExportError({ message: 'Cannot export this repeat: PyTorch export supports repeated chains of layers and blocks without labels inside.', range: statement.range });
        }
        for (const element of chain.elements) {
          if ((!LAYERS.has(element.name) && !analysis.blocks.has(element.name)) || LAYERS.get(element.name)?.merge || element.label) {
            throw new ExportError({ message: `Cannot export this repeat: '${element.name}' refers to other tensors inside a repeated body.`, range: element.range });
          }
          elements.push(element);
        }
      }
      const count = `self.repeat${++repeats}`;
      init.push(`    ${count} = ${pythonExpr(statement.count, paramNames, current.shape)}`);
      const loopVar: TensorRef = { value: `h${repeats}`, shape: `s_h${repeats}` };
      init.push(`    ${loopVar.shape} = ${current.shape}`);
      forward.push(`    ${loopVar.value} = ${current.value}`);
      init.push(`    for i in range(${count}):`);
      forward.push(`    for i in range(${count}):`);
      const perIteration = new Map<string, number>();
      for (const element of elements) {
        const kind = LAYERS.get(element.name)?.kind ?? element.name;
        perIteration.set(kind, (perIteration.get(kind) ?? 0) + 1);
      }
      const seen = new Map<string, number>();
      for (const element of elements) {
        const kind = LAYERS.get(element.name)?.kind ?? element.name;
        const j = seen.get(kind) ?? 0;
        seen.set(kind, j + 1);
        const per = perIteration.get(kind)!;
        const base = statement.label ?? kind;
        const before = counters.get(kind) ?? '0';
        const start = statement.label ? '1' : /^\d+$/.test(before) ? String(Number(before) + 1) : `${before} + 1`;
        const index = `${start}${per > 1 ? ` + ${per} * i` : ' + i'}${j > 0 ? ` + ${j}` : ''}`;
        emitElement(element, loopVar, { text: `f"${base}{${index}}"`, dynamic: true }, '        ', loopVar);
      }
      if (!statement.label) for (const [kind, per] of perIteration) counters.set(kind, `${counters.get(kind) ?? '0'} + ${per > 1 ? `${per} * ` : ''}${count}`);
      current = loopVar;
      if (statement.label) tensors.set(statement.label, current);
    }
    init.push(`    self.out_shape = ${current.shape}`);
    forward.push(`    return ${current.value}`);
    const indentAll = (lines: string[]): string[] => lines.map((line) => `    ${line}`);
    return [`class ${name}(nn.Module):`, `    """${doc}"""`, '', ...indentAll(init), '', ...indentAll(['def forward(self, x):', ...forward])].join('\n');
  }
}

function isConstant(expr: Expr): boolean {
  return expr.kind === 'number' || expr.kind === 'shape' || expr.kind === 'string' || (expr.kind === 'name' && ['true', 'false'].includes(expr.name)) || (expr.kind === 'unary' && isConstant(expr.operand));
}

/** The nn module and output-shape expression of one layer, from the arguments as written. */
function layerModule(spec: LayerSpec, element: Element, shape: string, params: Set<string>, ranks: Set<number> | undefined): [string, string] {
  const given = new Map<string, string>();
  const written = new Map<string, Expr>();
  let position = 0;
  for (const arg of element.args ?? []) {
    const name = arg.name ?? spec.args[position++]?.name;
    if (!name) continue;
    given.set(name, pythonExpr(arg.value, params, shape));
    written.set(name, arg.value);
  }
  const value = (name: string): string => given.get(name) ?? pythonValue(spec.args.find((a) => a.name === name)?.default);
  const keyword = (name: string, pyName = name): string[] => (given.has(name) ? [`${pyName}=${given.get(name)}`] : []);
  switch (spec.kind) {
    case 'conv': {
      const extra = [...keyword('stride'), ...keyword('pad', 'padding'), ...keyword('dilation'), ...keyword('groups'), ...keyword('bias')];
      return [`nn.Conv2d(${[`${shape}[0]`, value('filters'), value('kernel'), ...extra].join(', ')})`, `conv_shape(${shape}, ${value('filters')}, ${value('kernel')}, ${value('stride')}, ${value('pad')}, ${value('dilation')})`];
    }
    case 'bn': {
      const extra = [...keyword('eps'), ...keyword('momentum')];
      const args = [`${shape}[0]`, ...extra].join(', ');
      if (ranks?.size === 1) return [`nn.BatchNorm${ranks.has(3) ? '2d' : '1d'}(${args})`, shape];
      return [`(nn.BatchNorm2d if len(${shape}) == 3 else nn.BatchNorm1d)(${args})`, shape];
    }
    case 'relu':
      return ['nn.ReLU()', shape];
    case 'leakyrelu':
      return [`nn.LeakyReLU(${value('alpha')})`, shape];
    case 'gelu':
      return ['nn.GELU()', shape];
    case 'sigmoid':
      return ['nn.Sigmoid()', shape];
    case 'tanh':
      return ['nn.Tanh()', shape];
    case 'softmax':
      return ['nn.Softmax(dim=1)', shape];
    case 'maxpool':
    case 'avgpool': {
      const stride = given.get('stride') ?? value('kernel');
      const module = spec.kind === 'maxpool' ? 'nn.MaxPool2d' : 'nn.AvgPool2d';
      const outShape = `conv_shape(${shape}, ${shape}[0], ${value('kernel')}, ${stride}, ${value('pad')})`;
      const pad = written.get('pad');
      // nn.MaxPool2d/AvgPool2d take numbers only (padding="same" is a TypeError) and pad both sides alike:
      // `same`, `valid` and padding known only from block arguments become an explicit pad before the pool,
      // −∞ for max (padding never wins) and 0 for average (counted, as count_include_pad=True does).
      if (pad && pad.kind === 'name' && pad.name === 'valid') return [`${module}(${[value('kernel'), ...keyword('stride')].join(', ')})`, outShape];
      if (pad && !(pad.kind === 'number' || pad.kind === 'shape')) {
        const fill = spec.kind === 'maxpool' ? '-math.inf' : '0.0';
        return [`nn.Sequential(nn.ConstantPad2d(pad_sides(${given.get('pad')}, ${value('kernel')}), ${fill}), ${module}(${[value('kernel'), stride].join(', ')}))`, outShape];
      }
      return [`${module}(${[value('kernel'), ...keyword('stride'), ...keyword('pad', 'padding')].join(', ')})`, outShape];
    }
    case 'gap':
      return ['GlobalAvgPool()', `(${shape}[0],)`];
    case 'flatten':
      return ['nn.Flatten()', `(flat_size(${shape}),)`];
    case 'dense':
      return [`nn.Linear(${[`${shape}[0]`, value('units'), ...keyword('bias')].join(', ')})`, `(${value('units')},)`];
    case 'dropout':
      return [`nn.Dropout(${value('p')})`, shape];
    case 'identity':
      return ['nn.Identity()', shape];
    case 'zeropad':
      return [`ZeroPad(${value('channels')}, ${value('stride')})`, `conv_shape(${shape}, ${value('channels')}, 1, ${value('stride')})`];
    default:
      throw new ExportError({ message: `Cannot export layer '${spec.kind}'.`, range: element.range });
  }
}

function pythonValue(value: Value | undefined): string {
  if (value === undefined) return 'None';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if ('symbol' in value) return JSON.stringify(value.symbol);
  if ('text' in value) return JSON.stringify(value.text);
  return `(${value.dims.join(', ')})`;
}

import type { Element } from '../core/ast';
import type { LayerSpec } from '../core/layers';
import { NamingError } from './names';
import { type PyScope, pythonExpr, pythonValue } from './python';

/**
 * The nn module and the output-shape expression (C, H, W) or (N,) of one SkipNet layer, from its arguments as
 * written. `scope.shape` is the Python shape of the input; sizes SkipNet computes with `/` are passed to PyTorch
 * as ints (SkipNet has checked they are whole). `ranks` are the input ranks the analysis saw at this layer
 * (over all its instances): bn is BatchNorm2d on images, BatchNorm1d on flat inputs.
 * Throws NamingError for a layer kind PyTorch export does not know.
 */
export function layerModule(spec: LayerSpec, element: Element, scope: PyScope, ranks: ReadonlySet<number> | undefined): [string, string] {
  const shape = scope.shape;
  const given = new Map<string, string>();
  let position = 0;
  for (const arg of element.args ?? []) {
    const argSpec = arg.name ? spec.args.find((a) => a.name === arg.name) : spec.args[position++];
    if (argSpec) given.set(argSpec.name, pythonExpr(arg.value, scope, argSpec.type === 'int' || argSpec.type === 'kernel' || argSpec.type === 'padding'));
  }
  const value = (name: string): string => given.get(name) ?? pythonValue(spec.args.find((a) => a.name === name)?.default);
  const keyword = (name: string, pyName = name): string[] => (given.has(name) ? [`${pyName}=${given.get(name)}`] : []);
  switch (spec.kind) {
    case 'conv': {
      const extra = [...keyword('stride'), ...keyword('pad', 'padding'), ...keyword('dilation'), ...keyword('groups'), ...keyword('bias')];
      return [
        `nn.Conv2d(${[`${shape}[0]`, value('filters'), value('kernel'), ...extra].join(', ')})`,
        `conv_shape(${shape}, ${value('filters')}, ${value('kernel')}, ${value('stride')}, ${value('pad')}, ${value('dilation')})`,
      ];
    }
    case 'bn': {
      const args = [`${shape}[0]`, ...keyword('eps'), ...keyword('momentum')].join(', ');
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
      return [`${module}(${[value('kernel'), ...keyword('stride'), ...keyword('pad', 'padding')].join(', ')})`, `conv_shape(${shape}, ${shape}[0], ${value('kernel')}, ${stride}, ${value('pad')})`];
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
      throw new NamingError(`Cannot export layer '${spec.kind}'.`, element.range);
  }
}

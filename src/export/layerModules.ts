/**
 * One SkipNet layer as a torch.nn module, for the PyTorch export (src/export/pytorch.ts): the module's
 * constructor call and the Python expression of its output shape, from the layer's arguments as written.
 */
import type { Element, Expr } from '../core/ast';
import type { LayerSpec } from '../core/layers';
import { NamingError } from './names';
import { constantValue, familyModule, type PyScope, pythonExpr, pythonValue } from './python';
import { sequenceModule } from './sequenceModules';

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
  const written = new Map<string, Expr>();
  let position = 0;
  for (const arg of element.args ?? []) {
    const argSpec = arg.name ? spec.args.find((a) => a.name === arg.name) : spec.args[position++];
    if (!argSpec) continue;
    given.set(argSpec.name, pythonExpr(arg.value, scope, argSpec.type === 'int' || argSpec.type === 'kernel' || argSpec.type === 'padding'));
    written.set(argSpec.name, arg.value);
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
    case 'convtranspose':
    case 'upsample':
    case 'relu6':
    case 'silu':
    case 'hardswish':
    case 'hardsigmoid':
      return familyModule(spec.kind, value, keyword, shape);
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
      if (given.has('axis')) return [`nn.Softmax(dim=softmax_dim(${value('axis')}, ${shape}))`, shape];
      // The default axis is the last one: channels (dim 1) of an image or a flat tensor, a sequence's features.
      return [ranks?.size === 1 && ranks.has(2) ? 'nn.Softmax(dim=-1)' : ranks?.has(2) ? `nn.Softmax(dim=softmax_dim(-1, ${shape}))` : 'nn.Softmax(dim=1)', shape];
    case 'maxpool':
    case 'avgpool': {
      const stride = given.get('stride') ?? value('kernel');
      const module = spec.kind === 'maxpool' ? 'nn.MaxPool2d' : 'nn.AvgPool2d';
      const outShape = `conv_shape(${shape}, ${shape}[0], ${value('kernel')}, ${stride}, ${value('pad')}${given.has('ceil') ? `, 1, ${value('ceil')}` : ''})`;
      const ceil = keyword('ceil', 'ceil_mode');
      const pad = written.get('pad');
      // nn.MaxPool2d/AvgPool2d take numbers only (padding="same" is a TypeError) and pad both sides alike:
      // `same` and padding known only from block arguments become an explicit pad before the pool, −∞ for max
      // (padding never wins) and 0 for average (counted, as count_include_pad=True does). `valid` is the word
      // only where no parameter has that name.
      const constant = pad && constantValue(pad, scope);
      const fixed = typeof constant === 'number' || (typeof constant === 'object' && 'dims' in constant);
      if (typeof constant === 'object' && 'symbol' in constant && constant.symbol === 'valid') return [`${module}(${[value('kernel'), ...keyword('stride'), ...ceil].join(', ')})`, outShape];
      // `same` needs stride 1, where ceil_mode changes nothing; other padding from a block argument would be
      // padded before the pool, where ceil_mode's "last window starts inside the leading padding" reads differently.
      if (pad && !fixed && ceil.length > 0 && !(typeof constant === 'object' && 'symbol' in constant)) {
        throw new NamingError('Cannot export: ceil=true with padding from a block argument; write the pool\'s padding as a number or HxW.', element.range);
      }
      if (pad && !fixed) {
        const fill = spec.kind === 'maxpool' ? '-math.inf' : '0.0';
        return [`nn.Sequential(nn.ConstantPad2d(pad_sides(${given.get('pad')}, ${value('kernel')}), ${fill}), ${module}(${[value('kernel'), stride].join(', ')}))`, outShape];
      }
      return [`${module}(${[value('kernel'), ...keyword('stride'), ...keyword('pad', 'padding'), ...ceil].join(', ')})`, outShape];
    }
    case 'gap':
      if (!given.has('keep')) return ['GlobalAvgPool()', `(${shape}[0],)`];
      return [`GlobalAvgPool(${value('keep')})`, `((${shape}[0], 1, 1) if ${value('keep')} else (${shape}[0],))`];
    case 'flatten':
      return ['nn.Flatten()', `(flat_size(${shape}),)`];
    case 'dense':
      // On a sequence (T, D), nn.Linear acts on the last axis of each token.
      return [`nn.Linear(${[`${shape}[-1]`, value('units'), ...keyword('bias')].join(', ')})`, `(*${shape}[:-1], ${value('units')})`];
    case 'dropout':
      return [`nn.Dropout(${value('p')})`, shape];
    case 'identity':
      return ['nn.Identity()', shape];
    case 'zeropad':
      return [`ZeroPad(${value('channels')}, ${value('stride')})`, `conv_shape(${shape}, ${value('channels')}, 1, ${value('stride')})`];
    default: {
      const sequence = sequenceModule(spec.kind, value, keyword, shape);
      if (sequence) return sequence;
      throw new NamingError(`Cannot export layer '${spec.kind}'.`, element.range);
    }
  }
}

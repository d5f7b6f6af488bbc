import type { Element } from './ast';
import type { DiagnosticSink } from './diagnostics';
import type { LayerSpec } from './layers';
import type { Range } from './text';

/*
 * Layers a PyTorch user will reach for that SkipNet cannot express yet (docs/language.md, "What the language cannot
 * express yet"): each gets an error that says so and what to write instead, rather than a generic "unknown layer"
 * with a "Did you mean" that would point at an unrelated layer (`conv1d` is not `conv`'s typo).
 */

/** The section of docs/language.md every message points at. */
export const CANNOT_EXPRESS = 'docs/language.md, "What the language cannot express yet"';

interface Unsupported {
  /** What the name stands for, in the message: "a 1-D convolution". */
  what: string;
  /** Why SkipNet has no such layer and what to write instead. */
  instead: string;
}

const ONE_D =
  'convolutions and pooling are 2-D only; a 1-D signal of length L with C channels can be written as a 1×L×C input, where conv(filters, 1xk) and maxpool(1x2) act along it';
const THREE_D = 'convolutions, pooling and batch norm are 2-D only: there are no layers over volumes or video';
const NORM = 'the normalisations are bn (per channel, over the batch) and layernorm (per token): use bn on feature maps, layernorm on tokens';
const RECURRENT = "there is no recurrence (no loop over time): repeat writes out copies, each with its own weights, or tied ones with shared(label)";
const SEQUENCE_INPUT = "a model's input is an image or a flat vector, so token ids and an embedding table cannot be written; tokens come from patchify";
const CROSS = 'attention is self-attention (query = key = value, one input): there is no cross-attention between two sequences, no decoder and no causal mask';
const CROP = "there is no crop layer: make the two tensors one size instead (in a U-Net, an input size divisible by 2 at every pooling)";
const DROP_PATH = 'there is no stochastic depth (drop-path): every block runs for every sample; dropout drops activations, not blocks';

/** By name compared without case and underscores (`Conv1d`, `conv_1d`, `GroupNorm`, `group_norm`). */
const UNSUPPORTED: Record<string, Unsupported> = {
  conv1d: { what: 'a 1-D convolution', instead: ONE_D },
  convtranspose1d: { what: 'a 1-D transposed convolution', instead: ONE_D },
  maxpool1d: { what: '1-D max pooling', instead: ONE_D },
  avgpool1d: { what: '1-D average pooling', instead: ONE_D },
  adaptiveavgpool1d: { what: '1-D adaptive pooling', instead: ONE_D },
  conv3d: { what: 'a 3-D convolution', instead: THREE_D },
  convtranspose3d: { what: 'a 3-D transposed convolution', instead: THREE_D },
  maxpool3d: { what: '3-D max pooling', instead: THREE_D },
  avgpool3d: { what: '3-D average pooling', instead: THREE_D },
  batchnorm3d: { what: '3-D batch normalisation', instead: THREE_D },
  groupnorm: { what: 'group normalisation', instead: NORM },
  instancenorm: { what: 'instance normalisation', instead: NORM },
  instancenorm1d: { what: 'instance normalisation', instead: NORM },
  instancenorm2d: { what: 'instance normalisation', instead: NORM },
  localresponsenorm: { what: 'local response normalisation', instead: NORM },
  rmsnorm: { what: 'RMS normalisation', instead: NORM },
  lstm: { what: 'an LSTM', instead: RECURRENT },
  lstmcell: { what: 'an LSTM cell', instead: RECURRENT },
  gru: { what: 'a GRU', instead: RECURRENT },
  grucell: { what: 'a GRU cell', instead: RECURRENT },
  rnn: { what: 'a recurrent layer', instead: RECURRENT },
  rnncell: { what: 'a recurrent cell', instead: RECURRENT },
  embedding: { what: 'an embedding table', instead: SEQUENCE_INPUT },
  embeddingbag: { what: 'an embedding table', instead: SEQUENCE_INPUT },
  crossattention: { what: 'cross-attention', instead: CROSS },
  transformer: { what: 'an encoder–decoder Transformer', instead: CROSS },
  transformerdecoder: { what: 'a Transformer decoder', instead: CROSS },
  transformerdecoderlayer: { what: 'a Transformer decoder layer', instead: CROSS },
  transformerencoder: {
    what: 'a Transformer encoder',
    instead: 'write its blocks out: layernorm -> attention(heads) -> add(_, in), then layernorm -> dense -> gelu -> dense -> add, as the encoder_block of examples/vit_tiny.skipnet does',
  },
  transformerencoderlayer: {
    what: 'a Transformer encoder layer',
    instead: 'write it out: layernorm -> attention(heads) -> add(_, in), then layernorm -> dense -> gelu -> dense -> add, as the encoder_block of examples/vit_tiny.skipnet does',
  },
  crop: { what: 'cropping', instead: CROP },
  centercrop: { what: 'cropping', instead: CROP },
  cropping2d: { what: 'cropping', instead: CROP },
  droppath: { what: 'drop-path', instead: DROP_PATH },
  stochasticdepth: { what: 'stochastic depth', instead: DROP_PATH },
};

/** Keywords of a masked attention (nn.MultiheadAttention's attn_mask, a decoder's causal mask). */
const MASKS = new Set(['mask', 'attn_mask', 'causal', 'is_causal', 'key_padding_mask']);

/** Keywords that would give attention a second sequence (nn.MultiheadAttention's key and value, a decoder's memory). */
const SECOND_SEQUENCE = new Set(['kv', 'key', 'value', 'keys', 'values', 'memory', 'context', 'encoder', 'encoder_output', 'query', 'q', 'k', 'v']);

/**
 * Reports `unsupported-layer` at the name of a call to a layer SkipNet cannot express (`conv1d`, `GroupNorm`,
 * `LSTM`, `nn.Transformer`'s parts, `DropPath`), with the reason and what to write instead. Returns false, reporting
 * nothing, for any other name.
 */
export function reportUnsupportedLayer(element: Element, sink: DiagnosticSink): boolean {
  const entry = UNSUPPORTED[element.name.toLowerCase().replace(/_/g, '')];
  if (!entry) return false;
  sink.add('unsupported-layer', `'${element.name}' (${entry.what}) is not supported: ${entry.instead}. See ${CANNOT_EXPRESS}.`, element.nameRange);
  return true;
}

/**
 * Reports `unsupported-layer` where a layer that reads one tensor (the chain's) is given another as an argument:
 * `attention(x, memory)` or `attention(4, kv=enc)` is cross-attention, which SkipNet cannot express, and any other
 * layer's tensor argument is an input it cannot take (only merges read several). `isTensor` says whether a name is
 * a tensor in scope. Returns true when it reported, so the arguments are not checked again as sizes.
 */
export function reportTensorArguments(spec: LayerSpec, element: Element, isTensor: (name: string) => boolean, sink: DiagnosticSink): boolean {
  let reported = false;
  for (const arg of element.args ?? []) {
    const tensor = arg.value.kind === 'name' && isTensor(arg.value.name) ? arg.value.name : undefined;
    const range: Range = arg.range;
    if (spec.kind === 'attention' && arg.name !== undefined && MASKS.has(arg.name)) {
      sink.add('unsupported-layer', `attention(${arg.name}=…): attention is unmasked (every token attends to every token): there is no causal or padding mask yet. See ${CANNOT_EXPRESS}.`, range);
      reported = true;
    } else if (spec.kind === 'attention' && (tensor !== undefined || (arg.name !== undefined && SECOND_SEQUENCE.has(arg.name)))) {
      const written = arg.name ? `${arg.name}=${tensor ?? '…'}` : tensor;
      sink.add('unsupported-layer', `attention(${written}): ${CROSS}; attention(heads) attends within the one sequence it is given. See ${CANNOT_EXPRESS}.`, range);
      reported = true;
    } else if (tensor !== undefined) {
      sink.add('unsupported-layer', `${spec.kind} reads one tensor, the chain's, and cannot take '${tensor}' as an argument: only add, concat, mul and gate read several (write ${tensor} -> ${spec.kind}(…) to apply it to ${tensor}).`, range);
      reported = true;
    }
  }
  return reported;
}

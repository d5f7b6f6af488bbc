import type { Inference, LayerSpec } from './layers';
import { pluralize } from './format';
import { describeShape, type Shape } from './values';

/*
 * The Vision Transformer's layers (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words", section 3.1): a
 * tensor is either a feature map H×W×C or a sequence T×D (T tokens of D features each, shape [T, D]). Names,
 * arguments and every count follow PyTorch 1.13 and torchvision 0.14's VisionTransformer; docs/language.md
 * gives each formula. Pre-norm encoder block (eq. 2–3): x + attention(layernorm(x)), then x + mlp(layernorm(x)).
 */

const int = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The error for a sequence layer given anything but T×D, naming what it got and the fix; or undefined. */
export function needSequence(kind: string, shape: Shape): Inference | undefined {
  if (shape.length === 2) return undefined;
  const fix = shape.length === 3 ? 'turn the map into tokens first with patchify(patch, dim)' : 'it works on tokens, before token(0) or mean_tokens';
  return { ok: false, code: 'invalid-shape', message: `${kind} needs a sequence (tokens × D) but gets ${describeShape(shape)}; ${fix}.` };
}

/** A layer on a sequence that keeps its shape, with these parameters and MACs. */
const keeps = (shape: Shape, params: bigint, macs = 0n): Inference => ({ ok: true, shape, params, buffers: 0n, macs, provenance: 'pass' });

/**
 * patchify(patch, dim): torchvision's conv_proj, a Conv2d(C, dim, kernel=patch, stride=patch) with bias, then the
 * H'×W' grid flattened to T = (H/patch)·(W/patch) tokens in row-major order (ViT section 3.1, "x_p E").
 * H×W×C → T×dim; params dim·C·patch² + dim; MACs T·dim·C·patch². H and W must divide by the patch.
 */
export const PATCHIFY: LayerSpec = {
  kind: 'patchify',
  doc: 'Image to patch tokens: patchify(patch, dim) — a patch×patch convolution with stride patch to dim features, flattened to (H/patch)·(W/patch) tokens.',
  args: [
    { name: 'patch', type: 'int', doc: 'side of the square patches, in pixels (H and W must divide by it)' },
    { name: 'dim', type: 'int', doc: 'features per token (the embedding dimension D)' },
  ],
  infer([input], args) {
    if (input.length !== 3) {
      return { ok: false, code: 'invalid-shape', message: `patchify needs an image (H×W×C) but gets ${describeShape(input)}; it cuts a feature map into tokens, so it comes first.` };
    }
    const patch = int(args.patch);
    const dim = int(args.dim);
    const [h, w, c] = input;
    if (h % patch !== 0 || w % patch !== 0) {
      return {
        ok: false,
        code: 'invalid-size',
        argument: 'patch',
        message: `patchify: the ${h}×${w} input does not divide into ${patch}×${patch} patches (${h % patch !== 0 ? `${h} % ${patch} = ${h % patch}` : `${w} % ${patch} = ${w % patch}`}); choose a patch that divides both sides, or resize the input.`,
      };
    }
    const tokens = (h / patch) * (w / patch);
    const perToken = BigInt(dim) * BigInt(c) * BigInt(patch) * BigInt(patch);
    return { ok: true, shape: [tokens, dim], params: perToken + BigInt(dim), buffers: 0n, macs: BigInt(tokens) * perToken, provenance: 'new' };
  },
};

/** cls_token(): torchvision's class_token, a learned D-vector prepended as token 0 (ViT eq. 1). T×D → (T+1)×D; D params. */
export const CLS_TOKEN: LayerSpec = {
  kind: 'cls_token',
  doc: 'Learned class token: cls_token() prepends one learned D-vector, T×D → (T+1)×D.',
  args: [],
  infer([input]) {
    const bad = needSequence('cls_token', input);
    if (bad) return bad;
    return { ok: true, shape: [input[0] + 1, input[1]], params: BigInt(input[1]), buffers: 0n, macs: 0n, provenance: 'pass' };
  },
};

/** pos_embed(): torchvision's pos_embedding, a learned T×D tensor added to the tokens (ViT eq. 1, E_pos). T·D params. */
export const POS_EMBED: LayerSpec = {
  kind: 'pos_embed',
  doc: 'Learned position embedding: pos_embed() adds a learned T×D tensor, one vector per token position.',
  args: [],
  infer([input]) {
    return needSequence('pos_embed', input) ?? keeps(input, BigInt(input[0]) * BigInt(input[1]));
  },
};

/**
 * layernorm(eps=1e-5): nn.LayerNorm(D) over the last axis (Ba, Kiros & Hinton 2016), (x − mean)/√(var + eps)·γ + β
 * with the biased variance; 2·D params, no buffers. A sequence (per token) or a flat vector; an image is refused
 * because PyTorch's channels are not its last axis there.
 */
export const LAYERNORM: LayerSpec = {
  kind: 'layernorm',
  doc: 'Layer normalization over the last axis: layernorm(eps=1e-5) — per token of a sequence, learned γ and β of size D.',
  args: [{ name: 'eps', type: 'number', default: 1e-5, doc: 'added to the variance (torchvision ViT: 1e-6)', torchFeatureCount: 'LayerNorm(normalized_shape)' }],
  infer([input]) {
    if (input.length === 3) {
      return { ok: false, code: 'invalid-shape', message: `layernorm normalises the features of each token but gets ${describeShape(input)}; use bn on feature maps, or patchify first.` };
    }
    return keeps(input, 2n * BigInt(input[input.length - 1]));
  },
};

/**
 * attention(heads, dropout=0): multi-head self-attention as nn.MultiheadAttention(D, heads, batch_first=True)
 * (Vaswani et al. 2017, section 3.2.2): in_proj 3·D·D + 3·D, out_proj D·D + D. MACs per sample: the projections
 * 4·T·D² plus QKᵀ and attention·V, T·T·D each (summed over heads). `dropout` drops attention weights while training.
 */
export const ATTENTION: LayerSpec = {
  kind: 'attention',
  doc: 'Multi-head self-attention: attention(heads, dropout=0), as nn.MultiheadAttention; D must divide by heads.',
  args: [
    { name: 'heads', type: 'int', doc: 'number of attention heads (D / heads features each)' },
    { name: 'dropout', type: 'probability', default: 0, doc: 'dropout on the attention weights while training' },
  ],
  infer([input], args) {
    const bad = needSequence('attention', input);
    if (bad) return bad;
    const heads = int(args.heads);
    const [t, d] = input.map(BigInt);
    if (input[1] % heads !== 0) {
      return { ok: false, code: 'invalid-size', argument: 'heads', message: `attention: ${heads} heads do not divide the ${input[1]} features of each token (${input[1]} % ${heads} = ${input[1] % heads}); choose heads that divide D, as nn.MultiheadAttention requires.` };
    }
    return keeps(input, 4n * d * d + 4n * d, 4n * t * d * d + 2n * t * t * d);
  },
};

/** token(index=0): one token of a sequence as a flat D-vector (ViT's class token, x[:, 0]); negative counts from the end. */
export const TOKEN: LayerSpec = {
  kind: 'token',
  doc: 'One token as a flat vector: token(index=0) — T×D → D (ViT reads the class token, index 0).',
  args: [{ name: 'index', type: 'axis', default: 0, doc: 'which token, from 0; negative counts from the end' }],
  infer([input], args) {
    const bad = needSequence('token', input);
    if (bad) return bad;
    const index = int(args.index);
    if (index < -input[0] || index >= input[0]) {
      return { ok: false, code: 'invalid-shape', argument: 'index', message: `token: index ${index} is outside the ${input[0]} ${pluralize(input[0], 'token')}, which are ${-input[0]} to ${input[0] - 1}.` };
    }
    return { ok: true, shape: [input[1]], params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' };
  },
};

/** mean_tokens(): the mean over tokens, T×D → D (global average pooling of a sequence). */
export const MEAN_TOKENS: LayerSpec = {
  kind: 'mean_tokens',
  doc: 'Mean over all tokens: mean_tokens() — T×D → D, the sequence counterpart of gap.',
  args: [],
  infer([input]) {
    return needSequence('mean_tokens', input) ?? { ok: true, shape: [input[1]], params: 0n, buffers: 0n, macs: 0n, provenance: 'pass' };
  },
};

/** The sequence layers, in the table order completion keeps (after the image layers). */
export const SEQUENCE_LAYERS: LayerSpec[] = [PATCHIFY, CLS_TOKEN, POS_EMBED, LAYERNORM, ATTENTION, TOKEN, MEAN_TOKENS];

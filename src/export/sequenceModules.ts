/*
 * PyTorch modules of the sequence layers (src/core/sequenceLayers.ts): a sequence T×D is (N, T, D) in PyTorch,
 * batch first, as torchvision's VisionTransformer holds its tokens, so no axis moves. Parameter names follow
 * torchvision 0.14's vit_b_16 where it has the layer (class_token, pos_embedding, nn.MultiheadAttention's
 * in_proj_weight and out_proj), so one count compares one to one.
 */

/** Module-level names the sequence preamble defines (kept out of the generated code's own names). */
/** Kinds whose modules the sequence preamble defines. */
export const SEQUENCE_KINDS: ReadonlySet<string> = new Set(['patchify', 'cls_token', 'pos_embed', 'attention', 'token', 'mean_tokens']);

export const SEQUENCE_MODULE_NAMES = ['Patchify', 'ClassToken', 'PosEmbed', 'SelfAttention', 'TokenSelect', 'MeanTokens', 'patch_shape'];

/**
 * The nn module and output-shape expression of one sequence layer, or undefined for another kind. `value(name)`
 * is an argument's Python text (its default where not written), `keyword` the `name=value` list of a written
 * argument, `shape` the Python expression of the input's shape: (C, H, W) for patchify, (T, D) otherwise.
 */
export function sequenceModule(kind: string, value: (name: string) => string, keyword: (name: string, pyName?: string) => string[], shape: string): [string, string] | undefined {
  switch (kind) {
    case 'patchify':
      return [`Patchify(${shape}[0], ${value('patch')}, ${value('dim')})`, `patch_shape(${shape}, ${value('patch')}, ${value('dim')})`];
    case 'cls_token':
      return [`ClassToken(${shape}[1])`, `(${shape}[0] + 1, ${shape}[1])`];
    case 'pos_embed':
      return [`PosEmbed(${shape}[0], ${shape}[1])`, shape];
    case 'layernorm':
      return [`nn.LayerNorm(${[`${shape}[-1]`, ...keyword('eps')].join(', ')})`, shape];
    case 'attention':
      return [`SelfAttention(${[`${shape}[1]`, value('heads'), ...keyword('dropout')].join(', ')})`, shape];
    case 'token':
      return [`TokenSelect(${value('index')})`, `(${shape}[1],)`];
    case 'mean_tokens':
      return ['MeanTokens()', `(${shape}[1],)`];
    default:
      return undefined;
  }
}

/** The helpers of the sequence modules, written into an export only when its model has a sequence layer. */
export const SEQUENCE_PREAMBLE = `

def patch_shape(shape, patch, dim):
    """Tokens (T, dim) of Patchify over an input (C, H, W): T = (H / patch) * (W / patch)."""
    return ((shape[1] // patch) * (shape[2] // patch), dim)


class Patchify(nn.Module):
    """ViT's patch embedding: a patch x patch convolution with stride patch (torchvision's conv_proj), its grid
    flattened row by row to tokens: (N, C, H, W) -> (N, T, dim)."""

    def __init__(self, channels, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ClassToken(nn.Module):
    """A learned class token prepended to the sequence: (N, T, D) -> (N, T + 1, D); zeros at first, as torchvision's."""

    def __init__(self, dim):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)


class PosEmbed(nn.Module):
    """A learned position embedding added to the tokens, (N, T, D); normal with std 0.02 at first, as torchvision's."""

    def __init__(self, tokens, dim):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, tokens, dim).normal_(std=0.02))

    def forward(self, x):
        return x + self.pos_embedding


class SelfAttention(nn.MultiheadAttention):
    """Multi-head self-attention on (N, T, D): nn.MultiheadAttention(batch_first=True) with query = key = value."""

    def __init__(self, dim, heads, dropout=0.0):
        super().__init__(dim, heads, dropout=dropout, batch_first=True)

    def forward(self, x):
        return super().forward(x, x, x, need_weights=False)[0]


class TokenSelect(nn.Module):
    """One token as a flat vector: (N, T, D) -> (N, D)."""

    def __init__(self, index=0):
        super().__init__()
        self.index = index

    def forward(self, x):
        return x[:, self.index]


class MeanTokens(nn.Module):
    """The mean over tokens: (N, T, D) -> (N, D)."""

    def forward(self, x):
        return x.mean(dim=1)
`;

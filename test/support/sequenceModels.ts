/*
 * Models shared by the tests of the sequence (Vision Transformer) layers: sequence.test.ts, train-reference.test.ts,
 * and the loss-landscape tests of both engines (train-landscape.test.ts, train-pytorch-experiments.test.ts).
 */

/**
 * One small model holding every sequence layer: 9×9×3 cut into 3×3 patches (9 tokens of 8), a class token, a
 * position embedding, one pre-norm encoder block (2 heads, MLP 16), and three readouts of the tokens (the class
 * token, the last token and their mean) joined for a dense classifier. Every layer reaches the output.
 */
export const EVERY_SEQUENCE_LAYER = `block encoder(heads, hidden, d=channels) {
  ln_1: layernorm
  attn: attention(heads)
  x: add(_, in)
  ln_2: layernorm(eps=1e-6)
  dense(hidden) -> gelu -> dense(d)
  add(_, x)
}
model every_sequence(9x9x3) {
  patches: patchify(3, 8)
  cls: cls_token()
  pos: pos_embed()
  enc: encoder(2, 16)
  first: token(0)
  last: enc -> token(-1)
  avg: enc -> mean_tokens()
  concat(first, last, avg) -> layernorm -> dense(10)
}
`;

/**
 * A one-block pre-norm ViT on 8×8×1: patchify (4 tokens of 8), class token, position embedding, attention (2 heads),
 * an MLP, layer norms, token(0) and a dense classifier: every kind of weight the loss landscape moves or keeps.
 */
export const TINY_VIT = `model tinyvit(8x8x1) {
  conv_proj: patchify(4, 8)
  class_token: cls_token()
  pos_embedding: pos_embed()
  ln_1: layernorm
  self_attention: attention(2)
  x: add(_, pos_embedding)
  ln_2: layernorm
  dense(16) -> gelu -> dense(8)
  add(_, x)
  ln: layernorm
  token(0)
  dense(10)
}`;

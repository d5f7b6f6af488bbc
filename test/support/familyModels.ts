/* Models shared by the tests of the skip-connection family's layers (family, memory-saved). */

/** One model holding every new layer, with odd sizes where the rounding rules differ; every layer reaches the output. */
export const EVERY_NEW_LAYER = `block se(r=2, c=channels) {
  gap(keep=true) -> conv(c // r, 1) -> relu6 -> conv(c, 1) -> hardsigmoid
  mul(in, _)
}
model every_new(9x9x4) {
  stem: conv(8, 3, pad=1, bias=false) -> bn -> silu
  down: maxpool(2, ceil=true) -> hardswish
  a: down -> convtranspose(8, 3, stride=2, pad=1, output_pad=1)
  n: down -> upsample(2)
  up: add(a, n) -> se()
  b: up -> convtranspose(8, 2, stride=2, groups=2, bias=false, dilation=2) -> maxpool(3, stride=2, pad=1, ceil=true)
  u: up -> upsample(2, mode=bilinear) -> avgpool(3, stride=2, ceil=true)
  s: down -> gap -> dense(8) -> sigmoid
  v: mul(down, s, down)
  g: gate(v, s, down) -> softmax(axis=0) -> flatten
  bg: b -> gap
  ug: u -> gap
  concat(bg, ug, g) -> dense(10)
}
`;

/**
 * Padding (and the kernels and strides beside it) passed every way SkipNet allows, for the PyTorch export test
 * (test/unit/export.test.ts): through block parameters that are an int in one call, a float (`channels / 6`) in
 * another and a tuple or `same` in a third, defaults naming earlier parameters (and a later one's name, a plain
 * word there), loops over a parameter, parameters named like the padding words, positional `same`, and per-axis
 * strides, padding and dilation around tiny images. Each case lists lines its export must hold and SkipNet shapes
 * (H×W×C) worked out by hand with PyTorch's formula ⌊(H + top + bottom − d·(k−1) − 1)/s⌋ + 1.
 */
export interface PaddingCase {
  title: string;
  text: string;
  /** Lines (or parts of lines) the export must contain. */
  code: string[];
  /** Node id → its output shape H×W×C. */
  shapes: Record<string, number[]>;
}

export const PADDING_CASES: PaddingCase[] = [
  {
    title: 'kernel, stride and padding parameters that are floats in one call, tuples in another and same in a third',
    text: `block b(k, s, p) {
  conv(4, k, stride=s, pad=p) -> maxpool(k, stride=s, pad=p) -> avgpool(k, s, p)
}
model m(9x9x6) {
  b(channels / 2, channels / 3, channels / 6) -> b(1x3, 1x2, 0x1) -> b(3, 1, same)
}
`,
    code: [
      'self.conv1 = nn.Conv2d(in_shape[0], 4, whole(k), stride=whole(s), padding=whole(p))',
      'nn.Sequential(nn.ConstantPad2d(pad_sides(whole(p), whole(k)), -math.inf), nn.MaxPool2d(whole(k), whole(s)))',
      'self.b1 = B(in_shape, channels_of(in_shape) / 2, channels_of(in_shape) / 3, channels_of(in_shape) / 6)',
    ],
    // b1: k=3, s=2, p=1: 9 → 5 → 3 → 2. b2: 1×3 window, stride 1×2, padding 0×1: W 2 → 1.
    shapes: { 'b1/conv1': [5, 5, 4], 'b1/maxpool1': [3, 3, 4], 'b1/avgpool1': [2, 2, 4], 'b2/conv1': [2, 1, 4], 'b2/avgpool1': [2, 1, 4], 'b3/avgpool1': [2, 1, 4] },
  },
  {
    title: 'parameters named same and valid, on convolutions and pools',
    text: `block b(same=1, valid=0x1) {
  conv(4, 3, pad=same) -> maxpool(3, stride=1, pad=same) -> conv(4, 1x3, pad=valid) -> avgpool(3, 1, valid)
}
model m(8x8x2) {
  b() -> b(same=0, valid=same)
}
`,
    code: [
      'self.conv1 = nn.Conv2d(in_shape[0], 4, 3, padding=same)',
      'self.conv2 = nn.Conv2d(s_maxpool1[0], 4, (1, 3), padding=whole(valid))',
      'self.avgpool1 = nn.Sequential(nn.ConstantPad2d(pad_sides(whole(valid), 3), 0.0), nn.AvgPool2d(3, 1))',
    ],
    // b1: valid=0x1 pads the last pool's columns only: 8×8 → 6×8. b2: same=0 shrinks 6×8 → 4×6 → 2×4; valid=same keeps 2×4.
    shapes: { 'b1/conv2': [8, 8, 4], 'b1/avgpool1': [6, 8, 4], 'b2/conv1': [4, 6, 4], 'b2/maxpool1': [2, 4, 4], 'b2/conv2': [2, 4, 4], 'b2/avgpool1': [2, 4, 4] },
  },
  {
    title: 'same written positionally, on a 1×1 pool with its default stride, with an even kernel and a dilation parameter',
    text: `block b(d=2) {
  conv(3, 2, 1, same, dilation=d) -> maxpool(1, pad=same) -> avgpool(2, 1, same) -> conv(3, 4x1, pad=same, dilation=d * 1)
}
model m(5x4x1) {
  b() -> b(channels / 3 + 1) -> b(d=1)
}
`,
    code: ['nn.Conv2d(in_shape[0], 3, 2, stride=1, padding="same", dilation=int(d))', 'nn.Sequential(nn.ConstantPad2d(pad_sides("same", 2), 0.0), nn.AvgPool2d(2, 1))'],
    shapes: { 'b1/conv1': [5, 4, 3], 'b2/avgpool1': [5, 4, 3], 'b3/conv2': [5, 4, 3] },
  },
  {
    title: 'per-axis stride and padding, dilation 3 and same around a 1×2 image',
    text: `model m(1x2x1) {
  conv(2, 3, stride=2x1, pad=4x3, dilation=3) -> maxpool(3x1, stride=1x2, pad=1x0) -> conv(2, 7x7, pad=same, dilation=3) -> avgpool(2x3, stride=1, pad=same)
}
`,
    code: ['nn.Conv2d(in_shape[0], 2, 3, stride=(2, 1), padding=(4, 3), dilation=3)', 'nn.MaxPool2d((3, 1), stride=(1, 2), padding=(1, 0))'],
    // conv1: H ⌊(1 + 8 − 7)/2⌋ + 1 = 2, W 2 + 6 − 7 + 1 = 2; maxpool1: W ⌊(2 − 1)/2⌋ + 1 = 1.
    shapes: { conv1: [2, 2, 2], maxpool1: [2, 1, 2], conv2: [2, 1, 2], avgpool1: [2, 1, 2] },
  },
  {
    title: 'a default naming an earlier parameter, passed on through two levels of blocks',
    text: `block inner(p, q=p) {
  conv(2, 3, pad=q) -> avgpool(3, stride=1, pad=q)
}
block outer(p=1x1) {
  inner(p) -> inner(p=p, q=p)
}
model m(4x4x1) {
  outer() -> outer(1 * channels / channels) -> outer(1)
}
`,
    code: ['self.conv1 = nn.Conv2d(in_shape[0], 2, 3, padding=whole(q))', 'self.outer2 = Outer(s_outer1, (1 * channels_of(s_outer1)) / channels_of(s_outer1))'],
    shapes: { 'outer1/inner2/avgpool1': [4, 4, 2], 'outer2/inner1/conv1': [4, 4, 2], 'outer3/inner2/avgpool1': [4, 4, 2] },
  },
  {
    title: 'a default naming a word that a later parameter has as its name (the word, whatever the call gives that parameter)',
    text: `block b(q=valid, valid=1, r=same, same=0.5) {
  conv(2, 3, pad=q) -> maxpool(3, stride=1, pad=q) -> avgpool(2, stride=1, pad=r) -> conv(2, floor(same * 4), pad=r)
}
model m(14x14x1) {
  b() -> b(valid=2) -> b(valid=0x1, same=0.25)
}
`,
    code: ['def __init__(self, in_shape, q="valid", valid=1, r="same", same=0.5):', 'self.conv2 = nn.Conv2d(s_avgpool1[0], 2, math.floor(same * 4), padding=whole(r))'],
    // q is valid in every call: each b takes 4 rows and columns (3×3 conv, 3×3 pool); r keeps the size.
    shapes: { 'b1/conv1': [12, 12, 2], 'b1/conv2': [10, 10, 2], 'b2/conv1': [8, 8, 2], 'b2/conv2': [6, 6, 2], 'b3/maxpool1': [2, 2, 2], 'b3/conv2': [2, 2, 2] },
  },
  {
    title: 'padding from a parameter inside loops over a parameter',
    text: `block b(n, p) {
  repeat n conv(2, 3, pad=p) -> maxpool(3, stride=1, pad=p)
  repeat n { conv(2, 3, pad=p) }
}
model m(4x4x2) {
  b(2, same) -> b(1, 1) -> b(channels / 2, channels / 2)
}
`,
    code: ['self.add_module(f"conv{i + 1}", nn.Conv2d(s_h[0], 2, 3, padding=whole(p)))'],
    shapes: { 'b1/conv4': [4, 4, 2], 'b2/maxpool1': [4, 4, 2], 'b3/conv2': [4, 4, 2] },
  },
  {
    title: 'valid, 0x0 and a float 0 from one parameter, on a convolution and both pools',
    text: `block b(p) {
  conv(3, 2, pad=p) -> maxpool(2, pad=p) -> avgpool(1x2, stride=1, pad=p)
}
model m(32x32x1) {
  b(valid) -> b(0x0) -> b(0 * channels / channels)
}
`,
    code: ['self.b1 = B(in_shape, "valid")', 'self.b2 = B(s_b1, (0, 0))', 'nn.Sequential(nn.ConstantPad2d(pad_sides(whole(p), (1, 2)), 0.0), nn.AvgPool2d((1, 2), 1))'],
    // Each b: 2×2 conv (−1), 2×2 pool (halves), 1×2 pool (W − 1): 32 → 31×31 → 15×15 → 15×14, and so on.
    shapes: { 'b1/avgpool1': [15, 14, 3], 'b2/conv1': [14, 13, 3], 'b2/avgpool1': [7, 5, 3], 'b3/conv1': [6, 4, 3], 'b3/maxpool1': [3, 2, 3], 'b3/avgpool1': [3, 1, 3] },
  },
];

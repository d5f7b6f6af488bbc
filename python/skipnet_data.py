"""SkipNet's data sets and data order for the PyTorch runner (skipnet_train.py), with torch as the only dependency.

The same images in the same order as SkipNet's TensorFlow.js engine (src/train/engine.ts, data.ts, rng.ts):
- read_dataset: the SKND files of scripts/data/convert.mjs (media/data/mnist.bin, fashion-mnist.bin);
- SeededRandom / epoch_order: mulberry32 and the Fisher-Yates shuffle of src/train/rng.ts, bit for bit;
- spread_indices: the evenly spread held-out subset of engine.ts;
- pair_dataset: the pair sets (mnist_pairs, fashion_mnist_pairs) of src/train/pairs.ts, the same pairs in the same order;
- Batches: images normalised with the training pixels' mean and std (given by the caller, who computed them
  like data.ts's adaptInputs), centred zero padding, grey repeated to RGB; NCHW, or flat in H, W, C order.

first_batches(path, seed, batch, batches) gives the labels of the first batches of an order (a reproducibility
check: test/unit/train-pytorch-reference.test.ts compares them with the TensorFlow.js engine's).
"""
import math
import struct

import torch

MAGIC = b"SKND"
_M32 = 0xFFFFFFFF


def _imul(a, b):
    """Math.imul on uint32 values, as a uint32."""
    return (a * b) & _M32


class SeededRandom:
    """mulberry32, as src/train/rng.ts computes it (uint32 arithmetic, doubles in [0, 1))."""

    def __init__(self, seed):
        self.state = (math.floor(seed) ^ 0x9E3779B9) & _M32

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & _M32
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & _M32
        return ((t ^ (t >> 14)) & _M32) / 4294967296

    def shuffle(self, items):
        """Fisher-Yates in place, from the last item down (rng.ts's order of draws)."""
        for i in range(len(items) - 1, 0, -1):
            j = int(self.next() * (i + 1))
            items[i], items[j] = items[j], items[i]


def epoch_order(random, count):
    """One epoch's order of the training images: 0..count-1 shuffled; the next epoch continues `random`."""
    order = list(range(count))
    random.shuffle(order)
    return order


def spread_indices(count, wanted):
    """`wanted` indices spread evenly over 0..count-1 (all when wanted >= count), as engine.ts's spreadIndices."""
    n = max(0, min(count, math.floor(wanted)))
    return [(i * count) // n for i in range(n)]


class Split:
    """One split: `count` examples, labels (uint8 tensor [count]) and pixels (uint8 tensor [images, H, W, C]).
    A pair set's split has `pairs` = (first, second), int64 tensors of image indices: example k is the images first[k] and
    second[k], its label 1 for the same class, 0 for different."""

    def __init__(self, count, labels, pixels, pairs=None):
        self.count = count
        self.labels = labels
        self.pixels = pixels
        self.pairs = pairs


PAIR_SEED_TRAIN = 0x70616972  # "pair": XOR-ed into the run's seed for the training pairs (src/train/pairs.ts)
PAIR_SEED_TEST = 0x74657374  # "test": for the held-out pairs


def pair_split(split, class_count, seed, set_name):
    """`split.count` pairs of `split`'s images drawn from mulberry32(seed) by src/train/pairs.ts's rule (docs/engines.md):
    pair k is same (label 1) for even k, different for odd k; its first image is floor(u*n); a same pair's second is
    floor(u*m) of the m images of the first's class in file order; a different pair first draws the other class as
    floor(u*(K'-1)) of the K' classes present, skipping the first's. Raises ValueError for fewer than two classes."""
    n = split.count
    labels = split.labels.tolist()
    by_class = [[] for _ in range(class_count)]
    for i, label in enumerate(labels):
        by_class[label].append(i)
    present = [c for c in range(class_count) if by_class[c]]
    if n > 0 and len(present) < 2:
        raise ValueError(f"Data set {set_name}: pairs need images of at least two classes; this split has {len(present)}.")
    random = SeededRandom(seed)
    first, second, pair_labels = [0] * n, [0] * n, [0] * n
    for k in range(n):
        same = k % 2 == 0
        a = int(random.next() * n)
        other = labels[a]
        if not same:
            index = int(random.next() * (len(present) - 1))
            other = present[index + 1 if index >= present.index(labels[a]) else index]
        pool = by_class[other]
        first[k] = a
        second[k] = pool[int(random.next() * len(pool))]
        pair_labels[k] = 1 if same else 0
    return Split(n, torch.tensor(pair_labels, dtype=torch.uint8), split.pixels, (torch.tensor(first, dtype=torch.long), torch.tensor(second, dtype=torch.long)))


def pair_dataset(images, seed):
    """A data set of single images as its pair set for a run with `seed` (classes "different", "same")."""
    name = "fashion_mnist_pairs" if images.name == "fashion-mnist" else f"{images.name}_pairs"
    classes = len(images.classes)
    return Dataset(
        name, images.height, images.width, images.channels, ["different", "same"],
        pair_split(images.train, classes, (seed ^ PAIR_SEED_TRAIN) & _M32, name),
        pair_split(images.test, classes, (seed ^ PAIR_SEED_TEST) & _M32, name),
    )


class Dataset:
    def __init__(self, name, height, width, channels, classes, train, test):
        self.name = name
        self.height = height
        self.width = width
        self.channels = channels
        self.classes = classes
        self.train = train
        self.test = test


def read_dataset(path, name=None):
    """Reads an SKND file (little-endian header: magic, version 1, train and test counts, H, W, C, class count,
    class names as u8 length + UTF-8, labels train then test, pixels HWC per image train then test).
    Raises ValueError naming the file when the bytes are not one."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if len(data) < 32 or bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path}: not a SkipNet data file (expected the SKND header)")
    version, train_count, test_count, height, width, channels, class_count = struct.unpack_from("<7I", data, 4)
    if version != 1:
        raise ValueError(f"{path}: unsupported data format version {version}")
    offset = 32
    classes = []
    for _ in range(class_count):
        length = data[offset]
        classes.append(bytes(data[offset + 1:offset + 1 + length]).decode("utf-8"))
        offset += 1 + length
    total = train_count + test_count
    image = height * width * channels
    if len(data) != offset + total * (1 + image):
        raise ValueError(f"{path}: the file is truncated or corrupt")
    everything = torch.frombuffer(data, dtype=torch.uint8)
    labels = everything[offset:offset + total]
    pixels = everything[offset + total:].view(total, height, width, channels)
    return Dataset(
        name or path, height, width, channels, classes,
        Split(train_count, labels[:train_count], pixels[:train_count]),
        Split(test_count, labels[train_count:], pixels[train_count:]),
    )


class Batches:
    """Model inputs from a data set, as data.ts's makeBatch builds them.

    adapter: {"flatten": bool, "height", "width", "channels" (the model's input when not flat), "padTop",
    "padLeft", "mean", "std", "segmentation": grey threshold or None}. With a threshold the labels are per pixel
    (mnist_segmentation, src/core/segmentation.ts): digit + 1 where the pixel >= threshold, 0 elsewhere and in the
    padding, [n, H, W] at the model's input size. Values are computed in float64, then rounded once to float32, so they equal
    the TensorFlow.js engine's Float32Array to the bit (the padding value too: torch.full rounds it once).
    """

    def __init__(self, dataset, adapter, device):
        self.dataset = dataset
        self.adapter = adapter
        self.device = device
        self.background = (0.0 - adapter["mean"]) / adapter["std"]
        # Pixels are bytes, so every input value is one of 256: a table of them, each computed in float64 and
        # rounded once, turns a batch into a single gather with the same bits as the arithmetic on the batch.
        self.table = ((torch.arange(256, dtype=torch.float64) / 255 - adapter["mean"]) / adapter["std"]).to(torch.float32)

    def make(self, split, indices):
        """(x float32 [n, C, H, W] or [n, H·W·C], labels int64 [n] or per pixel [n, H, W]) on the device, for `indices` of `split`.
        For a pair set x is [n, 2, C, H, W] (or [n, 2, H·W·C]): each example's first and second image, for the
        model's first and second input (Logits unbinds them), and the labels are the pairs'.
        The bytes are gathered, repeated and put in the model's layout while still bytes (a quarter of the
        memory traffic of floats), then looked up in the table once, straight into the output's layout."""
        index = torch.tensor(indices, dtype=torch.long)
        labels = split.labels.index_select(0, index).to(torch.long)
        if split.pairs is not None:
            first, second = (p.index_select(0, index) for p in split.pairs)
            x = torch.stack([self._images(split.pixels.index_select(0, first)), self._images(split.pixels.index_select(0, second))], dim=1)
            return x.to(self.device), labels.to(self.device)
        a = self.adapter
        d = self.dataset
        raw = split.pixels.index_select(0, index)
        x = self._images(raw)
        n = raw.shape[0]
        if a.get("segmentation") is not None:
            digit = raw[..., 0].to(torch.long) >= a["segmentation"]
            masks = torch.zeros((n, a["height"], a["width"]), dtype=torch.long)
            masks[:, a["padTop"]:a["padTop"] + d.height, a["padLeft"]:a["padLeft"] + d.width] = digit * (labels + 1).view(n, 1, 1)
            labels = masks
        return x.to(self.device), labels.to(self.device)

    def _images(self, pixels):
        """The model inputs (float32 [n, C, H, W], or [n, H·W·C] flat) of uint8 images [n, H, W, C]."""
        a = self.adapter
        d = self.dataset
        n = pixels.shape[0]
        if a["flatten"]:
            return torch.take(self.table, pixels.to(torch.long)).reshape(n, -1)
        if a["channels"] != d.channels:
            pixels = pixels.repeat_interleave(a["channels"] // d.channels, dim=3)
        if (a["height"], a["width"]) != (d.height, d.width):
            # The padding is a value the table does not hold: pad the floats.
            padded = torch.full((n, a["height"], a["width"], a["channels"]), self.background, dtype=torch.float32)
            padded[:, a["padTop"]:a["padTop"] + d.height, a["padLeft"]:a["padLeft"] + d.width, :] = torch.take(self.table, pixels.to(torch.long))
            return padded.permute(0, 3, 1, 2).contiguous()
        return torch.take(self.table, pixels.permute(0, 3, 1, 2).to(torch.long))


def first_pairs(path, name, seed, count):
    """The first `count` training and held-out pairs of a bundled set for `seed`, as [first, second, label] lists
    (a reproducibility check: test/unit/train-pairs.test.ts compares them with src/train/pairs.ts's)."""
    pairs = pair_dataset(read_dataset(path, name), seed)
    return {
        which: [list(p) for p in zip(split.pairs[0][:count].tolist(), split.pairs[1][:count].tolist(), split.labels[:count].tolist())]
        for which, split in (("train", pairs.train), ("test", pairs.test))
    }


def first_batches(path, seed, batch, batches):
    """Labels of the first `batches` training batches of the order `seed` gives (epoch 1 onwards)."""
    dataset = read_dataset(path)
    random = SeededRandom(seed)
    per_epoch = dataset.train.count // batch
    result = []
    while len(result) < batches:
        order = epoch_order(random, dataset.train.count)
        for s in range(per_epoch):
            if len(result) == batches:
                break
            result.append([int(dataset.train.labels[i]) for i in order[s * batch:(s + 1) * batch]])
    return result


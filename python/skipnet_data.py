"""SkipNet's data sets and data order for the PyTorch runner (skipnet_train.py), with torch as the only dependency.

The same images in the same order as SkipNet's TensorFlow.js engine (src/train/engine.ts, data.ts, rng.ts):
- read_dataset: the SKND files of scripts/data/convert.mjs (media/data/mnist.bin, fashion-mnist.bin);
- SeededRandom / epoch_order: mulberry32 and the Fisher-Yates shuffle of src/train/rng.ts, bit for bit;
- spread_indices: the evenly spread held-out subset of engine.ts;
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
    """One split: `count` images, labels (uint8 tensor [count]) and pixels (uint8 tensor [count, H, W, C])."""

    def __init__(self, count, labels, pixels):
        self.count = count
        self.labels = labels
        self.pixels = pixels


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
        The bytes are gathered, repeated and put in the model's layout while still bytes (a quarter of the
        memory traffic of floats), then looked up in the table once, straight into the output's layout."""
        a = self.adapter
        d = self.dataset
        index = torch.tensor(indices, dtype=torch.long)
        pixels = split.pixels.index_select(0, index)
        raw = pixels
        n = pixels.shape[0]
        if a["flatten"]:
            x = torch.take(self.table, pixels.to(torch.long)).reshape(n, -1)
        else:
            if a["channels"] != d.channels:
                pixels = pixels.repeat_interleave(a["channels"] // d.channels, dim=3)
            if (a["height"], a["width"]) != (d.height, d.width):
                # The padding is a value the table does not hold: pad the floats.
                padded = torch.full((n, a["height"], a["width"], a["channels"]), self.background, dtype=torch.float32)
                padded[:, a["padTop"]:a["padTop"] + d.height, a["padLeft"]:a["padLeft"] + d.width, :] = torch.take(self.table, pixels.to(torch.long))
                x = padded.permute(0, 3, 1, 2).contiguous()
            else:
                x = torch.take(self.table, pixels.permute(0, 3, 1, 2).to(torch.long))
        labels = split.labels.index_select(0, index).to(torch.long)
        if a.get("segmentation") is not None:
            digit = raw[..., 0].to(torch.long) >= a["segmentation"]
            masks = torch.zeros((n, a["height"], a["width"]), dtype=torch.long)
            masks[:, a["padTop"]:a["padTop"] + d.height, a["padLeft"]:a["padLeft"] + d.width] = digit * (labels + 1).view(n, 1, 1)
            labels = masks
        return x.to(self.device), labels.to(self.device)


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


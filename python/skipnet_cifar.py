"""CIFAR-10 and CIFAR-100 for the PyTorch runner, from the files the Node side located (src/train/cifar.ts).

The two layouts the data set's authors publish (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny
Images"; https://www.cs.toronto.edu/~kriz/cifar.html): python pickles (dicts with 'data', uint8 [N, 3072], and
'labels' or CIFAR-100's 'fine_labels'), read as torchvision reads them (pickle, encoding latin1), or binary records
(label byte, CIFAR-100: coarse then fine label byte, then 3072 pixel bytes). Pixels are channel-planar (1024 red,
1024 green, 1024 blue); they become HWC like every SkipNet data set, so skipnet_data.Batches feeds them as it
feeds MNIST. Train split: the training files in the order given; held-out split: the test file.
"""
import pickle

import torch

from skipnet_data import Dataset, Split

IMAGE_BYTES = 32 * 32 * 3


def _planar_to_hwc(flat, path):
    """uint8 [N, 3072] channel-planar → uint8 [N, 32, 32, 3]."""
    if flat.dim() != 2 or flat.shape[1] != IMAGE_BYTES:
        raise ValueError(f"{path}: expected images of {IMAGE_BYTES} bytes (32×32×3), found shape {list(flat.shape)}")
    return flat.view(-1, 3, 32, 32).permute(0, 2, 3, 1).contiguous()


def _labels(values, classes, path):
    labels = torch.tensor([int(v) for v in values], dtype=torch.int64)
    if labels.numel() and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{path}: labels must be class indices 0 … {classes - 1}, found {int(labels.min())} … {int(labels.max())}")
    return labels.to(torch.uint8)


def _read_python(path, label_key, classes):
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f, encoding="latin1")
    except (pickle.UnpicklingError, EOFError, ValueError, ImportError, AttributeError) as error:
        raise ValueError(f"{path}: expected a CIFAR python pickle, found bytes that do not unpickle ({error})") from error
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: expected a CIFAR python pickle holding a dict, found {type(entry).__name__}")
    entry = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}
    if "data" not in entry or label_key not in entry:
        raise ValueError(f"{path}: expected a CIFAR python pickle with 'data' and '{label_key}', found keys {', '.join(map(str, entry))}")
    data = torch.as_tensor(entry["data"], dtype=torch.uint8)
    labels = _labels(entry[label_key], classes, path)
    if data.shape[0] != labels.shape[0]:
        raise ValueError(f"{path}: {data.shape[0]} images but {labels.shape[0]} labels")
    return labels, _planar_to_hwc(data, path)


def _read_binary(path, fine, classes):
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    head = 2 if fine else 1
    record = head + IMAGE_BYTES
    if len(raw) == 0 or len(raw) % record != 0:
        raise ValueError(f"{path}: expected binary records of {record} bytes, found {len(raw)} bytes")
    rows = torch.frombuffer(raw, dtype=torch.uint8).view(-1, record)
    labels = _labels(rows[:, head - 1].tolist(), classes, path)
    return labels, _planar_to_hwc(rows[:, head:], path)


def read_cifar(spec):
    """spec: {"name": "cifar10" | "cifar100", "format": "python" | "binary", "train": [paths], "test": path,
    "classes": [names]}. Returns a skipnet_data.Dataset; raises ValueError naming the file that is wrong."""
    classes = list(spec["classes"])
    fine = spec["name"] == "cifar100"

    def read(path):
        if spec["format"] == "python":
            return _read_python(path, "fine_labels" if fine else "labels", len(classes))
        return _read_binary(path, fine, len(classes))

    def split(paths):
        parts = [read(p) for p in paths]
        labels = torch.cat([p[0] for p in parts])
        pixels = torch.cat([p[1] for p in parts])
        return Split(labels.shape[0], labels, pixels)

    return Dataset(spec["name"], 32, 32, 3, classes, split(spec["train"]), split([spec["test"]]))

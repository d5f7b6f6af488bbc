"""Measures what autograd keeps for the backward pass of SkipNet's PyTorch exports, for test/unit/memory-saved.test.ts.

usage: python3 saved_tensors.py FILE.py:ClassName:BATCH:DEVICE [...]   (DEVICE: cpu or meta)
prints one JSON object per export: the bytes of every distinct storage that the forward pass of one
training step (train mode, a batch of BATCH random inputs that do not require grad) hands to
torch.autograd.graph.saved_tensors_hooks, split into
  activations: storages that are neither a parameter nor a buffer (inputs, layer outputs, masks,
               max-pool indices, batch-norm batch statistics): SkipNet's activation term;
  weights:     storages of parameters and buffers that autograd also saves (conv and linear weights,
               batch-norm weight and running statistics), which SkipNet already counts as weights.
A storage saved by several operations (a ReLU's output that the next convolution saves as its input)
is counted once: tensors are identified by their storage (the StorageImpl, which views share) while
autograd holds them. On the meta device autograd records and saves the same tensors without computing
anything, so ImageNet models at batch 32 take a second instead of a minute; the test checks that meta and
cpu agree on a model of every layer kind. The loss is not part of the module, so it is not measured.
"""
import importlib.util
import json
import sys

import torch


def storage_key(tensor):
    """The identity of the tensor's storage: shared by views, and unlike data_ptr() defined on meta."""
    return tensor.storage()._cdata


def measure(path, class_name, batch, device):
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = getattr(module, class_name)().to(device)
    model.train()
    owned = {storage_key(t) for t in list(model.parameters()) + list(model.buffers())}
    kept = {}

    def pack(tensor):
        # Holding the tensor keeps its storage alive, so no later storage can take its identity.
        kept[storage_key(tensor)] = (tensor.storage().nbytes(), tensor)
        return tensor

    inputs = [torch.randn(batch, *shape, device=device) for shape in getattr(model, "in_shapes", [model.in_shape])]
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = model(*inputs)
    activations = sum(nbytes for ptr, (nbytes, _) in kept.items() if ptr not in owned)
    weights = sum(nbytes for ptr, (nbytes, _) in kept.items() if ptr in owned)
    del output
    kept.clear()
    return {"batch": batch, "device": device, "activations": activations, "weights": weights}


if __name__ == "__main__":
    torch.set_num_threads(2)
    results = []
    for arg in sys.argv[1:]:
        path, class_name, batch, device = arg.rsplit(":", 3)
        results.append(measure(path, class_name, int(batch), device))
    print(json.dumps(results))

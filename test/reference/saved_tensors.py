"""Measures what autograd keeps for the backward pass of SkipNet's PyTorch exports, for test/unit/memory-saved.test.ts.

usage: python3 saved_tensors.py FILE.py:ClassName:BATCH [...]
prints one JSON object per export: the bytes of every distinct storage that the forward pass of one
training step (train mode, a batch of BATCH random inputs that do not require grad) hands to
torch.autograd.graph.saved_tensors_hooks, split into
  activations: storages that are neither a parameter nor a buffer (inputs, layer outputs, masks,
               max-pool indices, batch-norm batch statistics): SkipNet's activation term;
  weights:     storages of parameters and buffers that autograd also saves (conv and linear weights,
               batch-norm weight and running statistics), which SkipNet already counts as weights.
A storage saved by several operations (a ReLU's output that the next convolution saves as its input)
is counted once: tensors are identified by their storage's data pointer while autograd holds them.
The loss is not part of the module, so it is not measured.
"""
import importlib.util
import json
import sys

import torch


def storage_of(tensor):
    return tensor.storage()


def measure(path, class_name, batch):
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = getattr(module, class_name)()
    model.train()
    owned = {storage_of(t).data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    kept = {}

    def pack(tensor):
        storage = storage_of(tensor)
        # Holding the tensor keeps its storage alive, so no later tensor can reuse the address.
        kept[storage.data_ptr()] = (storage.nbytes(), tensor)
        return tensor

    x = torch.randn(batch, *model.in_shape)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = model(x)
    activations = sum(nbytes for ptr, (nbytes, _) in kept.items() if ptr not in owned)
    weights = sum(nbytes for ptr, (nbytes, _) in kept.items() if ptr in owned)
    del output
    kept.clear()
    return {"batch": batch, "activations": activations, "weights": weights}


if __name__ == "__main__":
    torch.set_num_threads(2)
    results = []
    for arg in sys.argv[1:]:
        path, class_name, batch = arg.rsplit(":", 2)
        results.append(measure(path, class_name, int(batch)))
    print(json.dumps(results))

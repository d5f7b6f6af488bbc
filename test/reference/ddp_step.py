"""Trains a SkipNet PyTorch export for two steps under DistributedDataParallel (gloo, one process), unchanged.

usage: python3 ddp_step.py FILE.py ClassName PORT
prints JSON: the loss of each step and whether every parameter received a gradient.
"""
import importlib.util
import json
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def main(path, class_name, port):
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        torch.manual_seed(0)
        model = DistributedDataParallel(getattr(module, class_name)())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        inputs = torch.randn(4, *model.module.in_shape)
        targets = torch.randint(0, model.module.out_shape[0], (4,))
        losses = []
        for _ in range(2):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        all_grads = all(p.grad is not None for p in model.parameters())
        print(json.dumps({"losses": losses, "allGradients": all_grads}))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))

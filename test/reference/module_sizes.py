"""Builds torch.nn modules from their constructor text and reports what PyTorch counts, for
test/unit/quick-fixes.test.ts (PyTorch layer names that SkipNet rewrites into its own).

usage: python3 module_sizes.py '[["nn.Conv2d(3, 16, 3)", [3, 8, 8]], ...]'
prints a JSON list: for each module, [trainable parameters, elements of the output of one sample]
for a batch of 2 inputs of the given per-sample shape (C×H×W, or N for flat inputs).
"""
import json
import sys

import torch
from torch import nn


def main():
    results = []
    for constructor, shape in json.loads(sys.argv[1]):
        module = eval(constructor, {"nn": nn})  # test-owned constructor text, not user input
        module.eval()
        with torch.no_grad():
            output = module(torch.zeros(2, *shape))
        params = sum(p.numel() for p in module.parameters() if p.requires_grad)
        results.append([params, output[0].numel()])
    print(json.dumps(results))


main()

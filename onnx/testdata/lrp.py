"""Zennit 0.5.1's layer-wise relevance propagation on two small PyTorch CNNs with seeded
weights, the references convlens' LRP is checked against.

usage: lrp.py OUTDIR
For each model NAME (vgg: convolutions, max and average pooling, dense layers; resnet:
convolutions with batch norm, two residual blocks whose sums are Zennit's Sum, global
average pooling): OUTDIR/NAME.onnx (legacy exporter, opset 17, batch norm kept),
NAME.input.npy ([N, 3, 32, 32], random images without near ties in max pooling),
NAME.targets.npy (the predicted classes) and, for each
composite C, NAME.C.npy ([N, 3, 32, 32], the relevance of each input value, the target
logit starting with relevance 1; batch norm merged by SequentialMergeBatchNorm).
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import torch
from torch import nn
from zennit.attribution import Gradient
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.composites import EpsilonAlpha2Beta1, EpsilonGammaBox, EpsilonPlusFlat
from zennit.layer import Sum

COMPOSITES = {
    "epsilon-plus-flat": lambda: EpsilonPlusFlat(canonizers=[SequentialMergeBatchNorm()]),
    "epsilon-gamma-box": lambda: EpsilonGammaBox(low=-3.0, high=3.0, canonizers=[SequentialMergeBatchNorm()]),
    "epsilon-alpha2-beta1": lambda: EpsilonAlpha2Beta1(canonizers=[SequentialMergeBatchNorm()]),
}


def vgg():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(16 * 8 * 8, 32), nn.ReLU(), nn.Linear(32, 10))


class Block(nn.Module):
    def __init__(self, c, zennit_sum):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.sum = Sum() if zennit_sum else None
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.body(x)
        s = self.sum(torch.stack([x, y], dim=-1)) if self.sum is not None else x + y
        return self.relu(s)


def resnet(zennit_sum):
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU()),
        Block(8, zennit_sum), nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()),
        Block(16, zennit_sum), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def seeded(make):
    torch.manual_seed(0)
    m = make()
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.data.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
            mod.bias.data.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
            mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m.eval()


def clear_of_ties(model, x):
    """Whether every max-pool window's largest value leads the next by 1e-4 of it: merging
    batch norm changes the forward pass by float rounding, which flips near ties (seen:
    0.3785054 against 0.3785047) and moves the relevance to another pixel."""
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append(inp[0]))
             for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    for v in seen:
        windows = torch.nn.functional.unfold(v.reshape(-1, 1, *v.shape[2:]), 2, stride=2)
        top = windows.sort(1, descending=True).values
        live = top[:, 0] > 0
        if ((top[:, 0] - top[:, 1])[live] < 1e-4 * top[:, 0][live]).any():
            return False
    return True


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, make, make_zennit in (("vgg", vgg, vgg), ("resnet", lambda: resnet(False), lambda: resnet(True))):
        export = seeded(make)
        gen, picked = torch.Generator().manual_seed(2), []
        while len(picked) < 3:
            cand = torch.randn(1, 3, 32, 32, generator=gen)
            if clear_of_ties(export, cand):
                picked.append(cand)
        x = torch.cat(picked)
        with torch.no_grad():
            logits = export(x)
        targets = logits.argmax(1)
        torch.onnx.export(export, (x,), os.path.join(out, name + ".onnx"), dynamo=False, opset_version=17,
                          do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=["images"], output_names=["logits"],
                          dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
        np.save(os.path.join(out, name + ".input.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(out, name + ".targets.npy"), targets.numpy().astype(np.float32))
        for tag, composite in COMPOSITES.items():
            model = seeded(make_zennit)
            with Gradient(model=model, composite=composite()) as attributor:
                _, rel = attributor(x.clone().requires_grad_(True), torch.eye(10)[targets])
            np.save(os.path.join(out, f"{name}.{tag}.npy"), rel.detach().numpy().astype(np.float32))
        print(name, "targets", targets.tolist(), flush=True)


if __name__ == "__main__":
    main()

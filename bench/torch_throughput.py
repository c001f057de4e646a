#!/usr/bin/env python3
"""PyTorch eager CPU anchor for convlens' training and explanation benchmarks.

Same architectures as layers/presets.go (LeNet on 28x28x1, TinyVGG and ResNet on 32x32x3
as in training/bench_test.go; batch norm in training mode), Adam (lr 2e-3, eps 1e-7 like GoMLX), mean cross-entropy,
synthetic data, warm-up excluded, torch.set_num_threads(THREADS). Prints one JSON line
per measurement: {"what", "model", "batch", "images_per_s" | "ms"}.

Usage: python3 bench/torch_throughput.py [--threads 2] [--steps 30] [--repeats 3] [--only train|explain]
[--model M --batch B]
(torch 2.15.0 CPU; pytorch-grad-cam 1.5.7 for the library Grad-CAM row, optional).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def tinyvgg():
    return nn.Sequential(
        nn.Conv2d(3, 10, 3), nn.ReLU(), nn.Conv2d(10, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(10, 10, 3), nn.ReLU(), nn.Conv2d(10, 10, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(250, 10))


class Residual(nn.Module):
    """conv-bn-relu-conv-bn plus a shortcut (1x1 conv + bn when stride or width change), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout, eps=1e-3))
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout, eps=1e-3))

    def forward(self, x):
        return F.relu(self.body(x) + (x if self.proj is None else self.proj(x)))


def resnet():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16, eps=1e-3), nn.ReLU(),
        Residual(16, 16, 1), Residual(16, 32, 2), Residual(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


MODELS = {"lenet": (lenet, (1, 28, 28)), "tinyvgg": (tinyvgg, (3, 32, 32)), "resnet": (resnet, (3, 32, 32))}


def train_throughput(name, batch, steps, warmup=3):
    make, shape = MODELS[name]
    torch.manual_seed(1)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, eps=1e-7)
    x = torch.rand(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step().item()  # eager CPU ops are synchronous; item() as convlens reads its loss
        times.append(time.perf_counter() - t0)
    return batch * steps / sum(times), batch / statistics.median(times)


def mean_ms(once, iters, warmup):
    """Mean milliseconds per call of once() after warmup calls."""
    for _ in range(warmup):
        once()
    t0 = time.perf_counter()
    for _ in range(iters):
        once()
    return (time.perf_counter() - t0) / iters * 1e3


def saliency_ms(batch, iters, warmup=3):
    torch.manual_seed(1)
    model = lenet().eval()
    x0 = torch.rand(batch, 1, 28, 28)
    targets = torch.zeros(batch, dtype=torch.long)

    def once():
        x = x0.clone().requires_grad_(True)
        logits = model(x)
        score = logits.gather(1, targets[:, None]).sum()
        (g,) = torch.autograd.grad(score, x)
        return g.abs().amax(dim=1).numpy()  # pixel map, as convlens' Saliency returns

    return mean_ms(once, iters, warmup)


def gradcam_autograd_ms(batch, iters, warmup=3):
    """Grad-CAM on conv2 (after ReLU) with autograd, CAM upsampled to 28x28 bilinearly."""
    torch.manual_seed(1)
    model = lenet().eval()
    head, tail = model[:5], model[5:]
    x = torch.rand(batch, 1, 28, 28)
    targets = torch.zeros(batch, dtype=torch.long)

    def once():
        act = head(x)
        logits = tail(act)
        score = logits.gather(1, targets[:, None]).sum()
        (g,) = torch.autograd.grad(score, act)
        w = g.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((w * act).sum(1, keepdim=True))
        return F.interpolate(cam, size=(28, 28), mode="bilinear", align_corners=False).detach().numpy()

    return mean_ms(once, iters, warmup)


def gradcam_library_ms(batch, iters, warmup=3):
    """pytorch-grad-cam's GradCAM on the ReLU after conv2 (what convlens' "conv2" tap is)."""
    try:
        from pytorch_grad_cam import GradCAM
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    except ImportError:
        return None
    torch.manual_seed(1)
    model = lenet().eval()
    x = torch.rand(batch, 1, 28, 28)
    targets = [ClassifierOutputTarget(0) for _ in range(batch)]
    with GradCAM(model=model, target_layers=[model[4]]) as cam:
        for _ in range(warmup):
            cam(input_tensor=x, targets=targets)
        t0 = time.perf_counter()
        for _ in range(iters):
            cam(input_tensor=x, targets=targets)
        return (time.perf_counter() - t0) / iters * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="train or explain (default: both)")
    ap.add_argument("--round", type=int, default=0, help="label of the bench round (bench/run.sh)")
    ap.add_argument("--model", default="", help="train only this model (default: every one)")
    ap.add_argument("--batch", type=int, default=0, help="train only at this batch size (default: 64 and 256)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    meta = {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "mkldnn": torch.backends.mkldnn.is_available()}
    print(json.dumps({"what": "meta", **meta}), flush=True)
    for r in range(a.round, a.round + a.repeats):
        if a.only in ("", "train"):
            for name in [a.model] if a.model else MODELS:
                for batch in [a.batch] if a.batch else (64, 256):
                    ips, median_ips = train_throughput(name, batch, a.steps)
                    print(json.dumps({"what": "train", "model": name, "batch": batch, "repeat": r,
                                      "images_per_s": round(ips, 1), "median_images_per_s": round(median_ips, 1)}),
                          flush=True)
        if a.only in ("", "explain"):
            for batch in (1, 64):
                for what, fn in (("saliency", saliency_ms), ("gradcam_autograd", gradcam_autograd_ms),
                                 ("gradcam_library", gradcam_library_ms)):
                    ms = fn(batch, 50 if batch == 1 else 20)
                    if ms is not None:
                        print(json.dumps({"what": what, "model": "lenet", "batch": batch, "repeat": r,
                                          "ms": round(ms, 3)}), flush=True)


if __name__ == "__main__":
    main()

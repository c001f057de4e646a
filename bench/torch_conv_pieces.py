#!/usr/bin/env python3
"""PyTorch eager CPU side of layers' BenchmarkConvPieces: one convolution's forward, input
gradient and weight gradient at the LeNet, TinyVGG and ResNet shapes (batch 64, float32, NCHW,
the layout a PyTorch user has), each timed alone with aten's convolution_backward and an output
mask. Prints one line per piece with the fastest call in µs (the least disturbed on a shared
machine), like the Go benchmark's min-µs.

Usage: ~/.cache/convlens/torch-venv/bin/python bench/torch_conv_pieces.py [--threads 2] [--calls 40]
"""
import argparse
import time

import torch
import torch.nn.functional as F

# name, batch, height, width, input channels, kernel, filters, stride, padding (as convlens pads it)
CASES = [
    ("lenet_conv1", 64, 28, 28, 1, 5, 6, 1, 2), ("lenet_conv2", 64, 14, 14, 6, 5, 16, 1, 0),
    ("vgg_conv1", 64, 32, 32, 3, 3, 10, 1, 0), ("vgg_conv2", 64, 30, 30, 10, 3, 10, 1, 0),
    ("vgg_conv3", 64, 14, 14, 10, 3, 10, 1, 0),
    ("resnet_stem", 64, 32, 32, 3, 3, 16, 1, 1), ("resnet_block1", 64, 32, 32, 16, 3, 16, 1, 1),
    ("resnet_block2_conv1", 64, 32, 32, 16, 3, 32, 2, 1), ("resnet_block2_proj", 64, 32, 32, 16, 1, 32, 2, 0),
    ("resnet_block2_conv2", 64, 16, 16, 32, 3, 32, 1, 1), ("resnet_block3_conv1", 64, 16, 16, 32, 3, 64, 2, 1),
    ("resnet_block3_proj", 64, 16, 16, 32, 1, 64, 2, 0), ("resnet_block3_conv2", 64, 8, 8, 64, 3, 64, 1, 1),
]


def fastest_us(fn, calls):
    for _ in range(5):
        fn()
    best = float("inf")
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calls", type=int, default=40)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads; fastest call in µs")
    for name, n, h, w, c, k, f, s, p in CASES:
        x, wt = torch.rand(n, c, h, w), torch.rand(f, c, k, k) * 2 - 1
        gy = torch.rand_like(F.conv2d(x, wt, stride=s, padding=p))

        def backward(mask):
            return lambda: torch.ops.aten.convolution_backward(gy, x, wt, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)

        with torch.no_grad():
            fwd = fastest_us(lambda: F.conv2d(x, wt, stride=s, padding=p), a.calls)
        dx = fastest_us(backward([True, False, False]), a.calls)
        dw = fastest_us(backward([False, True, False]), a.calls)
        flop = 2 * n * gy.shape[2] * gy.shape[3] * f * c * k * k
        print(f"{name:22s} fwd {fwd:8.0f}  dx {dx:8.0f}  dw {dw:8.0f}  (forward {flop / 1e6:.0f} MFLOP; dw {flop / dw / 1e3:.0f} GFLOP/s)")


if __name__ == "__main__":
    main()

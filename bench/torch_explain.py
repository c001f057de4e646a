"""The reference libraries' explanation speed on a ResNet-18 at 224×224 (torchvision, seeded
random weights, eval mode) on the CPU, and the model exported for convlens to time the same.

usage: torch_explain.py OUTDIR [THREADS]
Writes OUTDIR/r18.onnx (legacy exporter, dynamic batch) and OUTDIR/input.npy ([1, 3, 224,
224]) and prints one JSON line per measurement: seconds per image of one forward + backward
pass to the input (the unit), pytorch-grad-cam 1.5.7's ScoreCAM (its default batch, 16) and
AblationCAM (batch 32) at layer4, and Zennit 0.5.1's EpsilonPlusFlat LRP (ResNet canonizer),
each the best of its runs after one warm-up.
"""
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import torch
import torchvision


def best(f, runs):
    f()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    out = sys.argv[1]
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count())
    torch.manual_seed(0)
    m = torchvision.models.resnet18(weights=None).eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    torch.onnx.export(m, (x,), os.path.join(out, "r18.onnx"), dynamo=False, opset_version=17,
                      input_names=["images"], output_names=["logits"],
                      dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
    np.save(os.path.join(out, "input.npy"), x.numpy())
    target = int(m(x).argmax(1))

    def fwd_bwd():
        v = x.clone().requires_grad_(True)
        m(v)[0, target].backward()

    def report(what, seconds, **extra):
        print(json.dumps({"what": what, "seconds_per_image": seconds, "threads": torch.get_num_threads(), **extra}), flush=True)

    report("forward+backward", best(fwd_bwd, 5))
    from pytorch_grad_cam import AblationCAM, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    import tqdm
    tqdm.tqdm.__init__.__defaults__  # progress bars go to stderr
    for name, cls, batch in (("scorecam", ScoreCAM, 16), ("ablationcam", AblationCAM, 32)):
        with cls(model=m, target_layers=[m.layer4[-1]]) as cam:
            cam.batch_size = batch
            report(name, best(lambda: cam(input_tensor=x, targets=[ClassifierOutputTarget(target)]), 1), batch=batch)
    from zennit.attribution import Gradient
    from zennit.composites import EpsilonPlusFlat
    from zennit.torchvision import ResNetCanonizer

    with Gradient(model=m, composite=EpsilonPlusFlat(canonizers=[ResNetCanonizer()])) as attributor:
        report("lrp", best(lambda: attributor(x.clone().requires_grad_(True), torch.eye(1000)[[target]]), 5))


if __name__ == "__main__":
    main()

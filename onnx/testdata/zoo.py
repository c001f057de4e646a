"""Exports torchvision's classification CNNs (seeded random weights) with PyTorch's two
ONNX exporters and records onnxruntime's logits, and, for two of them, pytorch-grad-cam's
Grad-CAM and Captum's saliency on the same weights and images.

usage: zoo.py OUTDIR [MODEL ...]
For each model NAME and exporter E (dynamo: torch.onnx.export's default; legacy:
dynamo=False, opset 17): OUTDIR/NAME.E.onnx (with its .data file for dynamo),
OUTDIR/NAME.E.input.npy ([2, 3, S, S], or [1, ...] for a static batch) and
OUTDIR/NAME.E.logits.npy (onnxruntime). OUTDIR/index.json lists them with the input size.
A failed export is recorded with its error; the Go test reports it. For the models of
CAM_LAYERS: OUTDIR/NAME.E.gradcam.npy, .gradcampp.npy, .hirescam.npy, .xgradcam.npy,
.layercam.npy, .scorecam.npy, .ablationcam.npy, .eigencam.npy and .fullgrad.npy ([N, H, W],
pytorch-grad-cam 1.5.7's GradCAM, GradCAMPlusPlus, HiResCAM, XGradCAM, LayerCAM, ScoreCAM,
AblationCAM and EigenCAM at that layer, and FullGrad, its own normalisation; EigenCAM with its
sign-corrected projection,
get_2d_projection_with_sign_correction), OUTDIR/NAME.E.saliency.npy ([N, C, H, W], Captum 0.9.0's
Saliency with abs=False: the input gradient) and OUTDIR/NAME.E.targets.npy (the classes).
Faithfulness references on the same model: OUTDIR/NAME.E.rank.npy ([N, H, W], Σ_c |saliency|,
a map without ties), .grey.npy (the input's first channel in every channel), .deletion.npy and
.insertion.npy ([N, 16], Quantus 0.6.0's PixelFlipping curve of softmax probabilities on the
grey input in 16 steps: deletion to 0, and insertion from 0 with a perturbation that restores
the image's pixels), and .road_morf.npy / .road_lerf.npy ([N],
pytorch-grad-cam's ROAD at 10, 20, …, 90 %, on its GradCAM maps, noise 0, softmax target) and
.similarity.npy ([N], Quantus's correlation_spearman, the similarity of its MPRT randomisation
test, between the absolute GradCAM and HiResCAM maps).
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import logging

logging.disable(logging.WARNING)

import numpy as np
import onnxruntime as ort
import torch
import torchvision

ort.set_default_logger_severity(3)
# Where pytorch-grad-cam looks: the block whose output feeds global average pooling.
CAM_LAYERS = {"resnet18.dynamo": lambda m: m.layer4[-1], "resnet18.legacy": lambda m: m.layer4[-1],
              "mobilenet_v2.legacy": lambda m: m.features[-1]}
MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "squeezenet1_1",
          "densenet121", "vgg11_bn", "googlenet", "shufflenet_v2_x0_5", "mnasnet0_5", "regnet_y_400mf",
          "convnext_tiny", "alexnet"]


def build(name):
    torch.manual_seed(0)
    kw = {"weights": None}
    if name == "googlenet":
        kw.update(aux_logits=False, init_weights=True)
    m = getattr(torchvision.models, name)(**kw).eval()
    # Non-trivial batch-norm statistics, so folding and epsilon matter.
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m


def explanations(model, layer, images, targets, prefix):
    from captum.attr import Saliency
    from pytorch_grad_cam import (AblationCAM, EigenCAM, FullGrad, GradCAM, GradCAMPlusPlus, HiResCAM,
                                  LayerCAM, ScoreCAM, XGradCAM)
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection_with_sign_correction

    class SignedEigenCAM(EigenCAM):
        def get_cam_image(self, input_tensor, target_layer, target_category, activations, grads, eigen_smooth):
            return get_2d_projection_with_sign_correction(activations)

    for tag, method in (("gradcam", GradCAM), ("gradcampp", GradCAMPlusPlus), ("hirescam", HiResCAM),
                        ("xgradcam", XGradCAM), ("layercam", LayerCAM), ("scorecam", ScoreCAM),
                        ("ablationcam", AblationCAM), ("eigencam", SignedEigenCAM), ("fullgrad", FullGrad)):
        # FullGrad finds its layers itself: every convolution with a bias and batch norm.
        with method(model=model, target_layers=[] if method is FullGrad else [layer]) as cam:
            maps = cam(input_tensor=images, targets=[ClassifierOutputTarget(int(t)) for t in targets])
        np.save(prefix + "." + tag + ".npy", np.asarray(maps, dtype=np.float32))
    sal = Saliency(model).attribute(images.clone().requires_grad_(True), target=torch.tensor(targets), abs=False)
    np.save(prefix + ".saliency.npy", sal.detach().numpy().astype(np.float32))
    np.save(prefix + ".targets.npy", np.asarray(targets, dtype=np.float32))
    rank = sal.detach().abs().sum(1).numpy().astype(np.float32)
    np.save(prefix + ".rank.npy", rank)
    faithfulness(model, images, targets, rank, np.load(prefix + ".gradcam.npy"), prefix)


def faithfulness(model, images, targets, rank, cams, prefix):
    import quantus
    from pytorch_grad_cam.metrics.perturbation_confidence import (PerturbationConfidenceMetric,
                                                                  RemoveLeastRelevantFirst,
                                                                  RemoveMostRelevantFirst)
    from pytorch_grad_cam.metrics.road import NoisyLinearImputer
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

    # Quantus perturbs channel values one by one and wants its step to divide H·W: a grey
    # image (the first channel, repeated for the model) makes a feature one pixel.
    gray = images[:, :1].contiguous()
    np.save(prefix + ".grey.npy", gray.expand(-1, images.shape[1], -1, -1).numpy().astype(np.float32))

    class Grey(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, v):
            return self.m(v.expand(-1, images.shape[1], -1, -1))

    x = gray.numpy()
    y = np.asarray(targets)
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    a = rank[:, None]

    def restore(arr, indices, source, **kwargs):
        out = arr.copy()
        for b in range(arr.shape[0]):
            out[b, indices[b]] = source[b, indices[b]]
        return out

    runs = (("deletion", x, dict(perturb_baseline=0.0)),
            ("insertion", np.zeros_like(x), dict(perturb_func=restore,
                                                  perturb_func_kwargs={"source": x.reshape(n, -1)})))
    for tag, start, kw in runs:
        metric = quantus.PixelFlipping(features_in_step=h * w // 16, disable_warnings=True, **kw)
        curves = metric(model=Grey(model).eval(), x_batch=start, y_batch=y, a_batch=a, softmax=True, device="cpu")
        np.save(prefix + "." + tag + ".npy", np.asarray(curves, dtype=np.float32))
    # The randomisation test's similarity: Quantus's MPRT compares maps with this function,
    # on absolute maps (its default abs=True; its normalisation by the maximum keeps ranks).
    from quantus.functions.similarity_func import correlation_spearman

    hires = np.load(prefix + ".hirescam.npy")
    sim = correlation_spearman(np.abs(cams).reshape(len(cams), -1), np.abs(hires).reshape(len(hires), -1), batched=True)
    np.save(prefix + ".similarity.npy", np.asarray(sim, dtype=np.float32))
    softmax = [ClassifierOutputSoftmaxTarget(int(t)) for t in targets]
    for tag, remove in (("road_morf", RemoveMostRelevantFirst), ("road_lerf", RemoveLeastRelevantFirst)):
        scores = [PerturbationConfidenceMetric(remove(p, NoisyLinearImputer(noise=0)))(images, cams, softmax, model)
                  for p in (10, 20, 30, 40, 50, 60, 70, 80, 90)]
        np.save(prefix + "." + tag + ".npy", np.mean(np.float32(scores), axis=0))


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or MODELS
    os.makedirs(out, exist_ok=True)
    index = {}
    for name in names:
        m = build(name)
        for exporter in ("dynamo", "legacy"):
            # The smallest input each allows: the legacy exporter refuses adaptive pooling
            # to 7x7 from a map that 7 does not divide (VGG, AlexNet).
            size = 224 if exporter == "legacy" and name in ("vgg11_bn", "alexnet") else 64
            key = f"{name}.{exporter}"
            path = os.path.join(out, key + ".onnx")
            x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
            entry = {"model": name, "exporter": exporter, "size": size}
            try:
                with torch.no_grad():
                    if exporter == "dynamo":
                        torch.onnx.export(m, (x[:1],), path, opset_version=17)  # README's line
                    else:
                        torch.onnx.export(m, (x[:1],), path, dynamo=False, opset_version=17,
                                          input_names=["images"], output_names=["logits"],
                                          dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}})
                sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                shape = sess.get_inputs()[0].shape
                batch = x if not isinstance(shape[0], int) else x[: shape[0]]
                feed = {sess.get_inputs()[0].name: batch.numpy()}
                logits = sess.run(None, feed)[0]
                with torch.no_grad():
                    ref = m(batch).numpy()
                entry["torch_vs_ort"] = float(np.abs(ref - logits).max() / max(np.abs(ref).max(), 1e-12))
                np.save(os.path.join(out, key + ".input.npy"), batch.numpy().astype(np.float32))
                np.save(os.path.join(out, key + ".logits.npy"), logits.astype(np.float32))
                if key in CAM_LAYERS:
                    explanations(m, CAM_LAYERS[key](m), batch, logits.argmax(1), os.path.join(out, key))
            except Exception as e:  # recorded: the Go test names it
                entry["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            index[key] = entry
            print(key, entry, flush=True)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()

"""The PyTorch side of bench/imagenet.sh: the same jobs as convlens's commands on the same
ResNet-50 (seeded random weights) and images, as a user would write them with torchvision,
pytorch-grad-cam 1.5.7, Captum 0.9.0 and Zennit 0.5.1. One job per process, so the timing includes
startup and model loading, as for the CLI.

usage: torch_imagenet.py JOB IMAGES.npy
JOB: inspect | predict | gradcam | all
"""
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import torch
import torchvision

job, path = sys.argv[1], sys.argv[2]
torch.set_num_threads(torch.get_num_threads())
torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None).eval()
if job == "inspect":
    print(sum(p.numel() for p in model.parameters()), "parameters")
    sys.exit(0)
x = torch.from_numpy(np.load(path))
with torch.no_grad():
    logits = model(x)
targets = logits.argmax(1).tolist()
if job == "predict":
    print(torch.softmax(logits, 1).topk(3).indices.tolist())
    sys.exit(0)

from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

cams = [ClassifierOutputTarget(t) for t in targets]
with GradCAM(model=model, target_layers=[model.layer4[-1]]) as cam:
    cam(input_tensor=x, targets=cams)
if job == "gradcam":
    sys.exit(0)
from captum.attr import InputXGradient, IntegratedGradients, NoiseTunnel, Occlusion, Saliency

t = torch.tensor(targets)
Saliency(model).attribute(x, target=t)
InputXGradient(model).attribute(x.clone().requires_grad_(True), target=t)
NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", nt_samples=25, nt_samples_batch_size=8, target=t, stdevs=0.15)
IntegratedGradients(model).attribute(x, target=t, n_steps=50, internal_batch_size=8)
from pytorch_grad_cam import EigenCAM, FullGrad, HiResCAM, LayerCAM, XGradCAM

for method in (GradCAMPlusPlus, HiResCAM, XGradCAM, LayerCAM, EigenCAM):
    with method(model=model, target_layers=[model.layer4[-1]]) as cam:
        cam(input_tensor=x, targets=cams)
with FullGrad(model=model, target_layers=[]) as cam:
    cam(input_tensor=x, targets=cams)
from zennit.attribution import Gradient
from zennit.composites import EpsilonPlusFlat
from zennit.torchvision import ResNetCanonizer

with Gradient(model=model, composite=EpsilonPlusFlat(canonizers=[ResNetCanonizer()])) as attributor:
    for i in range(0, len(targets), 8):
        attributor(x[i:i + 8].clone().requires_grad_(True), torch.eye(1000)[targets[i:i + 8]])
# convlens's default occlusion for this model and batch: patch 82, stride 41
Occlusion(model).attribute(x, target=t, sliding_window_shapes=(3, 82, 82), strides=(3, 41, 41), perturbations_per_eval=8)

"""Writes a ResNet-18-shaped ONNX model (random weights, 224×224×3, 1000 classes) and a batch.

usage: onnx_resnet18.py OUT.onnx BATCH.npy [N]   (onnxruntime's time for the batch is printed)
"""
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)
nodes, inits = [], []


def const(a):
    name = f"w{len(inits)}"
    inits.append(numpy_helper.from_array(a.astype(np.float32), name))
    return name


def op(kind, ins, name, **attrs):
    nodes.append(helper.make_node(kind, ins, [name + "_output_0"], name=name, **attrs))
    return name + "_output_0"


def conv_bn(x, cin, cout, k, s, name, relu=True):
    w = rng.standard_normal((cout, cin, k, k)) * np.sqrt(2 / (cin * k * k))
    x = op("Conv", [x, const(w)], name + "/Conv", kernel_shape=[k, k], strides=[s, s], pads=[k // 2] * 4)
    x = op("BatchNormalization", [x, const(np.ones(cout)), const(np.zeros(cout)), const(rng.standard_normal(cout) * 0.1),
                                  const(np.ones(cout))], name + "/BatchNormalization")
    return op("Relu", [x], name + "/Relu") if relu else x


def block(x, cin, cout, s, name):
    y = conv_bn(x, cin, cout, 3, s, name + "/conv1")
    y = conv_bn(y, cout, cout, 3, 1, name + "/conv2", relu=False)
    if s != 1 or cin != cout:
        x = conv_bn(x, cin, cout, 1, s, name + "/downsample", relu=False)
    return op("Relu", [op("Add", [y, x], name + "/Add")], name + "/Relu")


x = conv_bn("images", 3, 64, 7, 2, "/conv1")
x = op("MaxPool", [x], "/maxpool/MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
cin = 64
for i, (c, s) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)]):
    x = block(x, cin, c, s, f"/layer{i+1}/layer{i+1}.0")
    x = block(x, c, c, 1, f"/layer{i+1}/layer{i+1}.1")
    cin = c
x = op("Flatten", [op("GlobalAveragePool", [x], "/avgpool/GlobalAveragePool")], "/Flatten")
x = op("Gemm", [x, const(rng.standard_normal((1000, 512)) * 0.03), const(np.zeros(1000))], "/fc/Gemm", transB=1)
graph = helper.make_graph(nodes, "resnet18", [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, 224, 224])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", 1000])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="convlens-bench")
model.ir_version = 8
onnx.save(model, sys.argv[1])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 8
batch = rng.uniform(0, 1, (n, 3, 224, 224)).astype(np.float32)
np.save(sys.argv[2], batch)
sess = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
sess.run(None, {"images": batch})
t = time.perf_counter()
sess.run(None, {"images": batch})
print(f"onnxruntime: {n} images in {time.perf_counter() - t:.3f} s")

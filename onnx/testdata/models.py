"""Builds the ONNX test models with onnx's helper API and records onnxruntime's outputs.

usage: models.py OUTDIR
For each model NAME: OUTDIR/NAME.onnx, OUTDIR/NAME.input.npy (the batch) and
OUTDIR/NAME.ref/<i>.npy, every named tensor onnxruntime computes, listed in
OUTDIR/NAME.ref/index.json ({tensor name: file}).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
ort.set_default_logger_severity(3)


def w(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


class G:
    def __init__(self, name, shape, opset=17):
        self.name, self.shape, self.opset = name, shape, opset
        self.nodes, self.inits, self.n = [], [], 0
        self.functions = []

    def const(self, arr, name=None):
        self.n += 1
        name = name or f"{self.name}_c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def op(self, op, inputs, name=None, **attrs):
        self.n += 1
        name = name or f"/{self.name}/{op}_{self.n}"
        out = name + "_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def conv(self, x, cin, cout, k, group=1, bias=True, **attrs):
        ins = [x, self.const(w(cout, cin // group, k, k))]
        if bias:
            ins.append(self.const(w(cout, scale=0.1)))
        return self.op("Conv", ins, kernel_shape=[k, k], group=group, **attrs)

    def gemm(self, x, n_in, n_out, **attrs):
        wt = w(n_out, n_in) if attrs.get("transB") else w(n_in, n_out)
        return self.op("Gemm", [x, self.const(wt), self.const(w(n_out, scale=0.1))], **attrs)

    def save(self, out, outdir, inputs_as_graph_inputs=False):
        x = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N"] + self.shape[1:])
        y = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
        ins = [x]
        if inputs_as_graph_inputs:  # opset-7 style: weights are graph inputs too
            ins += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in self.inits]
        graph = helper.make_graph(self.nodes, self.name, ins, [y], self.inits)
        opsets = [helper.make_opsetid("", self.opset)] + [helper.make_opsetid(f.domain, 1) for f in self.functions]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="convlens-tests", functions=self.functions)
        model.ir_version = 7 if self.opset < 13 else 8
        probe = helper.make_model(helper.make_graph(self.nodes, self.name, ins, [], self.inits),
                                  opset_imports=opsets, functions=self.functions)
        probe.ir_version = model.ir_version
        types = {}
        for vi in onnx.shape_inference.infer_shapes(probe).graph.value_info:
            types[vi.name] = vi.type.tensor_type.elem_type
            if vi.name == out and vi.type.tensor_type.HasField("shape"):
                model.graph.output[0].CopyFrom(vi)
        if not model.graph.output[0].type.tensor_type.HasField("shape"):
            model.graph.output[0].CopyFrom(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", None]))
        onnx.checker.check_model(model)
        path = os.path.join(outdir, self.name + ".onnx")
        onnx.save(model, path)
        # Every node output becomes a graph output, so onnxruntime reports it.
        dbg = onnx.ModelProto()
        dbg.CopyFrom(model)
        names = [o for n in dbg.graph.node for o in n.output if o]
        del dbg.graph.output[:]
        for name in names:
            dbg.graph.output.append(helper.make_tensor_value_info(name, types.get(name, TensorProto.FLOAT), None))
        sess = ort.InferenceSession(dbg.SerializeToString(), providers=["CPUExecutionProvider"])
        batch = rng.uniform(-1, 1, self.shape).astype(np.float32)
        np.save(os.path.join(outdir, self.name + ".input.npy"), batch)
        ref = os.path.join(outdir, self.name + ".ref")
        os.makedirs(ref, exist_ok=True)
        index = {}
        for i, (name, val) in enumerate(zip(names, sess.run(names, {"images": batch}))):
            if val.dtype.kind != "f":
                continue
            np.save(os.path.join(ref, f"{i}.npy"), val.astype(np.float32))
            index[name] = f"{i}.npy"
        with open(os.path.join(ref, "index.json"), "w") as f:
            json.dump({"output": out, "tensors": index}, f)


def conv_family(d):
    g = G("conv_family", [2, 3, 11, 13])
    x = g.conv("images", 3, 4, 3, strides=[2, 2], pads=[1, 0, 2, 1])
    x = g.op("Relu", [x])
    x = g.conv(x, 4, 6, 3, dilations=[2, 2], pads=[2, 2, 1, 2])
    x = g.op("LeakyRelu", [x], alpha=0.2)
    x = g.conv(x, 6, 6, 3, group=6, strides=[2, 2], auto_pad="SAME_LOWER")
    x = g.op("Sigmoid", [x])
    x = g.conv(x, 6, 8, 1, bias=False)
    x = g.op("Tanh", [x])
    x = g.op("Clip", [x, g.const(np.float32(-0.2)), g.const(np.float32(0.6))])
    x = g.op("Clip", [x, "", g.const(np.float32(0.5))])
    x = g.conv(x, 8, 8, 2, group=2, auto_pad="VALID")
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    x = g.gemm(x, 8, 5, transB=1)
    g.save(g.op("Softmax", [x], axis=1), d)


def pool_family(d):
    g = G("pool_family", [3, 2, 17, 14], opset=13)
    x = g.op("Pad", ["images", g.const(np.array([0, 0, 2, 0, 0, 0, 1, 3], dtype=np.int64)), g.const(np.float32(0.5))])
    x = g.conv(x, 2, 5, 3, pads=[1, 1, 1, 1])
    x = g.op("Pad", [x, g.const(np.array([0, 0, 0, 1, 0, 0, 1, 0], dtype=np.int64))])
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    x = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1])
    x = g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], auto_pad="SAME_UPPER")
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[1, 1])
    x = g.op("Flatten", [x])
    x = g.gemm(x, 5 * 5 * 4, 7, alpha=0.5, beta=2.0)
    x = g.op("Relu", [x])
    x = g.op("MatMul", [x, g.const(w(7, 4))])
    g.save(g.op("Add", [x, g.const(w(4))]), d)


def bn_arith(d):
    g = G("bn_arith", [2, 3, 9, 9], opset=20)
    x = g.conv("images", 3, 4, 3, strides=[2, 2])
    c = 4
    x = g.op("BatchNormalization", [x, g.const(w(c) + 1), g.const(w(c)), g.const(w(c)), g.const(np.abs(w(c)) + 0.5)], epsilon=1e-5)
    x = g.op("Mul", [x, g.const(w(c, 1, 1))])
    x = g.op("Add", [g.const(np.float32(0.3)), x])
    x = g.op("Sub", [x, g.const(w(1, c, 1, 1))])
    x = g.op("Sub", [g.const(np.float32(1.5)), x])
    x = g.op("Div", [x, g.const(np.float32(2.0))])
    x = g.op("Relu", [x])
    x = g.op("Dropout", [x])
    x = g.op("Identity", [x])
    x = g.op("Reshape", [x, g.const(np.array([0, -1], dtype=np.int64))])
    x = g.op("MatMul", [x, g.const(w(c * 16, 6))])
    x = g.op("BatchNormalization", [x, g.const(w(6) + 1), g.const(w(6)), g.const(w(6)), g.const(np.abs(w(6)) + 0.5)])
    g.save(g.gemm(x, 6, 3), d)


def residual(d):
    g = G("residual", [2, 3, 10, 10])
    a = g.conv("images", 3, 3, 3, pads=[1, 1, 1, 1])
    a = g.op("Relu", [a])
    a = g.conv(a, 3, 3, 3, pads=[1, 1, 1, 1])
    s = g.op("Add", [a, "images"])
    s = g.op("Relu", [s])
    b = g.conv(s, 3, 4, 1)
    x = g.op("Concat", [s, b, "images"], axis=1)
    x = g.conv(x, 10, 6, 3, strides=[2, 2], pads=[1, 1, 1, 1])
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.op("Flatten", [x])
    g.save(g.gemm(x, 6 * 2 * 2, 4, transB=1), d)


def old_style(d):
    g = G("old_style", [1, 1, 8, 8], opset=7)
    x = g.conv("images", 1, 3, 3, auto_pad="SAME_UPPER", bias=False)
    x = g.op("Add", [x, g.const(w(3, 1, 1))])
    x = g.op("Relu", [x])
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.op("Reshape", [x, g.const(np.array([1, 48], dtype=np.int64))])
    wt = g.op("Reshape", [g.const(w(12, 8)), g.const(np.array([96, 1], dtype=np.int64))])
    wt = g.op("Reshape", [wt, g.const(np.array([48, -1], dtype=np.int64))])
    x = g.op("MatMul", [x, wt])
    g.save(g.op("Add", [x, g.const(w(2))]), d, inputs_as_graph_inputs=True)


def torch_view(d):  # x.view(x.size(0), -1) as PyTorch's TorchScript exporter writes it
    g = G("torch_view", [2, 1, 6, 6], opset=13)
    x = g.conv("images", 1, 3, 3)
    shape = g.op("Shape", [x])
    n = g.op("Gather", [shape, g.const(np.array(0, dtype=np.int64))], axis=0)
    n = g.op("Unsqueeze", [n, g.const(np.array([0], dtype=np.int64))])
    target = g.op("Concat", [n, g.const(np.array([-1], dtype=np.int64))], axis=0)
    x = g.op("Reshape", [x, target])
    g.save(g.gemm(x, 3 * 4 * 4, 2, transB=1), d)


def squeeze_excite(d):  # MobileNetV3/EfficientNet-style gate: x * sigmoid(conv(relu(conv(gap(x)))))
    g = G("squeeze_excite", [2, 3, 8, 7])
    x = g.conv("images", 3, 6, 3, pads=[1, 1, 1, 1])
    x = g.op("Clip", [x, g.const(np.float32(0)), g.const(np.float32(6))])
    s = g.op("GlobalAveragePool", [x])
    s = g.conv(s, 6, 2, 1)
    s = g.op("Relu", [s])
    s = g.conv(s, 2, 6, 1)
    s = g.op("Sigmoid", [s])
    x = g.op("Mul", [x, s])
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x])
    g.save(g.gemm(x, 6, 3, transB=1), d)


def channels_last(d):  # as tf2onnx writes Keras models: NHWC input, transposes around the convs
    g = G("channels_last", [2, 7, 9, 3])
    x = g.op("Transpose", ["images"], perm=[0, 3, 1, 2])
    x = g.conv(x, 3, 4, 3, strides=[2, 2], auto_pad="SAME_UPPER")
    x = g.op("Relu", [x])
    x = g.op("Transpose", [x], perm=[0, 2, 3, 1])
    x = g.op("Flatten", [x])
    g.save(g.gemm(x, 4 * 5 * 4, 3), d)


def local_function(d):  # a model calling a local function (an exporter's decomposed GELU-like block)
    g = G("local_function", [2, 3, 8, 8], opset=17)
    body = [
        helper.make_node("LeakyRelu", ["X"], ["a"]),
        helper.make_node("Constant", [], ["s"], value_float=1.4142135),
        helper.make_node("Div", ["a", "s"], ["b"]),
        helper.make_node("Erf", ["b"], ["c"]),
        helper.make_node("Constant", [], ["one"], value_float=1.0),
        helper.make_node("Add", ["c", "one"], ["e"]),
        helper.make_node("Mul", ["a", "e"], ["f"]),
        helper.make_node("Constant", [], ["half"], value_float=0.5),
        helper.make_node("Mul", ["f", "half"], ["Y"]),
    ]
    body[0].attribute.append(helper.make_attribute_ref("alpha", onnx.AttributeProto.FLOAT))
    fn = helper.make_function("convlens.test", "ScaledGelu", ["X"], ["Y"], body, [helper.make_opsetid("", 17)],
                              attributes=[], attribute_protos=[helper.make_attribute("alpha", 0.1)])
    g.functions.append(fn)
    x = g.conv("images", 3, 4, 3, pads=[1, 1, 1, 1])
    x = g.op("ScaledGelu", [x], domain="convlens.test", alpha=0.3)
    x = g.op("ScaledGelu", [x], domain="convlens.test")
    x = g.op("Flatten", [x])
    g.save(g.gemm(x, 4 * 8 * 8, 3, transB=1), d)


def unsupported(d):
    g = G("unsupported", [1, 3, 8, 8])
    x = g.op("Pad", ["images", g.const(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64))])
    x = g.op("Hardmax", [x])
    x = g.conv(x, 3, 4, 3)
    x = g.op("Mul", [x, x])
    x = g.op("Transpose", [x], perm=[0, 1, 3, 2])
    x = g.op("Flatten", [x])
    g.save(g.gemm(x, 8 * 8 * 4, 2, transB=1), d)


def hostile(d):
    """Files that must give one clear error (no reference run): an op type with terminal
    escapes and a forged line, NaN weights, opsets 1 and 99."""
    def model(nodes, inits, opset, name):
        x = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 1, 4, 4])
        y = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)
        m = helper.make_model(helper.make_graph(nodes, name, [x], [y], inits), opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        onnx.save(m, os.path.join(d, name + ".onnx"))

    evil = "Relu\x1b[31m\nconvlens: all good"
    model([helper.make_node(evil, ["images"], ["y"], name="n\x1b[2J")], [], 17, "hostile_op")
    wt = w(2, 1, 3, 3)
    wt[0, 0, 1, 1] = np.nan
    conv = helper.make_node("Conv", ["images", "W"], ["y"], name="conv")
    flat = helper.make_node("Flatten", ["y"], ["z"], name="flat")
    model([conv, flat], [numpy_helper.from_array(wt, "W")], 17, "nan_weights")
    relu = helper.make_node("Relu", ["images"], ["y"], name="relu")
    for v in (1, 99):
        model([relu, helper.make_node("Flatten", ["y"], ["z"], name="flat")], [], v, f"opset{v}")


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for f in (conv_family, pool_family, bn_arith, residual, old_style, channels_last, torch_view, squeeze_excite, local_function, unsupported):
        f(out)
    hostile(out)
    print("models written to", out)

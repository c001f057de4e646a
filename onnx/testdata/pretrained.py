"""Runs the pretrained fixtures (scripts/install-pretrained.sh) in onnxruntime on seeded
inputs and records every graph output.

usage: pretrained.py MODELDIR OUTDIR
For each case NAME: OUTDIR/NAME.input.npy (the file's own layout) and
OUTDIR/NAME.output<i>.npy for each graph output; OUTDIR/cases.json lists them.
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort

ort.set_default_logger_severity(3)
# name: (file, input shape in the file's layout: batch of 2)
CASES = {
    "ppocr_cls": ("ppocr_cls.onnx", [2, 3, 48, 192]),
    "ppocr_det": ("ppocr_det.onnx", [2, 3, 64, 96]),
    "mtcnn_pnet": ("mtcnn_pnet.onnx", [2, 24, 20, 3]),
    "mtcnn_rnet": ("mtcnn_rnet.onnx", [2, 24, 24, 3]),
    "mtcnn_onet": ("mtcnn_onet.onnx", [2, 48, 48, 3]),
}


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    index = {}
    for name, (f, shape) in CASES.items():
        sess = ort.InferenceSession(os.path.join(src, f), providers=["CPUExecutionProvider"])
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        np.save(os.path.join(out, name + ".input.npy"), x)
        names = [o.name for o in sess.get_outputs()]
        files = []
        for i, (o, v) in enumerate(zip(names, sess.run(None, {sess.get_inputs()[0].name: x}))):
            files.append(f"{name}.output{i}.npy")
            np.save(os.path.join(out, files[-1]), v.astype(np.float32))
        index[name] = {"file": f, "outputs": names, "files": files}
    with open(os.path.join(out, "cases.json"), "w") as fh:
        json.dump(index, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()

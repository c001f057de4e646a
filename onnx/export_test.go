package onnx_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// exportCases are convlens models with every exported kind: a ResNet (batch norm, residual
// adds, global pooling), a LeNet (flatten of an image into dense, the C,H,W reorder), and
// a model with normalisation, affine, concat, leaky ReLU, average pooling and a softmax.
func exportCases() map[string]*layers.Spec {
	mixed := layers.NewSpec("mixed", 9, 11, 3, 4)
	mixed.InputMean, mixed.InputStd = layers.PerChannel{0.4, 0.5, 0.6}, layers.PerChannel{0.2, 0.25, 0.3}
	mixed.Conv("a", 4, 3, layers.WithPads(1, 0, 2, 1), layers.WithStride(2), layers.WithLeakyReLU(0.1)).
		Conv("b", 3, 3, layers.WithPadding(layers.Same), layers.WithDilation(2), layers.From(layers.InputName)).
		PadImage("padded", 1, 0, 0, 1, -0.5).
		AvgPool("bp", 3, layers.WithStride(2), layers.WithPads(0, 0, 1, 0)).
		Concat("cat", []string{"a", "bp"}).
		Affine("aff").
		Act("relu6", layers.Clip, func(l *layers.Layer) { l.ClipMin, l.ClipMax = 0, 0.8 }).
		Conv("dw", 7, 3, layers.WithGroups(7), layers.WithActivation(layers.Tanh)).
		Conv("c2", 5, 1).
		GlobalAvgPool("sq", func(l *layers.Layer) { l.KeepDims = true }).
		Conv("gate", 5, 1, layers.WithActivation(layers.Sigmoid)).
		Multiply("gated", []string{"c2", "gate"}).
		Flatten("flat").
		BatchNorm("bn").
		Dropout("drop", 0.3).
		Dense("fc", 4).
		Softmax("probs")
	return map[string]*layers.Spec{"resnet": layers.ResNet(16, 16, 3, 5), "lenet": layers.LeNet(), "mixed": mixed}
}

// randomize gives every variable random values (moving variances positive) so the test sees
// more than an initialisation.
func randomize(t *testing.T, m *layers.Model, seed uint64) {
	t.Helper()
	shapes, err := m.Spec.VariableShapes()
	if err != nil {
		t.Fatal(err)
	}
	for key, shape := range shapes {
		dir, name := filepath.Split(key)
		layer := m.Spec.Layers[0].Name
		for _, l := range m.Spec.Layers {
			if layers.Scope(l.Name)+"/" == dir {
				layer = l.Name
			}
		}
		lo := float32(-0.5)
		if name == layers.VarMovingVar {
			lo = 0.2
		}
		seed++
		if err := m.SetVariable(layer, name, testutil.RandomArray(seed, lo, 1, shape...)); err != nil {
			t.Fatal(err)
		}
	}
}

// Export → import gives the same logits, on both backends; onnxruntime agrees on the file.
func TestExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for name, spec := range exportCases() {
		for bname, b := range testutil.Both(t) {
			t.Run(name+"/"+bname, func(t *testing.T) {
				m, err := layers.New(spec, b, 3)
				if err != nil {
					t.Fatal(err)
				}
				randomize(t, m, 11)
				path := filepath.Join(dir, name+".onnx")
				if err := onnx.Export(m, path); err != nil {
					t.Fatal(err)
				}
				back, imp, err := onnx.Open(path, b)
				if err != nil {
					t.Fatal(err)
				}
				if imp.Opset != onnx.ExportOpset || imp.Producer != "convlens" {
					t.Errorf("opset %d producer %q", imp.Opset, imp.Producer)
				}
				images := testutil.RandomArray(5, 0, 1, 3, spec.Height, spec.Width, spec.Chans)
				want, err := m.Logits(images)
				if err != nil {
					t.Fatal(err)
				}
				got, err := back.Logits(images)
				if err != nil {
					t.Fatal(err)
				}
				if d := testutil.MaxRelDiff(got.Data, want.Data); d > 1e-5 {
					t.Errorf("round trip logits differ by %.3g", d)
				}
				if bname == "xla" {
					checkWithOnnxruntime(t, m, path, images)
				}
			})
		}
	}
}

// checkWithOnnxruntime runs the exported file in onnxruntime and compares its output with
// the model's (probabilities for a softmax output).
func checkWithOnnxruntime(t *testing.T, m *layers.Model, path string, images nd.Array) {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.npy"), filepath.Join(dir, "out.npy")
	nchw, err := nd.NHWCToNCHW(images)
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.WriteNpy(in, nchw); err != nil {
		t.Fatal(err)
	}
	script := `import sys, numpy as np, onnxruntime as ort
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
np.save(sys.argv[3], s.run(None, {"images": np.load(sys.argv[2])})[0].astype(np.float32))`
	if b, err := exec.Command(py, "-c", script, path, in, out).CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, b)
	}
	ref, err := nd.ReadNpy(out)
	if err != nil {
		t.Fatal(err)
	}
	top, err := m.Spec.Topology()
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Taps(images, top.Output)
	if err != nil {
		t.Fatal(err)
	}
	if d := testutil.MaxRelDiff(r.Outputs[top.Output].Data, ref.Data); d > 1e-4 {
		t.Errorf("onnxruntime's output differs by %.3g", d)
	}
}

package onnx_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/explain"
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
	return map[string]*layers.Spec{"resnet": layers.ResNet(16, 16, 3, 5), "lenet": layers.LeNet(), "mixed": mixed, "imported_kinds": importedKinds()}
}

// importedKinds uses every kind and activation that imported models bring.
func importedKinds() *layers.Spec {
	s := layers.NewSpec("imported_kinds", 12, 10, 3, 6)
	kind := func(k layers.Kind, set func(l *layers.Layer)) layers.Option {
		return func(l *layers.Layer) {
			l.Kind = k
			if set != nil {
				set(l)
			}
		}
	}
	s.Conv("c31", 6, 3, layers.WithPads(1, 1, 0, 0), func(l *layers.Layer) { l.KernelW, l.StrideW = 1, 2 }).
		AddLayer("act1", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.HardSwish })).
		AddLayer("up", nil, kind(layers.ConvTranspose, func(l *layers.Layer) {
			l.Filters, l.Kernel, l.Stride, l.Pads, l.OutPads, l.Activation = 4, 3, 2, []int{1, 1, 1, 0}, []int{1, 0}, layers.GELU
		})).
		AddLayer("res", nil, kind(layers.Resize, func(l *layers.Layer) { l.Mode, l.Shape = "linear", []int{12, 10} })).
		PadImage("refl", 1, 1, 2, 0, 0, func(l *layers.Layer) { l.Mode = "reflect" }).
		MaxPool("mp", 3, layers.WithStride(1), func(l *layers.Layer) { l.Dilation = 2 }).
		AvgPool("ap", 3, layers.WithStride(1), layers.WithPads(1, 1, 1, 1), func(l *layers.Layer) { l.CountPad = true }).
		AddLayer("ln", nil, kind(layers.LayerNorm, func(l *layers.Layer) { l.Axes = []int{2} })).
		AddLayer("pr", nil, kind(layers.PReLU, nil)).
		AddLayer("sh", nil, kind(layers.Reshape, func(l *layers.Layer) { l.Shape = []int{10, 8, 2, 2} })).
		AddLayer("shuffle", nil, kind(layers.Reshape, func(l *layers.Layer) { l.Perm, l.Shape = []int{0, 1, 3, 2}, []int{10, 8, 4} })).
		AddLayer("half", nil, kind(layers.Gather, func(l *layers.Layer) { l.Axes, l.Shape, l.Indices = []int{2}, []int{2}, []int{3, 1} })).
		AddLayer("other", []string{"shuffle"}, kind(layers.Gather, func(l *layers.Layer) { l.Axes, l.Shape, l.Indices = []int{2}, []int{2}, []int{0, 2} })).
		Merge("diff", "sub", []string{"half", "other"}).
		Merge("top", "max", []string{"diff", "half", "other"}).
		AddLayer("gate", []string{"half"}, kind(layers.Reduce, func(l *layers.Layer) { l.Op, l.Axes, l.KeepDims = "mean", []int{0, 1}, true })).
		AddLayer("sig", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Sigmoid })).
		Merge("ratio", "div", []string{"top", "sig"}).
		Concat("cat", []string{"ratio", "half"}, func(l *layers.Layer) { l.Axes = []int{0} }).
		AddLayer("sm", nil, kind(layers.Softmax, func(l *layers.Layer) { l.Axes = []int{1} })).
		AddLayer("aff", nil, kind(layers.Affine, func(l *layers.Layer) { l.ParamShape = []int{20, 1, 2} })).
		AddLayer("acts", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation, l.Alpha, l.Beta = layers.HardSigmoid, 0.3, 0.4 })).
		AddLayer("e1", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.GELUTanh })).
		AddLayer("e2", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation, l.Alpha = layers.ELU, 0.5 })).
		AddLayer("e3", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Softplus })).
		AddLayer("e4", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Erf })).
		AddLayer("e5", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Abs })).
		AddLayer("e6", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Sqrt })).
		AddLayer("e7", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Exp })).
		AddLayer("e8", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Log })).
		AddLayer("e9", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation, l.Exponent = layers.Pow, 1.5 })).
		AddLayer("e10", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Reciprocal })).
		AddLayer("e11", nil, kind(layers.Activate, func(l *layers.Layer) { l.Activation = layers.Neg })).
		Dense("pw", 3, layers.WithActivation(layers.Tanh)).
		Identity("tap").
		AddLayer("red", nil, kind(layers.Reduce, func(l *layers.Layer) { l.Op, l.Axes = "l2", []int{1} })).
		Flatten("flat").
		Dense("logits", 6)
	return s
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

// Every explanation method runs through the kinds imported models bring, on both backends,
// with the same maps: the model with every such kind, exported and imported back.
func TestExplanationsThroughImportedKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kinds.onnx")
	gob := testutil.Go(t)
	m, err := layers.New(importedKinds(), gob, 3)
	if err != nil {
		t.Fatal(err)
	}
	randomize(t, m, 17)
	if err := onnx.Export(m, path); err != nil {
		t.Fatal(err)
	}
	images := testutil.RandomArray(19, 0, 1, 2, 12, 10, 3)
	maps := map[string][]*explain.Maps{}
	for _, b := range []*backend.Backend{testutil.XLA(t), gob} {
		back, _, err := onnx.Open(path, b)
		if err != nil {
			t.Fatal(err)
		}
		ex := explain.New(back)
		methods, err := explain.Methods("all", "res")
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range methods {
			r, err := method.Attribute(ex, images, []int{1, 4})
			if err != nil {
				t.Fatalf("%s on %s: %v", method.Name(), b, err)
			}
			if err := nd.CheckFinite(method.Name(), r.Pixels.Data); err != nil {
				t.Error(err)
			}
			maps[method.Name()] = append(maps[method.Name()], r)
		}
	}
	// The maps agree, in pattern or, where they are float32 noise around zero (occlusion
	// moves these saturated logits by ~4e-6 of their ~25), to 1e-5.
	for name, pair := range maps {
		a, b := pair[0].Pixels.Data, pair[1].Pixels.Data
		if c := testutil.Correlation(a, b); !(c > 0.999) && testutil.MaxRelDiff(a, b) > 1e-5 {
			t.Errorf("%s: XLA's and SimpleGo's maps correlate %.5f and differ by %.3g", name, c, testutil.MaxRelDiff(a, b))
		}
	}
}

package onnx_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

var (
	modelsOnce sync.Once
	modelsDir  string
	modelsErr  error
)

// python is the interpreter with onnx and onnxruntime (make test installs it).
func python(t *testing.T) string {
	t.Helper()
	venv := os.Getenv("CONVLENS_ONNX_VENV")
	if venv == "" {
		home, _ := os.UserHomeDir()
		venv = filepath.Join(home, ".cache", "convlens", "onnx-venv")
	}
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CONVLENS_REQUIRE_ONNX") != "" {
			t.Fatalf("onnx tools missing (%v); run scripts/install-onnx-tools.sh", err)
		}
		t.Skip("onnx tools not installed (scripts/install-onnx-tools.sh)")
	}
	return py
}

// models builds the test models and onnxruntime's outputs once per test binary.
func models(t *testing.T) string {
	t.Helper()
	py := python(t)
	modelsOnce.Do(func() {
		modelsDir, modelsErr = os.MkdirTemp("", "convlens-onnx-")
		if modelsErr != nil {
			return
		}
		out, err := exec.Command(py, "testdata/models.py", modelsDir).CombinedOutput()
		if err != nil {
			modelsErr = err
			modelsDir = string(out)
		}
	})
	if modelsErr != nil {
		t.Fatalf("building the test models: %v\n%s", modelsErr, modelsDir)
	}
	return modelsDir
}

type reference struct {
	Output  string            `json:"output"`
	Tensors map[string]string `json:"tensors"`
}

func readRef(t *testing.T, dir, name string) (reference, nd.Array) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".ref", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	in, err := nd.ReadNpy(filepath.Join(dir, name+".input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return r, in
}

// Every layer's output and the logits equal onnxruntime's within 1e-4 relative, on both backends.
func TestImportMatchesOnnxruntime(t *testing.T) {
	dir := models(t)
	for _, name := range []string{"conv_family", "pool_family", "bn_arith", "residual", "old_style", "channels_last", "torch_view", "squeeze_excite", "local_function"} {
		ref, input := readRef(t, dir, name)
		images, err := nd.NCHWToNHWC(input)
		if err != nil {
			t.Fatal(err)
		}
		if name == "channels_last" {
			images = input
		}
		for bname, b := range testutil.Both(t) {
			t.Run(name+"/"+bname, func(t *testing.T) {
				m, imp, err := onnx.Open(filepath.Join(dir, name+".onnx"), b)
				if err != nil {
					t.Fatal(err)
				}
				r, err := m.Taps(images)
				if err != nil {
					t.Fatal(err)
				}
				compared := 0
				for tensor, file := range ref.Tensors {
					layer, ok := imp.Spec.Aliases[tensor]
					if !ok {
						continue // a constant the importer folded
					}
					want, err := nd.ReadNpy(filepath.Join(dir, name+".ref", file))
					if err != nil {
						t.Fatal(err)
					}
					got, err := imp.AsONNX(layer, r.Outputs[layer])
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got.Shape, want.Shape) {
						t.Errorf("%s: shape %v, onnxruntime %v", layer, got.Shape, want.Shape)
						continue
					}
					if d := testutil.MaxRelDiff(got.Data, want.Data); d > 1e-4 {
						t.Errorf("%s: differs from onnxruntime by %.3g", layer, d)
					}
					compared++
				}
				layerCount := len(imp.Spec.Layers)
				if name == "local_function" { // a function body's tensors are internal to onnxruntime
					layerCount = 5
				}
				if compared != layerCount {
					t.Errorf("compared %d of %d layers", compared, len(imp.Spec.Layers))
				}
				want, _ := nd.ReadNpy(filepath.Join(dir, name+".ref", ref.Tensors[ref.Output]))
				logits := r.Logits
				if out, _, _ := imp.Spec.Layer(imp.Spec.Output); out.Kind == "softmax" {
					logits = r.Outputs[imp.Spec.Output]
				}
				if d := testutil.MaxRelDiff(logits.Data, want.Data); d > 1e-4 {
					t.Errorf("output differs from onnxruntime by %.3g", d)
				}
			})
		}
	}
}

// Names: the layers are the ONNX nodes, found by node and output names.
func TestImportNamesAndShapes(t *testing.T) {
	dir := models(t)
	imp, err := onnx.ReadFile(filepath.Join(dir, "residual.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s := imp.Spec
	if s.Height != 10 || s.Width != 10 || s.Chans != 3 || s.Classes != 4 || s.Layout != "NCHW" {
		t.Errorf("spec %dx%dx%d → %d, layout %q", s.Height, s.Width, s.Chans, s.Classes, s.Layout)
	}
	add, _, ok := s.Layer("/residual/Add_8")
	if !ok || add.Kind != "add" || !slices.Equal(add.Inputs, []string{"/residual/Conv_7", "input"}) {
		t.Errorf("residual add: %+v", add)
	}
	if got := s.Resolve("/residual/Add_8_output_0"); got != "/residual/Add_8" {
		t.Errorf("output name resolves to %q", got)
	}
	if shape, err := s.TapShape("/residual/Concat_13"); err != nil || !slices.Equal(shape, []int{10, 10, 10}) {
		t.Errorf("concat shape %v %v", shape, err)
	}
}

// A channels-last export (tf2onnx) takes NHWC images.
func TestImportChannelsLast(t *testing.T) {
	imp, err := onnx.ReadFile(filepath.Join(models(t), "channels_last.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if s := imp.Spec; s.Layout != "NHWC" || s.Height != 7 || s.Width != 9 || s.Chans != 3 || s.Classes != 3 {
		t.Errorf("spec %dx%dx%d → %d, layout %q", s.Height, s.Width, s.Chans, s.Classes, s.Layout)
	}
}

// Bad files get one clear error each, never a panic.
func TestImportErrors(t *testing.T) {
	dir := models(t)
	_, err := onnx.ReadFile(filepath.Join(dir, "unsupported.onnx"))
	if err == nil {
		t.Fatal("unsupported ops imported")
	}
	for _, want := range []string{"unsupported ONNX ops", `"Hardmax" ("/unsupported/Hardmax_3")`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	good, _ := os.ReadFile(filepath.Join(dir, "residual.onnx"))
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	for i, cut := range []int{1, 10, len(good) / 3, len(good) / 2, len(good) - 7} {
		os.WriteFile(bad, good[:cut], 0o644)
		if _, err := onnx.ReadFile(bad); err == nil {
			t.Errorf("truncated file %d (%d bytes) imported", i, cut)
		}
	}
	os.WriteFile(bad, []byte("this is not a model at all, just text"), 0o644)
	if _, err := onnx.ReadFile(bad); err == nil {
		t.Error("text imported as a model")
	}
}

// Names read from a file are quoted in messages (no terminal escapes or forged lines);
// NaN weights and opsets convlens does not read give an error, a newer opset a notice.
func TestHostileFiles(t *testing.T) {
	dir := models(t)
	_, err := onnx.ReadFile(filepath.Join(dir, "hostile_op.onnx"))
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\n") || !strings.Contains(err.Error(), `\x1b[31m\nconvlens: all good`) {
		t.Errorf("hostile op type: %q", err)
	}
	if _, err := onnx.ReadFile(filepath.Join(dir, "nan_weights.onnx")); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN weights: %v", err)
	}
	if _, err := onnx.ReadFile(filepath.Join(dir, "opset1.onnx")); err == nil || !strings.Contains(err.Error(), "opset 1 is older") {
		t.Errorf("opset 1: %v", err)
	}
	imp, err := onnx.ReadFile(filepath.Join(dir, "opset99.onnx"))
	if err != nil || len(imp.Notices) == 0 || !strings.Contains(imp.Notices[0], "opset 99 is newer") {
		t.Errorf("opset 99: %v %v", err, imp)
	}
}

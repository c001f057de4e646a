package onnx_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// onnxGoMNIST returns the MNIST model (CNTK, opset 7) shipped as Go source in the module
// github.com/owulveryck/onnx-go v0.5.0, and the module's directory for its test data.
func onnxGoMNIST(t *testing.T) ([]byte, string) {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/owulveryck/onnx-go@v0.5.0").Output()
	var mod struct{ Dir string }
	if err == nil {
		err = json.Unmarshal(out, &mod)
	}
	if err != nil || mod.Dir == "" {
		if os.Getenv("CONVLENS_REQUIRE_ONNX") != "" {
			t.Fatalf("go mod download onnx-go: %v %s", err, out)
		}
		t.Skipf("onnx-go module unavailable: %v", err)
	}
	dir := filepath.Join(mod.Dir, "internal", "examples", "mnist")
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, "mnist_binary.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var model []byte
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && model == nil {
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			model = []byte(s)
		}
		return true
	})
	return model, dir
}

func readPB(t *testing.T, path string) *onnx.Tensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tensor, err := onnx.DecodeTensor(b)
	if err != nil {
		t.Fatal(err)
	}
	return tensor
}

// A model trained elsewhere (CNTK's MNIST, opset 7, weights reshaped by Reshape nodes) gives
// the outputs of its own test data sets on both backends.
func TestOnnxGoMNIST(t *testing.T) {
	raw, dir := onnxGoMNIST(t)
	m, err := onnx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Producer != "CNTK" || m.Opset != 7 {
		t.Errorf("producer %q opset %d", m.Producer, m.Opset)
	}
	imp, err := onnx.Import(m, "mnist", onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := imp.Spec; s.Height != 28 || s.Width != 28 || s.Chans != 1 || s.Classes != 10 {
		t.Errorf("spec %dx%dx%d → %d", s.Height, s.Width, s.Chans, s.Classes)
	}
	for bname, b := range testutil.Both(t) {
		model, err := imp.Model(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range []string{"test_data_set_0", "test_data_set_1", "test_data_set_2"} {
			in := readPB(t, filepath.Join(dir, set, "input_0.pb"))
			want := readPB(t, filepath.Join(dir, set, "output_0.pb"))
			images, err := nd.NCHWToNHWC(nd.Array{Shape: []int{1, 1, 28, 28}, Data: in.Floats})
			if err != nil {
				t.Fatal(err)
			}
			logits, err := model.Logits(images)
			if err != nil {
				t.Fatal(err)
			}
			if d := testutil.MaxRelDiff(logits.Data, want.Floats); d > 1e-4 {
				t.Errorf("%s %s: logits %v differ from the test data %v by %.3g", bname, set, logits.Data, want.Floats, d)
			}
		}
	}
}

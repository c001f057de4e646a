package onnx_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// ONNX's own node conformance cases (onnx 1.20.0's backend/test/data/node: a model, its
// inputs and expected outputs per case) for every op convlens imports. The first input is
// the image; the other inputs become initializers (weights). A case passes, or is refused
// with an error; none may compute other values than ONNX expects. The per-op table is
// docs/ONNX-OPS.md, which this test regenerates (CONVLENS_WRITE_ONNX_OPS=1) and checks.

// conformanceDir finds the node cases in the onnx tools' Python environment.
func conformanceDir(t *testing.T) string {
	t.Helper()
	py := python(t)
	out, err := exec.Command(py, "-c", "import onnx, os; print(os.path.dirname(onnx.__file__))").Output()
	if err != nil {
		t.Fatalf("locating onnx: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "backend", "test", "data", "node")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("onnx's node cases: %v", err)
	}
	return dir
}

type caseResult struct {
	name, op string
	passed   bool
	refusal  string // why convlens refused it (empty when passed)
	wrong    string // a value that differs (a failure)
}

func TestONNXConformance(t *testing.T) {
	dir := conformanceDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	supported := map[string]bool{}
	for _, op := range onnx.SupportedOps() {
		supported[op] = true
	}
	xla := testutil.XLA(t)
	var results []caseResult
	for _, e := range entries {
		caseDir := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(filepath.Join(caseDir, "model.onnx"))
		if err != nil {
			continue
		}
		m, err := onnx.Decode(raw)
		if err != nil {
			continue
		}
		ops := map[string]bool{}
		all := true
		for _, n := range m.Graph.Nodes {
			if n.OpType == "Constant" {
				continue
			}
			ops[n.OpType] = true
			all = all && supported[n.OpType] && (n.Domain == "" || n.Domain == "ai.onnx")
		}
		if !all || len(ops) == 0 {
			continue
		}
		op := "several (function bodies)"
		if len(ops) == 1 {
			for o := range ops {
				op = o
			}
		}
		r := runCase(xla, caseDir, m)
		r.name, r.op = e.Name(), op
		if r.wrong != "" {
			t.Errorf("%s: %s", r.name, r.wrong)
		}
		results = append(results, r)
	}
	if len(results) < 200 {
		t.Errorf("only %d conformance cases ran", len(results))
	}
	table := conformanceTable(results)
	doc := filepath.Join("..", "docs", "ONNX-OPS.md")
	if os.Getenv("CONVLENS_WRITE_ONNX_OPS") != "" {
		if err := os.WriteFile(doc, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if b, err := os.ReadFile(doc); err != nil || string(b) != table {
		t.Errorf("docs/ONNX-OPS.md is not this run's table; regenerate it: CONVLENS_WRITE_ONNX_OPS=1 go test ./onnx -run TestONNXConformance")
	}
}

// runCase imports a case (inputs after the first as initializers) and compares every output.
func runCase(b *backend.Backend, dir string, m *onnx.Model) caseResult {
	var inputs []*onnx.Tensor
	for i := range m.Graph.Inputs {
		raw, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return caseResult{refusal: "no input data"}
		}
		t, err := onnx.DecodeTensor(raw)
		if err != nil {
			return caseResult{refusal: "input data: " + err.Error()}
		}
		inputs = append(inputs, t)
	}
	if len(inputs) == 0 {
		return caseResult{refusal: "the model takes no input"}
	}
	for i, in := range m.Graph.Inputs[1:] {
		t := *inputs[i+1]
		t.Name = in.Name
		m.Graph.Initializers = append(m.Graph.Initializers, t)
	}
	img := &m.Graph.Inputs[0]
	if len(img.Shape) == 4 && img.Shape[0] > 1 {
		img.Shape[0] = -1 // a dynamic batch: convlens keeps the images apart
	}
	res := caseResult{passed: true}
	for i, out := range m.Graph.Outputs {
		raw, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)))
		if err != nil {
			return caseResult{refusal: "no output data"}
		}
		want, err := onnx.DecodeTensor(raw)
		if err != nil || want.Floats == nil {
			return caseResult{refusal: "a non-float output"}
		}
		imp, err := onnx.Import(m, "case", onnx.Options{Output: out.Name, AnyInput: true})
		if err != nil {
			return caseResult{refusal: err.Error()}
		}
		model, err := imp.Model(b)
		if err != nil {
			return caseResult{refusal: err.Error()}
		}
		x := nd.Array{Shape: dimsOf(inputs[0].Dims), Data: inputs[0].Floats}
		if len(x.Shape) != 4 { // a tensor input: one example, as its H×W×C view
			x.Shape = []int{1, imp.Spec.Height, imp.Spec.Width, imp.Spec.Chans}
		}
		if imp.Spec.Layout == layers.LayoutNCHW {
			if x, err = nd.NCHWToNHWC(x); err != nil {
				return caseResult{refusal: err.Error()}
			}
		}
		r, err := model.Taps(x, imp.Spec.Output)
		if err != nil {
			return caseResult{refusal: err.Error()}
		}
		got, err := imp.AsONNX(imp.Spec.Output, r.Outputs[imp.Spec.Output])
		if err != nil {
			return caseResult{wrong: err.Error()}
		}
		wantShape := dimsOf(want.Dims)
		if !slices.Equal(got.Shape, wantShape) {
			return caseResult{wrong: fmt.Sprintf("output %d: shape %v, ONNX expects %v", i, got.Shape, wantShape)}
		}
		if msg := compareValues(got.Data, want.Floats); msg != "" {
			return caseResult{wrong: fmt.Sprintf("output %d: %s", i, msg)}
		}
	}
	return res
}

func dimsOf(d []int64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

// compareValues allows 1e-4 of the largest expected magnitude (at least 1e-4); NaN and
// infinities must match.
func compareValues(got, want []float32) string {
	scale := 1.0
	for _, w := range want {
		if !math.IsInf(float64(w), 0) && !math.IsNaN(float64(w)) {
			scale = math.Max(scale, math.Abs(float64(w)))
		}
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if math.IsNaN(w) != math.IsNaN(g) {
				return fmt.Sprintf("value %d is %v, ONNX expects %v", i, g, w)
			}
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			if g != w {
				return fmt.Sprintf("value %d is %v, ONNX expects %v", i, g, w)
			}
		case math.Abs(g-w) > 1e-4*scale:
			return fmt.Sprintf("value %d is %v, ONNX expects %v", i, g, w)
		}
	}
	return ""
}

// conformanceTable is the per-op Markdown table of the results.
func conformanceTable(results []caseResult) string {
	type row struct {
		pass, refused int
		reasons       map[string]int
	}
	rows := map[string]*row{}
	for _, r := range results {
		w := rows[r.op]
		if w == nil {
			w = &row{reasons: map[string]int{}}
			rows[r.op] = w
		}
		if r.passed && r.wrong == "" && r.refusal == "" {
			w.pass++
		} else {
			w.refused++
			w.reasons[shortReason(r.refusal+r.wrong)]++
		}
	}
	ops := make([]string, 0, len(rows))
	for op := range rows {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	b.WriteString("# ONNX ops convlens imports\n\n")
	b.WriteString("Generated by `TestONNXConformance` (`onnx/conformance_test.go`) from ONNX 1.20.0's node conformance\n")
	b.WriteString("cases (`onnx/backend/test/data/node`): every case whose ops convlens imports runs on XLA, with the first\n")
	b.WriteString("input as the image and the others as weights. A case passes (every output within 1e-4 of ONNX's\n")
	b.WriteString("expected values, relative to the largest) or is refused with an error; none may compute other values.\n")
	b.WriteString("Most refusals are inputs that are not an image batch `[N, C, H, W]` (convlens explains CNNs on images).\n\n")
	b.WriteString("| op | cases | pass | refused | why refused (cases) |\n|---|---|---|---|---|\n")
	total, passed := 0, 0
	for _, op := range ops {
		w := rows[op]
		var why []string
		for _, reason := range sortedKeys(w.reasons) {
			why = append(why, fmt.Sprintf("%s (%d)", reason, w.reasons[reason]))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", op, w.pass+w.refused, w.pass, w.refused, strings.Join(why, "; "))
		total += w.pass + w.refused
		passed += w.pass
	}
	fmt.Fprintf(&b, "\n%d cases: %d pass, %d refused, 0 give other values.\n", total, passed, total-passed)
	if rest := untested(rows); len(rest) > 0 {
		fmt.Fprintf(&b, "\nImported ops without a conformance case here: %s.\n", strings.Join(rest, ", "))
	}
	return b.String()
}

func untested[V any](rows map[string]V) []string {
	var out []string
	for _, op := range onnx.SupportedOps() {
		if _, ok := rows[op]; !ok {
			out = append(out, op)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shortReason is the gist of a refusal, for the table.
func shortReason(s string) string {
	switch {
	case strings.Contains(s, "needs an image batch"):
		return "input not an image batch"
	case strings.Contains(s, "element type"):
		return "input not float32"
	case strings.Contains(s, "value per image"):
		return "a single output value"
	case strings.Contains(s, "runs each image on its own"):
		return "mixes the images of a batch"
	case strings.Contains(s, "a constant where convlens needs a tensor"):
		return "the image enters as a constant"
	}
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "node ") {
		s = s[i+2:]
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strings.ReplaceAll(s, "|", "/")
}

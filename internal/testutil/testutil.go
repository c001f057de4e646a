// Package testutil opens backends for tests: SimpleGo always, XLA when its plugin is
// installed. With CONVLENS_REQUIRE_XLA=1 (set by `make test`) a missing XLA plugin fails
// the test instead of skipping it.
package testutil

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/nd"
)

var (
	once   sync.Once
	goB    *backend.Backend
	xlaB   *backend.Backend
	xlaErr error
)

func open() {
	var err error
	if goB, err = backend.Open("go"); err != nil {
		panic(err)
	}
	xlaB, xlaErr = backend.Open("xla:cpu")
}

// Go returns the SimpleGo backend.
func Go(t testing.TB) *backend.Backend {
	once.Do(open)
	return goB
}

// XLA returns the XLA CPU backend, skipping (or failing, under CONVLENS_REQUIRE_XLA=1) the test without it.
func XLA(t testing.TB) *backend.Backend {
	once.Do(open)
	if xlaErr != nil {
		if os.Getenv("CONVLENS_REQUIRE_XLA") == "1" {
			t.Fatalf("XLA backend required but unavailable: %v", xlaErr)
		}
		t.Skipf("XLA backend unavailable (%v); run scripts/install-xla-plugin.sh", xlaErr)
	}
	return xlaB
}

// Both returns the backends to run a test on, by name.
func Both(t testing.TB) map[string]*backend.Backend {
	out := map[string]*backend.Backend{"go": Go(t)}
	once.Do(open)
	if xlaErr == nil {
		out["xla"] = xlaB
	} else if os.Getenv("CONVLENS_REQUIRE_XLA") == "1" {
		t.Fatalf("XLA backend required but unavailable: %v", xlaErr)
	}
	return out
}

// RandomArray fills an array of the given shape with uniform values in [lo, hi).
func RandomArray(seed uint64, lo, hi float32, shape ...int) nd.Array {
	a := nd.New(shape...)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range a.Data {
		a.Data[i] = lo + (hi-lo)*r.Float32()
	}
	return a
}

// MaxRelDiff is max |a-b| / max(1, |a|, |b|) over two equal-length slices.
func MaxRelDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		d := math.Abs(x-y) / math.Max(1, math.Max(math.Abs(x), math.Abs(y)))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}

// Correlation is Pearson's correlation of two equal-length slices (NaN for a constant one).
func Correlation(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.NaN()
	}
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma, mb = ma/float64(len(a)), mb/float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		x, y := float64(a[i])-ma, float64(b[i])-mb
		sab, saa, sbb = sab+x*y, saa+x*x, sbb+y*y
	}
	return sab / math.Sqrt(saa*sbb)
}

// TorchPython is the interpreter of the PyTorch tools' environment ($CONVLENS_TORCH_VENV,
// else ~/.cache/convlens/torch-venv, which make test installs); a test without it skips, or
// fails under CONVLENS_REQUIRE_TORCH.
func TorchPython(t testing.TB) string {
	t.Helper()
	venv := os.Getenv("CONVLENS_TORCH_VENV")
	if venv == "" {
		home, _ := os.UserHomeDir()
		venv = filepath.Join(home, ".cache", "convlens", "torch-venv")
	}
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CONVLENS_REQUIRE_TORCH") != "" {
			t.Fatalf("PyTorch tools missing (%v); run scripts/install-torch-anchor.sh", err)
		}
		t.Skip("PyTorch tools not installed (scripts/install-torch-anchor.sh)")
	}
	return py
}

// Float32s converts values a page returned (JSON numbers) to the float32s they were.
func Float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// ScaledDiff is max |a-b| over the largest |b| (at least 1e-6): how far a page's copy a of
// a layer's values b is, relative to the layer's scale.
func ScaledDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	scale, worst := 1e-6, 0.0
	for _, v := range b {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range b {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst / scale
}

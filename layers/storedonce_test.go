package layers

import (
	"math"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// storedOnce must be the identity on every float32, with an identity gradient, on both
// backends. XLA CPU flushes subnormals to zero in every arithmetic operation; there
// storedOnce must match what x·1 gives.
func TestStoredOnceIsIdentity(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{-2.5, float32(math.Copysign(0, -1)), 0, 1.5, float32(math.NaN()), inf, -inf,
		math.SmallestNonzeroFloat32, -math.MaxFloat32, 3e-39}
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for name, be := range testutil.Both(t) {
		t.Run(name, func(t *testing.T) {
			e := graph.MustNewExec(be.Backend, func(x, w *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
				y := storedOnce(x)
				// The gradient is taken at finite points only (NaN·w would poison the sum).
				finite := graph.Where(graph.IsFinite(x), x, graph.ZerosLike(x))
				z := storedOnce(finite)
				return y, graph.Gradient(graph.ReduceAllSum(graph.Mul(z, w)), finite)[0], graph.Mul(x, graph.Div(w, w)) // x·1, computed at run time
			})
			out := e.MustExec(tensors.FromValue(x), tensors.FromValue(w))
			y, grad, timesOne := out[0].Value().([]float32), out[1].Value().([]float32), out[2].Value().([]float32)
			for i, v := range x {
				got := y[i]
				if math.Abs(float64(v)) < 0x1p-126 {
					v = timesOne[i] // the backend's own handling of subnormals
				}
				// SimpleGo's |-0| is -0, so there max(-0, +0) drops a zero's sign; storedOnce
				// runs on XLA CPU only (Model.StoreConvInputs), where the sign must hold.
				sign := name == "go" || math.Signbit(float64(got)) == math.Signbit(float64(v))
				same := (got == v && sign) || (math.IsNaN(float64(v)) && math.IsNaN(float64(got)))
				if !same {
					t.Errorf("storedOnce(%g) = %g", v, got)
				}
				if grad[i] != w[i] {
					t.Errorf("gradient at %g: %g, want %g", v, grad[i], w[i])
				}
			}
		})
	}
}

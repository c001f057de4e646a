package nd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// CKA of a representation with itself, with a rotated and scaled copy, and with a shifted
// one is 1; with unrelated noise it is small; bad input is refused.
func TestLinearCKA(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, p = 40, 6
	x := New(n, p)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	// A rotation in the (0, 1) plane, a scale of 3 and a shift: the same representation.
	c, s := math.Cos(0.7), math.Sin(0.7)
	y := New(n, p)
	for i := 0; i < n; i++ {
		row, out := x.Data[i*p:(i+1)*p], y.Data[i*p:(i+1)*p]
		copy(out, row)
		out[0] = float32(c*float64(row[0]) - s*float64(row[1]))
		out[1] = float32(s*float64(row[0]) + c*float64(row[1]))
		for j := range out {
			out[j] = 3*out[j] + 5
		}
	}
	noise := New(n, 50)
	for i := range noise.Data {
		noise.Data[i] = float32(rng.NormFloat64())
	}
	for _, c := range []struct {
		name   string
		a, b   Array
		lo, hi float64
	}{{"itself", x, x, 1 - 1e-9, 1 + 1e-9}, {"rotated, scaled, shifted", x, y, 1 - 1e-6, 1 + 1e-6}, {"noise", x, noise, 0, 0.4}} {
		got, err := LinearCKA(c.a, c.b)
		if err != nil || got < c.lo || got > c.hi {
			t.Errorf("%s: CKA %.6f (%v), want in [%g, %g]", c.name, got, err, c.lo, c.hi)
		}
	}
	if _, err := LinearCKA(x, New(n+1, p)); err == nil {
		t.Error("different example counts accepted")
	}
	if _, err := LinearCKA(x, New(n, p)); err == nil {
		t.Error("a constant representation accepted")
	}
	bad := New(n, p)
	copy(bad.Data, x.Data)
	bad.Data[3] = float32(math.NaN())
	if _, err := LinearCKA(x, bad); err == nil {
		t.Error("NaN accepted")
	}
}

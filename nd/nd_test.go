package nd

import (
	"math"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	s, h := Summarize([]float32{1, 2, 3, 4, float32(math.NaN()), float32(math.Inf(1))}, 3)
	if s.Mean != 2.5 || s.Min != 1 || s.Max != 4 || s.NonFinite != 2 || math.Abs(s.Norm-math.Sqrt(30)) > 1e-12 || math.Abs(s.Std-math.Sqrt(1.25)) > 1e-12 {
		t.Errorf("stats %+v", s)
	}
	if len(h.Counts) != 3 || h.Counts[0]+h.Counts[1]+h.Counts[2] != 4 || h.Edges[0] != 1 || h.Edges[3] != 4 || h.Counts[2] != 2 {
		t.Errorf("histogram %+v", h)
	}
	s, h = Summarize([]float32{5, 5}, 4) // constant values still get a valid histogram
	if s.Std != 0 || len(h.Counts) != 4 || h.Counts[0] != 2 {
		t.Errorf("constant: %+v %+v", s, h)
	}
	if s, h := Summarize(nil, 4); s.Norm != 0 || len(h.Counts) != 0 {
		t.Errorf("empty: %+v %+v", s, h)
	}
}

func TestValidateAndResize(t *testing.T) {
	for _, bad := range []Array{{}, {Shape: []int{2, 0}}, {Shape: []int{2, 2}, Data: make([]float32, 3)}, {Shape: []int{1 << 20, 1 << 20}}} {
		if bad.Validate() == nil {
			t.Errorf("%v validated", bad.Shape)
		}
	}
	a := Array{Shape: []int{2, 2}, Data: []float32{0, 1, 2, 3}}
	if r := ResizeBilinear(a, 2, 2); &r.Data[0] != &a.Data[0] {
		t.Error("same-size resize copied")
	}
	r := ResizeBilinear(a, 4, 4)
	if r.Data[0] != 0 || r.Data[15] != 3 || r.Data[5] < 0.5 || r.Data[5] > 1.5 {
		t.Errorf("resize %v", r.Data)
	}
	hwc := Array{Shape: []int{1, 2, 2}, Data: []float32{1, 2, 3, 4}}
	if c := hwc.Channel(1); c.Data[0] != 2 || c.Data[1] != 4 {
		t.Errorf("channel %v", c.Data)
	}
	if CheckFinite("x", []float32{1, float32(math.NaN())}) == nil {
		t.Error("NaN passed")
	}
}

func TestAppendRows(t *testing.T) {
	b := Array{Shape: []int{1, 2}, Data: []float32{1, 2}}
	a := AppendRows(Array{}, b)
	a = AppendRows(a, Array{Shape: []int{2, 2}, Data: []float32{3, 4, 5, 6}})
	if a.Shape[0] != 3 || a.Shape[1] != 2 || len(a.Data) != 6 || a.Data[5] != 6 || b.Shape[0] != 1 || b.Data[0] != 1 {
		t.Errorf("got %v %v (first batch %v)", a.Shape, a.Data, b.Shape)
	}
}

// firstNonFinite agrees with math.IsNaN/IsInf on every kind of float32, wherever it stands.
func TestFirstNonFinite(t *testing.T) {
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7f800001), math.Float32frombits(0xffffffff)} // a signalling NaN, a negative NaN
	finite := []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, math.Float32frombits(0x007fffff), math.Float32frombits(0x7f7fffff), 3.5e-39}
	for _, n := range []int{0, 1, 255, 256, 257, 1000} {
		values := make([]float32, n)
		for i := range values {
			values[i] = finite[i%len(finite)]
		}
		if got := firstNonFinite(values); got != -1 {
			t.Fatalf("%d finite values: non-finite at %d (%v)", n, got, values[got])
		}
		for _, at := range []int{0, n / 2, n - 1} {
			if n == 0 {
				break
			}
			for _, bad := range special {
				v := append([]float32(nil), values...)
				v[at] = bad
				if n > 3 && at != n-1 {
					v[n-1] = bad // a later one must not hide the first
				}
				if got := firstNonFinite(v); got != at {
					t.Errorf("n=%d: %v at %d found at %d", n, bad, at, got)
				}
			}
		}
	}
	if err := CheckFinite("images", []float32{1, 2, float32(math.Inf(1))}); err == nil || !strings.Contains(err.Error(), "value 2 is +Inf") {
		t.Errorf("CheckFinite: %v", err)
	}
}

func BenchmarkCheckFinite(b *testing.B) {
	values := make([]float32, 64*32*32*3) // a TinyVGG batch of 64
	for i := range values {
		values[i] = float32(i%255) / 255
	}
	b.SetBytes(int64(4 * len(values)))
	for range b.N {
		if err := CheckFinite("images", values); err != nil {
			b.Fatal(err)
		}
	}
}

package nd

import (
	"fmt"
	"math"
)

// Correlation is the Pearson correlation of two equally long vectors: 1 when b is a
// positive multiple of a plus a constant, 0 when unrelated. Constant vectors have none.
func Correlation(a, b []float32) (float64, error) {
	if err := checkPair("correlation", a, b, 2); err != nil {
		return 0, err
	}
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0, fmt.Errorf("correlation of a constant vector is undefined")
	}
	return sab / math.Sqrt(saa*sbb), nil
}

// RelativeChange is ‖to − from‖₂ / ‖from‖₂: how far to has moved from from, in units of
// from's own size (0: unchanged; 1: moved as far as from is long).
func RelativeChange(from, to []float32) (float64, error) {
	if err := checkPair("relative change", from, to, 1); err != nil {
		return 0, err
	}
	var d, n float64
	for i := range from {
		diff := float64(to[i]) - float64(from[i])
		d += diff * diff
		n += float64(from[i]) * float64(from[i])
	}
	if n == 0 {
		return 0, fmt.Errorf("relative change from an all-zero vector is undefined")
	}
	return math.Sqrt(d / n), nil
}

// checkPair accepts two finite vectors of one length, at least least long.
func checkPair(what string, a, b []float32, least int) error {
	if len(a) != len(b) || len(a) < least {
		return fmt.Errorf("%s needs two vectors of equal length ≥ %d, got %d and %d", what, least, len(a), len(b))
	}
	if err := CheckFinite(what, a); err != nil {
		return err
	}
	return CheckFinite(what, b)
}

// Difference is b − a, element by element, for arrays of one shape.
func Difference(a, b Array) (Array, error) {
	if len(a.Shape) != len(b.Shape) || a.Validate() != nil || b.Validate() != nil {
		return Array{}, fmt.Errorf("difference of arrays of shapes %v and %v", a.Shape, b.Shape)
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return Array{}, fmt.Errorf("difference of arrays of shapes %v and %v", a.Shape, b.Shape)
		}
	}
	out := New(a.Shape...)
	for i := range out.Data {
		out.Data[i] = b.Data[i] - a.Data[i]
	}
	return out, nil
}

// Softmax turns scores into probabilities, shifted by the largest score so that large ones
// do not overflow.
func Softmax(v []float64) []float64 {
	top := math.Inf(-1)
	for _, x := range v {
		top = math.Max(top, x)
	}
	out, sum := make([]float64, len(v)), 0.0
	for i, x := range v {
		out[i] = math.Exp(x - top)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

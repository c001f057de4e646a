package nd

import (
	"fmt"
	"math"
)

// LinearCKA is the linear centred kernel alignment of two representations of the same n
// examples, x [n, ...] and y [n, ...] (each example's values flattened; Kornblith et al.,
// 2019): ⟨K, L⟩ / (‖K‖ ‖L‖) with K = XᶜXᶜᵀ and L = YᶜYᶜᵀ, the columns centred over the
// examples. 1 for representations equal up to a rotation and a scale; near 0 for unrelated
// ones. It costs n²·(p + q) operations and n² memory.
func LinearCKA(x, y Array) (float64, error) {
	if len(x.Shape) == 0 || len(y.Shape) == 0 || x.Shape[0] != y.Shape[0] {
		return 0, fmt.Errorf("CKA: shapes %v and %v do not hold the same examples", x.Shape, y.Shape)
	}
	n := x.Shape[0]
	if n < 2 {
		return 0, fmt.Errorf("CKA: %d examples (want at least 2)", n)
	}
	if err := CheckFinite("CKA input", x.Data); err != nil {
		return 0, err
	}
	if err := CheckFinite("CKA input", y.Data); err != nil {
		return 0, err
	}
	k, l := centredGram(x, n), centredGram(y, n)
	var kl, kk, ll float64
	for i := range k {
		kl += k[i] * l[i]
		kk += k[i] * k[i]
		ll += l[i] * l[i]
	}
	if kk == 0 || ll == 0 {
		return 0, fmt.Errorf("CKA: a representation is the same for every example")
	}
	return kl / math.Sqrt(kk*ll), nil
}

// centredGram is XᶜXᶜᵀ ([n, n], row major) for the n rows of a, columns centred.
func centredGram(a Array, n int) []float64 {
	p := len(a.Data) / n
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range a.Data[i*p : (i+1)*p] {
			mean[j] += float64(v)
		}
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, p)
		for j, v := range a.Data[i*p : (i+1)*p] {
			rows[i][j] = float64(v) - mean[j]/float64(n)
		}
	}
	g := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			var s float64
			for t, v := range rows[i] {
				s += v * rows[j][t]
			}
			g[i*n+j], g[j*n+i] = s, s
		}
	}
	return g
}

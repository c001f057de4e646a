package project

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/convlens/convlens/nd"
)

// TSNE is t-distributed stochastic neighbour embedding (van der Maaten and Hinton, 2008) with
// openTSNE 1.0.4's schedule: Gaussian affinities over each point's 3·perplexity nearest
// neighbours, symmetrised; a PCA start scaled to a standard deviation of 1e-4; 250 steps of
// early exaggeration 12, then Iterations steps; learning rate n / 12 (at least 200 /
// 12); momentum 0.8 and delta-bar-delta gains. The gradient is exact up to ExactLimit points
// and Barnes-Hut beyond. Deterministic: the same points give the same plane.
type TSNE struct {
	Perplexity float64 // default 30
	Iterations int     // after the exaggerated phase (default 500)
	// Theta is Barnes-Hut's accuracy (default 0.5): a cell of size s at distance r counts
	// as one point when s/r < Theta.
	Theta float64
	// ExactLimit is the most points whose gradient is computed exactly (default 2,000).
	ExactLimit int
}

// Fit places the n points x [n, d] in the plane: [n, 2].
func (t TSNE) Fit(x nd.Array) (nd.Array, error) {
	n, _, err := checkPoints(x, 4)
	if err != nil {
		return nd.Array{}, err
	}
	if t.Perplexity == 0 {
		t.Perplexity = 30
	}
	if t.Iterations <= 0 {
		t.Iterations = 500
	}
	if t.Theta <= 0 {
		t.Theta = 0.5
	}
	if t.ExactLimit <= 0 {
		t.ExactLimit = 2000
	}
	perp := math.Min(t.Perplexity, float64(n-1)/3)
	if perp < 1 {
		return nd.Array{}, fmt.Errorf("t-SNE: perplexity %g too small for %d points", t.Perplexity, n)
	}
	k := min(n-1, int(3*perp))
	nb, err := KNN(x, k)
	if err != nil {
		return nd.Array{}, err
	}
	p := affinities(nb, perp)
	y, err := pcaStart(x, 1e-4)
	if err != nil {
		return nd.Array{}, err
	}
	lr := math.Max(float64(n)/12, 200.0/12)
	update, gains := make([]float64, 2*n), make([]float64, 2*n)
	for i := range gains {
		gains[i] = 1
	}
	grad := make([]float64, 2*n)
	for it := 0; it < 250+t.Iterations; it++ {
		exaggeration := 1.0
		if it < 250 {
			exaggeration = 12
		}
		if n <= t.ExactLimit {
			exactGradient(y, p, exaggeration, grad)
		} else {
			bhGradient(y, p, exaggeration, t.Theta, grad)
		}
		for i := range y {
			if (grad[i] > 0) != (update[i] > 0) {
				gains[i] += 0.2
			} else {
				gains[i] = math.Max(gains[i]*0.8, 0.01)
			}
			update[i] = 0.8*update[i] - lr*gains[i]*grad[i]
			y[i] += update[i]
		}
		centre(y)
	}
	out := nd.New(n, 2)
	for i, v := range y {
		out.Data[i] = float32(v)
	}
	return out, nil
}

// sparseP holds the symmetric affinities as, for each point, its neighbours and weights.
type sparseP struct {
	index  [][]int
	weight [][]float64
}

// affinities are P_{j|i} ∝ exp(−β_i d²_ij) over each point's neighbours, β_i found by
// bisection so that the entropy is log(perplexity), then (P + Pᵀ) normalised to sum 1.
func affinities(nb *Neighbours, perplexity float64) *sparseP {
	n := len(nb.Index)
	cond := make([][]float64, n)
	target := math.Log(perplexity)
	for i := 0; i < n; i++ {
		d := nb.Dist[i]
		lo, hi, beta := 0.0, math.Inf(1), 1.0
		w := make([]float64, len(d))
		for step := 0; step < 200; step++ {
			var sum, dsum float64
			for j, v := range d {
				w[j] = math.Exp(-beta * (v*v - d[0]*d[0])) // shifted by the nearest: no underflow
				sum += w[j]
				dsum += w[j] * v * v
			}
			entropy := math.Log(sum) + beta*(dsum/sum-d[0]*d[0])
			if math.Abs(entropy-target) < 1e-8 {
				break
			}
			if entropy > target {
				lo = beta
				if math.IsInf(hi, 1) {
					beta *= 2
				} else {
					beta = (beta + hi) / 2
				}
			} else {
				hi = beta
				beta = (beta + lo) / 2
			}
		}
		var sum float64
		for _, v := range w {
			sum += v
		}
		for j := range w {
			w[j] /= sum
		}
		cond[i] = w
	}
	sym := make([]map[int]float64, n)
	for i := range sym {
		sym[i] = map[int]float64{}
	}
	var total float64
	for i := 0; i < n; i++ {
		for jj, j := range nb.Index[i] {
			v := cond[i][jj]
			sym[i][j] += v
			sym[j][i] += v
			total += 2 * v
		}
	}
	p := &sparseP{index: make([][]int, n), weight: make([][]float64, n)}
	for i := 0; i < n; i++ {
		keys := make([]int, 0, len(sym[i]))
		for j := range sym[i] {
			keys = append(keys, j)
		}
		sort.Ints(keys)
		for _, j := range keys {
			p.index[i] = append(p.index[i], j)
			p.weight[i] = append(p.weight[i], sym[i][j]/total)
		}
	}
	return p
}

// exactGradient is ∂KL/∂y for every point: 4 Σ_j (ex·p_ij − q_ij) w_ij (y_i − y_j) with
// w_ij = 1/(1 + ‖y_i − y_j‖²) and q_ij = w_ij / Σ w.
func exactGradient(y []float64, p *sparseP, ex float64, grad []float64) {
	n := len(y) / 2
	rep := make([]float64, 2*n)
	zs := make([]float64, n)
	parallel(n, func(i int) {
		var z, rx, ry float64
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
			w := 1 / (1 + dx*dx + dy*dy)
			z += w
			rx += w * w * dx
			ry += w * w * dy
		}
		zs[i], rep[2*i], rep[2*i+1] = z, rx, ry
	})
	combine(y, p, ex, rep, zs, grad)
}

// combine writes the gradient 4 (attraction − rep / Z) into grad, from each point's
// unnormalised repulsion rep and its share zs of Z = Σ_ij w_ij; both gradients end here.
func combine(y []float64, p *sparseP, ex float64, rep, zs, grad []float64) {
	var z float64
	for _, v := range zs {
		z += v
	}
	attract(y, p, ex, grad)
	for i := range grad {
		grad[i] = 4 * (grad[i] - rep[i]/z)
	}
}

// attract writes ex · Σ_j p_ij w_ij (y_i − y_j) for each point into grad.
func attract(y []float64, p *sparseP, ex float64, grad []float64) {
	parallel(len(y)/2, func(i int) {
		var ax, ay float64
		for jj, j := range p.index[i] {
			dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
			w := p.weight[i][jj] / (1 + dx*dx + dy*dy)
			ax += w * dx
			ay += w * dy
		}
		grad[2*i], grad[2*i+1] = ex*ax, ex*ay
	})
}

// pcaStart is the points projected on their first two principal components, scaled so
// that the first has standard deviation std.
func pcaStart(x nd.Array, std float64) ([]float64, error) {
	pts, err := principal2(x)
	if err != nil {
		return nil, err
	}
	n := len(pts) / 2
	var s float64
	for i := 0; i < n; i++ {
		s += pts[2*i] * pts[2*i]
	}
	s = math.Sqrt(s / float64(n))
	if s == 0 {
		s = 1
	}
	for i := range pts {
		pts[i] *= std / s
	}
	return pts, nil
}

// principal2 projects the centred points on their two leading principal axes (power
// iteration on the covariance, deterministic start), signs fixed so that each axis's
// largest coordinate is positive.
func principal2(x nd.Array) ([]float64, error) {
	n, d := x.Shape[0], x.Shape[1]
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x.Data[i*d : (i+1)*d] {
			mean[j] += float64(v) / float64(n)
		}
	}
	cov := make([]float64, d*d)
	for i := 0; i < n; i++ {
		row := x.Data[i*d : (i+1)*d]
		for a := 0; a < d; a++ {
			va := float64(row[a]) - mean[a]
			for b := a; b < d; b++ {
				cov[a*d+b] += va * (float64(row[b]) - mean[b])
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := 0; b < a; b++ {
			cov[a*d+b] = cov[b*d+a]
		}
	}
	var axes [][]float64
	rng := rand.New(rand.NewPCG(1, 2))
	for c := 0; c < 2; c++ {
		v := make([]float64, d)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		for it := 0; it < 300; it++ {
			w := make([]float64, d)
			for a := 0; a < d; a++ {
				for b := 0; b < d; b++ {
					w[a] += cov[a*d+b] * v[b]
				}
			}
			for _, u := range axes { // deflate: stay orthogonal to the axes found
				var dot float64
				for j := range w {
					dot += w[j] * u[j]
				}
				for j := range w {
					w[j] -= dot * u[j]
				}
			}
			var norm float64
			for _, x := range w {
				norm += x * x
			}
			norm = math.Sqrt(norm)
			if norm == 0 {
				break
			}
			for j := range w {
				w[j] /= norm
			}
			v = w
		}
		big := 0
		for j := range v {
			if math.Abs(v[j]) > math.Abs(v[big]) {
				big = j
			}
		}
		if v[big] < 0 {
			for j := range v {
				v[j] = -v[j]
			}
		}
		axes = append(axes, v)
	}
	out := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		row := x.Data[i*d : (i+1)*d]
		for c, u := range axes {
			var s float64
			for j := range u {
				s += (float64(row[j]) - mean[j]) * u[j]
			}
			out[2*i+c] = s
		}
	}
	return out, nil
}

func centre(y []float64) {
	n := len(y) / 2
	var mx, my float64
	for i := 0; i < n; i++ {
		mx += y[2*i]
		my += y[2*i+1]
	}
	mx, my = mx/float64(n), my/float64(n)
	for i := 0; i < n; i++ {
		y[2*i] -= mx
		y[2*i+1] -= my
	}
}

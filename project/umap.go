package project

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/convlens/convlens/nd"
)

// UMAP is uniform manifold approximation and projection (McInnes et al., 2018) as
// umap-learn 0.5.12 computes it, single-threaded so that a seed fixes the result: the fuzzy
// graph of each point's NNeighbors nearest (local connectivity 1, symmetrised by fuzzy
// union), a PCA start scaled to ten units, then stochastic gradient descent on the fuzzy
// cross-entropy with 5 negative samples per edge, the curve 1 / (1 + a·d^2b) fitted to
// MinDist, a learning rate falling linearly from 1, Epochs epochs (default 500 up to 10,000
// points, 200 beyond).
type UMAP struct {
	NNeighbors int     // default 15
	MinDist    float64 // default 0.1
	Epochs     int
	Seed       uint64
}

// Fit places the n points x [n, d] in the plane: [n, 2].
func (u UMAP) Fit(x nd.Array) (nd.Array, error) {
	n, _, err := checkPoints(x, 4)
	if err != nil {
		return nd.Array{}, err
	}
	if u.NNeighbors == 0 {
		u.NNeighbors = 15
	}
	if u.MinDist == 0 {
		u.MinDist = 0.1
	}
	if u.NNeighbors < 2 || u.MinDist < 0 || u.MinDist > 1 {
		return nd.Array{}, fmt.Errorf("UMAP: %d neighbours, min_dist %g: want at least 2 and [0, 1]", u.NNeighbors, u.MinDist)
	}
	if u.Epochs <= 0 {
		u.Epochs = 500
		if n > 10000 {
			u.Epochs = 200
		}
	}
	k := min(u.NNeighbors, n-1)
	nb, err := KNN(x, k)
	if err != nil {
		return nd.Array{}, err
	}
	heads, tails, weights := fuzzyGraph(nb)
	maxW := 0.0
	for _, w := range weights {
		maxW = math.Max(maxW, w)
	}
	for e, w := range weights { // umap-learn drops the edges too weak to be sampled once
		if w < maxW/float64(u.Epochs) {
			weights[e] = 0
		}
	}
	a, b := fitCurve(1, u.MinDist)
	y, err := pcaStart(x, 1)
	if err != nil {
		return nd.Array{}, err
	}
	scaleTo(y, 10)
	// Each edge is sampled in proportion to its weight: every perSample[e] epochs.
	perSample := make([]float64, len(weights))
	next, nextNeg := make([]float64, len(weights)), make([]float64, len(weights))
	const negatives = 5
	for e, w := range weights {
		perSample[e] = -1
		if w > 0 {
			perSample[e] = maxW / w
		}
		next[e] = perSample[e]
		nextNeg[e] = perSample[e] / negatives
	}
	rng := rand.New(rand.NewPCG(u.Seed, 0x756d6170))
	clip := func(v float64) float64 { return math.Max(-4, math.Min(4, v)) }
	for epoch := 1; epoch <= u.Epochs; epoch++ {
		alpha := 1 - float64(epoch-1)/float64(u.Epochs)
		for e := range weights {
			if perSample[e] <= 0 || next[e] > float64(epoch) {
				continue
			}
			i, j := heads[e], tails[e]
			dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
			d2 := dx*dx + dy*dy
			if d2 > 0 {
				c := -2 * a * b * math.Pow(d2, b-1) / (1 + a*math.Pow(d2, b))
				gx, gy := clip(c*dx)*alpha, clip(c*dy)*alpha
				y[2*i] += gx
				y[2*i+1] += gy
				y[2*j] -= gx
				y[2*j+1] -= gy
			}
			next[e] += perSample[e]
			count := int((float64(epoch) - nextNeg[e]) / (perSample[e] / negatives))
			for s := 0; s < count; s++ {
				m := rng.IntN(n)
				if m == i {
					continue
				}
				dx, dy := y[2*i]-y[2*m], y[2*i+1]-y[2*m+1]
				d2 := dx*dx + dy*dy
				var gx, gy float64
				if d2 > 0 {
					c := 2 * b / ((0.001 + d2) * (1 + a*math.Pow(d2, b)))
					gx, gy = clip(c*dx), clip(c*dy)
				} else {
					gx, gy = 4, 4
				}
				y[2*i] += gx * alpha
				y[2*i+1] += gy * alpha
			}
			nextNeg[e] += float64(count) * perSample[e] / negatives
		}
	}
	out := nd.New(n, 2)
	for i, v := range y {
		out.Data[i] = float32(v)
	}
	return out, nil
}

// fuzzyGraph is umap-learn's fuzzy simplicial set: for each point, ρ = the distance to its
// nearest neighbour and σ such that Σ exp(−(d − ρ)/σ) = log2(k); the directed weights
// exp(−(d − ρ)/σ) joined by the fuzzy union w + wᵀ − w∘wᵀ. Edges are listed once per
// direction (head, tail), in index order.
func fuzzyGraph(nb *Neighbours) (heads, tails []int, weights []float64) {
	n := len(nb.Index)
	target := math.Log2(float64(nb.K))
	directed := make([]map[int]float64, n)
	for i := 0; i < n; i++ {
		d := nb.Dist[i]
		rho := d[0]
		lo, hi, sigma := 0.0, math.Inf(1), 1.0
		for step := 0; step < 64; step++ {
			var sum float64
			for _, v := range d {
				sum += math.Exp(-math.Max(v-rho, 0) / sigma)
			}
			if math.Abs(sum-target) < 1e-5 {
				break
			}
			if sum > target {
				hi = sigma
				sigma = (lo + hi) / 2
			} else {
				lo = sigma
				if math.IsInf(hi, 1) {
					sigma *= 2
				} else {
					sigma = (lo + hi) / 2
				}
			}
		}
		// umap-learn keeps σ at least 1e-3 of the mean distance.
		var mean float64
		for _, v := range d {
			mean += v / float64(len(d))
		}
		sigma = math.Max(sigma, 1e-3*mean)
		directed[i] = map[int]float64{}
		for jj, j := range nb.Index[i] {
			w := 1.0
			if v := d[jj] - rho; v > 0 {
				w = math.Exp(-v / sigma)
			}
			directed[i][j] = w
		}
	}
	pointing := make([][]int, n) // the points whose neighbours include i
	for j := 0; j < n; j++ {
		for _, i := range nb.Index[j] {
			pointing[i] = append(pointing[i], j)
		}
	}
	for i := 0; i < n; i++ {
		seen := map[int]bool{}
		var js []int
		for _, j := range append(append([]int(nil), nb.Index[i]...), pointing[i]...) {
			if !seen[j] {
				js, seen[j] = append(js, j), true
			}
		}
		sort.Ints(js)
		for _, j := range js {
			a, b := directed[i][j], directed[j][i]
			heads, tails, weights = append(heads, i), append(tails, j), append(weights, a+b-a*b)
		}
	}
	return heads, tails, weights
}

// fitCurve finds a, b such that 1 / (1 + a·x^2b) follows 1 for x < minDist and
// exp(−(x − minDist)/spread) beyond, by least squares on 300 points of [0, 3·spread]
// (umap-learn's find_ab_params), with Gauss-Newton from a = b = 1.
func fitCurve(spread, minDist float64) (a, b float64) {
	xs := make([]float64, 300)
	ys := make([]float64, 300)
	for i := range xs {
		xs[i] = 3 * spread * float64(i) / 299
		ys[i] = 1
		if xs[i] >= minDist {
			ys[i] = math.Exp(-(xs[i] - minDist) / spread)
		}
	}
	a, b = 1, 1
	for it := 0; it < 200; it++ {
		var jaa, jab, jbb, ga, gb float64
		for i, x := range xs {
			if x == 0 {
				continue
			}
			p := math.Pow(x, 2*b)
			f := 1 / (1 + a*p)
			r := f - ys[i]
			da := -p * f * f
			db := -a * p * 2 * math.Log(x) * f * f
			jaa, jab, jbb = jaa+da*da, jab+da*db, jbb+db*db
			ga, gb = ga+da*r, gb+db*r
		}
		det := jaa*jbb - jab*jab
		if det == 0 {
			break
		}
		stepA, stepB := (jbb*ga-jab*gb)/det, (jaa*gb-jab*ga)/det
		a, b = math.Max(a-stepA, 1e-3), math.Max(b-stepB, 1e-3)
		if math.Abs(stepA)+math.Abs(stepB) < 1e-10 {
			break
		}
	}
	return a, b
}

// scaleTo shifts and scales the points so that they span [0, side] on each axis.
func scaleTo(y []float64, side float64) {
	for c := 0; c < 2; c++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := c; i < len(y); i += 2 {
			lo, hi = math.Min(lo, y[i]), math.Max(hi, y[i])
		}
		if hi == lo {
			hi = lo + 1
		}
		for i := c; i < len(y); i += 2 {
			y[i] = (y[i] - lo) / (hi - lo) * side
		}
	}
}

package explain

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/convlens/convlens/nd"
)

// ROAD (remove and debias, Rong et al., 2022) removes a share of the pixels and fills them
// by noisy linear imputation, each from its eight neighbours, so the removal itself leaves
// no shape for the model to see. As pytorch-grad-cam's metrics/road.py defines it: the map
// is scaled to [0, 1]; at percentile p, MoRF (most relevant first) keeps the pixels below
// the map's p-th percentile and LeRF (least relevant first) those below the p-th
// percentile of 1 − map; each scores the target probability after imputation minus before,
// averaged over Percentiles. The score is (LeRF − MoRF) / 2, pytorch-grad-cam's
// ROADCombined: higher is better.
type ROAD struct {
	// Percentiles default to 10, 20, …, 90.
	Percentiles []float64
	// Order is "morf" or "lerf" for one side alone ("" for the combined score).
	Order string
	// Noise is the imputation noise's standard deviation in normalised units (default 0.01,
	// pytorch-grad-cam's; negative for none).
	Noise float64
	Seed  uint64
}

func (r ROAD) Name() string {
	if r.Order != "" {
		return "road-" + r.Order
	}
	return "road"
}

func (r ROAD) HigherIsBetter() bool { return r.Order != "morf" }

func (r ROAD) Score(ex *Explainer, images nd.Array, targets []int, maps nd.Array) ([]float64, error) {
	targets, err := ex.checkMaps(images, targets, maps)
	if err != nil {
		return nil, err
	}
	if r.Order != "" && r.Order != "morf" && r.Order != "lerf" {
		return nil, fmt.Errorf("ROAD order %q: want morf, lerf or empty", r.Order)
	}
	percentiles := r.Percentiles
	if len(percentiles) == 0 {
		percentiles = []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}
	}
	for _, p := range percentiles {
		if !(p >= 0 && p <= 100) {
			return nil, fmt.Errorf("ROAD percentile %g outside [0, 100]", p)
		}
	}
	noise := r.Noise
	if noise == 0 {
		noise = 0.01
	}
	noise = max(noise, 0)
	n, H, W, C := images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3]
	before, err := ex.probabilities(images, targets)
	if err != nil {
		return nil, err
	}
	std := make([]float64, C) // noise in raw pixel units
	for c := range std {
		_, s := ex.Model.Spec.Normalization(c)
		std[c] = noise * s
	}
	var orders []bool // true: MoRF
	if r.Order != "lerf" {
		orders = append(orders, true)
	}
	if r.Order != "morf" {
		orders = append(orders, false)
	}
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		m := scaled01(maps.Sub(i).Data)
		img := images.Sub(i)
		batch := nd.New(len(orders)*len(percentiles), H, W, C)
		for o, morf := range orders {
			rank := m
			if !morf {
				rank = make([]float64, len(m))
				for p, v := range m {
					rank[p] = 1 - v
				}
			}
			for j, pct := range percentiles {
				threshold := percentile(rank, pct)
				keep := make([]bool, H*W)
				for p, v := range rank {
					keep[p] = v < threshold
				}
				rng := rand.New(rand.NewPCG(r.Seed, uint64(i)<<16|uint64(o)<<8|uint64(j)))
				dst := batch.Data[(o*len(percentiles)+j)*H*W*C:][:H*W*C]
				imputeLinear(dst, img, keep, std, rng)
			}
		}
		ts := make([]int, batch.Shape[0])
		for j := range ts {
			ts[j] = targets[i]
		}
		after, err := ex.probabilities(batch, ts)
		if err != nil {
			return nil, err
		}
		for o, morf := range orders {
			var mean float64
			for j := range percentiles {
				mean += after[o*len(percentiles)+j] - before[i]
			}
			mean /= float64(len(percentiles))
			switch {
			case len(orders) == 1:
				out[i] = mean
			case morf:
				out[i] -= mean / 2
			default:
				out[i] += mean / 2
			}
		}
	}
	return out, nil
}

// scaled01 is pytorch-grad-cam's scaling of a map: (m − min) / (max − min + 1e-7), NaN as
// the minimum.
func scaled01(m []float32) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m {
		if x := float64(v); !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	out := make([]float64, len(m))
	for p, v := range m {
		x := float64(v)
		if math.IsNaN(x) {
			x = lo
		}
		out[p] = (x - lo) / (hi - lo + 1e-7)
	}
	return out
}

// percentile is numpy's default (linear) percentile of v.
func percentile(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	pos := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

// roadNeighbours are the eight neighbours and their weights (1/6 beside, 1/12 diagonal),
// as in the ROAD authors' imputer.
var roadNeighbours = [8]struct {
	dy, dx int
	w      float64
}{{1, 1, 1.0 / 12}, {0, 1, 1.0 / 6}, {-1, 1, 1.0 / 12}, {1, -1, 1.0 / 12}, {0, -1, 1.0 / 6}, {-1, -1, 1.0 / 12}, {1, 0, 1.0 / 6}, {-1, 0, 1.0 / 6}}

// imputeLinear writes img [H, W, C] into dst with every pixel not kept replaced by the
// solution of the linear system that makes it the weighted mean of its neighbours inside
// the image (kept ones fixed), plus Gaussian noise of std per channel. It solves the
// symmetric positive definite system by conjugate gradients, one channel at a time; a
// removed region that touches no kept pixel becomes 0.
func imputeLinear(dst []float32, img nd.Array, keep []bool, std []float64, rng *rand.Rand) {
	H, W, C := img.Shape[0], img.Shape[1], img.Shape[2]
	copy(dst, img.Data)
	index := make([]int, H*W) // pixel → unknown number, −1 when kept
	var unknown []int
	for p, k := range keep {
		index[p] = -1
		if !k {
			index[p] = len(unknown)
			unknown = append(unknown, p)
		}
	}
	u := len(unknown)
	if u == 0 {
		return
	}
	// Row i: diag[i]·x_i − Σ w·x_j (j unknown neighbours) = Σ w·v_k (k kept neighbours).
	diag := make([]float64, u)
	type edge struct {
		j int
		w float64
	}
	nbrs := make([][]edge, u)
	b := make([]float64, u*C)
	for i, p := range unknown {
		y, x := p/W, p%W
		for _, nb := range roadNeighbours {
			yy, xx := y+nb.dy, x+nb.dx
			if yy < 0 || xx < 0 || yy >= H || xx >= W {
				continue
			}
			diag[i] += nb.w
			q := yy*W + xx
			if j := index[q]; j >= 0 {
				nbrs[i] = append(nbrs[i], edge{j, nb.w})
			} else {
				for c := 0; c < C; c++ {
					b[i*C+c] += nb.w * float64(img.Data[q*C+c])
				}
			}
		}
	}
	apply := func(out, v []float64) {
		for i := range out {
			s := diag[i] * v[i]
			for _, e := range nbrs[i] {
				s -= e.w * v[e.j]
			}
			out[i] = s
		}
	}
	x, r, z, p, ap := make([]float64, u), make([]float64, u), make([]float64, u), make([]float64, u), make([]float64, u)
	for c := 0; c < C; c++ {
		var bnorm float64
		for i := range x {
			x[i] = 0
			r[i] = b[i*C+c]
			bnorm += r[i] * r[i]
		}
		if bnorm > 0 {
			precondition := func() float64 {
				var rz float64
				for i := range z {
					z[i] = r[i] / diag[i]
					rz += r[i] * z[i]
				}
				return rz
			}
			rz := precondition()
			copy(p, z)
			for it := 0; it < 4*u+100; it++ {
				apply(ap, p)
				var pap float64
				for i := range p {
					pap += p[i] * ap[i]
				}
				if pap <= 0 {
					break
				}
				alpha := rz / pap
				var rr float64
				for i := range x {
					x[i] += alpha * p[i]
					r[i] -= alpha * ap[i]
					rr += r[i] * r[i]
				}
				if rr <= 1e-24*bnorm {
					break
				}
				next := precondition()
				beta := next / rz
				rz = next
				for i := range p {
					p[i] = z[i] + beta*p[i]
				}
			}
		}
		for i, q := range unknown {
			dst[q*C+c] = float32(x[i] + std[c]*rng.NormFloat64())
		}
	}
}

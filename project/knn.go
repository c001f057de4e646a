// Package project places high-dimensional points (a layer's outputs for a dataset) in the
// plane: t-SNE and UMAP, with the neighbourhood scores that say how much of the original
// neighbourhoods survive. Plain values in and out (nd.Array), deterministic for a seed.
package project

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/convlens/convlens/nd"
)

// Neighbours are each point's k nearest other points, nearest first, and their Euclidean
// distances.
type Neighbours struct {
	K     int
	Index [][]int
	Dist  [][]float64
}

// checkPoints validates x [n, d].
func checkPoints(x nd.Array, least int) (int, int, error) {
	if len(x.Shape) != 2 {
		return 0, 0, fmt.Errorf("points of shape %v: want [n, d]", x.Shape)
	}
	n, d := x.Shape[0], x.Shape[1]
	if n < least {
		return 0, 0, fmt.Errorf("%d points: want at least %d", n, least)
	}
	if len(x.Data) != n*d {
		return 0, 0, fmt.Errorf("%d values for shape %v", len(x.Data), x.Shape)
	}
	if err := nd.CheckFinite("points", x.Data); err != nil {
		return 0, 0, err
	}
	return n, d, nil
}

// KNN finds every point's k nearest neighbours exactly (ties by index), on all cores.
func KNN(x nd.Array, k int) (*Neighbours, error) {
	n, d, err := checkPoints(x, 2)
	if err != nil {
		return nil, err
	}
	if k < 1 || k >= n {
		return nil, fmt.Errorf("k = %d neighbours of %d points: want 1 to %d", k, n, n-1)
	}
	nb := &Neighbours{K: k, Index: make([][]int, n), Dist: make([][]float64, n)}
	norms := make([]float64, n)
	for i := range norms {
		for _, v := range x.Data[i*d : (i+1)*d] {
			norms[i] += float64(v) * float64(v)
		}
	}
	parallel(n, func(i int) {
		type cand struct {
			j int
			d float64
		}
		row := x.Data[i*d : (i+1)*d]
		best := make([]cand, 0, k+1)
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			var dot float64
			for t, v := range x.Data[j*d : (j+1)*d] {
				dot += float64(row[t]) * float64(v)
			}
			dist := math.Max(norms[i]+norms[j]-2*dot, 0)
			if len(best) == k && dist >= best[k-1].d {
				continue
			}
			pos := sort.Search(len(best), func(p int) bool { return best[p].d > dist })
			best = append(best, cand{})
			copy(best[pos+1:], best[pos:])
			best[pos] = cand{j, dist}
			if len(best) > k {
				best = best[:k]
			}
		}
		nb.Index[i], nb.Dist[i] = make([]int, k), make([]float64, k)
		for p, c := range best {
			nb.Index[i][p], nb.Dist[i][p] = c.j, math.Sqrt(c.d)
		}
	})
	return nb, nil
}

// parallel runs f(i) for i in [0, n) on all cores.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}(w)
	}
	wg.Wait()
}

// Recall is the mean share of each point's k nearest neighbours in x that are also among
// its k nearest in y (the same points placed elsewhere): 1 when every neighbourhood
// survives.
func Recall(x, y nd.Array, k int) (float64, error) {
	a, err := KNN(x, k)
	if err != nil {
		return 0, err
	}
	return a.Recall(y)
}

// Recall is Recall with the neighbours in the original space already found: the share of
// them that stay among each point's nb.K nearest in y.
func (a *Neighbours) Recall(y nd.Array) (float64, error) {
	k := a.K
	b, err := KNN(y, k)
	if err != nil {
		return 0, err
	}
	if len(a.Index) != len(b.Index) {
		return 0, fmt.Errorf("%d and %d points", len(a.Index), len(b.Index))
	}
	var hit float64
	for i := range a.Index {
		in := map[int]bool{}
		for _, j := range b.Index[i] {
			in[j] = true
		}
		for _, j := range a.Index[i] {
			if in[j] {
				hit++
			}
		}
	}
	return hit / float64(len(a.Index)*k), nil
}

// Trustworthiness (Venna and Kaski, 2001; scikit-learn's definition) penalises points that
// are among a point's k nearest in y but not in x, by how far down x's ranking they are:
// 1 when the plane invents no neighbours.
func Trustworthiness(x, y nd.Array, k int) (float64, error) {
	n, d, err := checkPoints(x, 3)
	if err != nil {
		return 0, err
	}
	if k < 1 || 2*k >= n {
		return 0, fmt.Errorf("trustworthiness with k = %d of %d points: want k < n/2", k, n)
	}
	b, err := KNN(y, k)
	if err != nil {
		return 0, err
	}
	var penalty float64
	var mu sync.Mutex
	parallel(n, func(i int) {
		// The rank of every point by distance to i in x (1: the nearest).
		dist := make([]float64, n)
		row := x.Data[i*d : (i+1)*d]
		for j := 0; j < n; j++ {
			var s float64
			for t, v := range x.Data[j*d : (j+1)*d] {
				diff := float64(row[t]) - float64(v)
				s += diff * diff
			}
			dist[j] = s
		}
		order := make([]int, 0, n-1)
		for j := 0; j < n; j++ {
			if j != i {
				order = append(order, j)
			}
		}
		sort.SliceStable(order, func(a, c int) bool { return dist[order[a]] < dist[order[c]] })
		rank := make([]int, n)
		for r, j := range order {
			rank[j] = r + 1
		}
		var p float64
		for _, j := range b.Index[i] {
			if r := rank[j]; r > k {
				p += float64(r - k)
			}
		}
		mu.Lock()
		penalty += p
		mu.Unlock()
	})
	return 1 - 2/(float64(n)*float64(k)*(2*float64(n)-3*float64(k)-1))*penalty, nil
}

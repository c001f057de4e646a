package layers

import (
	"runtime"
	"sync"
	"weak"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Some of GoMLX v0.26.0's gradients are slow for what this package builds:
//   - the generic DotGeneral gradient broadcasts both operands into an [m, k, n] tensor
//     before reducing it (on SimpleGo 5× slower, gigabytes at batch 256);
//   - XLA's max-pool gradient (SelectAndScatter) is slow on CPU: LeNet trained 1.8× faster
//     with the window-reshape gradient below.
//
// Nodes built here can carry their own gradient; every other node keeps GoMLX's.
var (
	customGradients sync.Map // weak.Pointer[graph.Node] -> gradientFn
	installGrads    sync.Once
)

// gradientFn returns the VJP of each input of node given the VJP of its output.
type gradientFn func(node, v *graph.Node) []*graph.Node

func init() {
	installGrads.Do(func() {
		for _, t := range []graph.NodeType{graph.NodeTypeDotGeneral, graph.NodeTypeReduceWindow, graph.NodeTypeMax} {
			stock := graph.VJPRegistration[t]
			graph.VJPRegistration[t] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
				if fn, ok := customGradients.Load(weak.Make(node)); ok {
					return fn.(gradientFn)(node, v[0])
				}
				return stock(node, v, outShape)
			}
		}
	})
}

// withGradient attaches fn as n's gradient for as long as n lives.
func withGradient(n *graph.Node, fn gradientFn) *graph.Node {
	key := weak.Make(n)
	customGradients.Store(key, fn)
	runtime.AddCleanup(n, func(k weak.Pointer[graph.Node]) { customGradients.Delete(k) }, key)
	return n
}

// matmul multiplies a [m, k] by b [k, n]; its gradient is the textbook pair of products.
func matmul(a, b *graph.Node) *graph.Node {
	return withGradient(graph.DotGeneral(a, []int{1}, nil, b, []int{0}, nil), func(node, g *graph.Node) []*graph.Node {
		a, b := node.Inputs()[0], node.Inputs()[1]
		return []*graph.Node{
			graph.DotGeneral(g, []int{1}, nil, b, []int{1}, nil), // [m,n]·[k,n]ᵀ → [m,k]
			graph.DotGeneral(a, []int{0}, nil, g, []int{0}, nil), // [m,k]ᵀ·[m,n] → [k,n]
		}
	})
}

// batchedMatmul multiplies a [g, m, k] by b [g, k, n] group by group, with the same
// textbook gradient.
func batchedMatmul(a, b *graph.Node) *graph.Node {
	return withGradient(graph.DotGeneral(a, []int{2}, []int{0}, b, []int{1}, []int{0}), func(node, g *graph.Node) []*graph.Node {
		a, b := node.Inputs()[0], node.Inputs()[1]
		return []*graph.Node{
			graph.DotGeneral(g, []int{2}, []int{0}, b, []int{2}, []int{0}), // [g,m,n]·[g,k,n]ᵀ → [g,m,k]
			graph.DotGeneral(a, []int{1}, []int{0}, g, []int{1}, []int{0}), // [g,m,k]ᵀ·[g,m,n] → [g,k,n]
		}
	})
}

// tiles reshapes x [B,H,W,C] (H and W multiples of k) into non-overlapping k×k windows,
// [B, H/k, W/k, C, k*k].
func tiles(x *graph.Node, k int) *graph.Node {
	d := x.Shape().Dimensions
	r := graph.Reshape(x, d[0], d[1]/k, k, d[2]/k, k, d[3])
	r = graph.TransposeAllAxes(r, 0, 1, 3, 5, 2, 4)
	return graph.Reshape(r, d[0], d[1]/k, d[2]/k, d[3], k*k)
}

// untiles inverts tiles.
func untiles(t *graph.Node, k int) *graph.Node {
	d := t.Shape().Dimensions
	r := graph.Reshape(t, d[0], d[1], d[2], d[3], k, k)
	r = graph.TransposeAllAxes(r, 0, 1, 4, 2, 5, 3)
	return graph.Reshape(r, d[0], d[1]*k, d[2]*k, d[3])
}

// firstMax is a one-hot mask of the first maximum along the last axis (as XLA's
// SelectAndScatter picks it; ReduceMax's own gradient would go to every tied element).
func firstMax(x *graph.Node) *graph.Node {
	k := x.Shape().Dimensions[x.Rank()-1]
	return graph.StopGradient(graph.OneHot(graph.ArgMax(x, -1, dtypes.Int32), k, x.DType()))
}

// tiledMaxPoolGradient is the gradient of a k×k, stride-k, unpadded max pool whose input
// sides are multiples of k: the output's VJP goes to each window's first maximum.
func tiledMaxPoolGradient(k int) gradientFn {
	return func(node, v *graph.Node) []*graph.Node {
		x := tiles(node.Inputs()[0], k)
		g := graph.Mul(firstMax(x), graph.InsertAxes(v, -1))
		return []*graph.Node{untiles(g, k)}
	}
}

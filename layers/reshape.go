package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// reshapeKind rearranges each image's values: an optional transpose of the per-image axes
// (Perm), then a reshape to Shape (default: the transposed shape). Imported models use it
// for ONNX's Reshape, Transpose, Flatten, Squeeze and Unsqueeze where the data must move.
type reshapeKind struct {
	oneInput
	noVariables
}

func init() { register(Reshape, reshapeKind{}, false, Rearranges) }

// maxRank bounds the per-image rank of any layer's output.
const maxRank = 8

func (reshapeKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	out := slices.Clone(x)
	if l.Perm != nil {
		if !IsPermutation(l.Perm, len(x)) {
			return nil, fmt.Errorf("perm %v is not a permutation of the %d axes of %v", l.Perm, len(x), x)
		}
		for i, p := range l.Perm {
			out[i] = x[p]
		}
	}
	if l.Shape != nil {
		if len(l.Shape) == 0 || len(l.Shape) > maxRank {
			return nil, fmt.Errorf("shape %v: want 1 to %d axes", l.Shape, maxRank)
		}
		for _, d := range l.Shape {
			if d < 1 || d > maxActivations {
				return nil, fmt.Errorf("shape %v has an axis outside [1, %d]", l.Shape, maxActivations)
			}
		}
		if prod(l.Shape) != prod(x) {
			return nil, fmt.Errorf("shape %v holds %d values, the input %v holds %d", l.Shape, prod(l.Shape), x, prod(x))
		}
		out = slices.Clone(l.Shape)
	}
	return out, nil
}

// IsPermutation reports whether p holds each of 0..n-1 once.
func IsPermutation(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, v := range p {
		if v < 0 || v >= n || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

func (reshapeKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (reshapeKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	if l.Perm != nil && !isIdentity(l.Perm) {
		axes := []int{0}
		for _, p := range l.Perm {
			axes = append(axes, p+1)
		}
		x = graph.TransposeAllAxes(x, axes...)
	}
	if l.Shape != nil {
		x = graph.Reshape(x, append([]int{x.Shape().Dimensions[0]}, l.Shape...)...)
	}
	return x
}

func isIdentity(p []int) bool {
	for i, v := range p {
		if i != v {
			return false
		}
	}
	return true
}

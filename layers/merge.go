package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// mergeKind combines its inputs element-wise by Op: sub and div (first input minus or over
// the second), pow, max, min, mean and sum of any number. Axes of size 1 broadcast, as in
// multiply.
type mergeKind struct{ noVariables }

func init() { register(Merge, mergeKind{}, false, Pointwise) }

// MergeOps lists the merge layer's operations.
var MergeOps = []string{"sub", "div", "pow", "max", "min", "mean", "sum"}

func (mergeKind) arity() (int, int) { return 1, maxInputs }

func (mergeKind) outShape(l Layer, in [][]int) ([]int, error) {
	if !slices.Contains(MergeOps, l.Op) {
		return nil, fmt.Errorf("merge op %q (want one of %v)", l.Op, MergeOps)
	}
	if (l.Op == "sub" || l.Op == "div" || l.Op == "pow") && len(in) != 2 {
		return nil, fmt.Errorf("%s takes 2 inputs, got %d", l.Op, len(in))
	}
	return broadcastShapes(in)
}

// broadcastShapes is the shape of an element-wise result: one rank, axes equal or 1.
func broadcastShapes(in [][]int) ([]int, error) {
	out := slices.Clone(in[0])
	for _, s := range in[1:] {
		if len(s) != len(out) {
			return nil, fmt.Errorf("inputs have shapes %v: element-wise layers need one rank", in)
		}
		for i, d := range s {
			switch {
			case d == out[i] || d == 1:
			case out[i] == 1:
				out[i] = d
			default:
				return nil, fmt.Errorf("inputs have shapes %v: axes must agree or be 1", in)
			}
		}
	}
	return out, nil
}

func (mergeKind) flops(_ Layer, in [][]int, out []int) int64 {
	return int64(max(len(in)-1, 1)) * int64(prod(out))
}

func (mergeKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	xs := broadcastAll(in)
	out := xs[0]
	for _, x := range xs[1:] {
		switch l.Op {
		case "sub":
			out = graph.Sub(out, x)
		case "div":
			out = graph.Div(out, x)
		case "pow":
			out = graph.Pow(out, x)
		case "max":
			out = graph.Max(out, x)
		case "min":
			out = graph.Min(out, x)
		default: // sum, mean
			out = graph.Add(out, x)
		}
	}
	if l.Op == "mean" {
		out = graph.DivScalar(out, float64(len(xs)))
	}
	return out
}

// broadcastAll broadcasts nodes of one rank to their common shape.
func broadcastAll(in []*graph.Node) []*graph.Node {
	dims := slices.Clone(in[0].Shape().Dimensions)
	for _, x := range in[1:] {
		for i, d := range x.Shape().Dimensions {
			dims[i] = max(dims[i], d)
		}
	}
	out := make([]*graph.Node, len(in))
	for i, x := range in {
		if !slices.Equal(x.Shape().Dimensions, dims) {
			x = graph.BroadcastToDims(x, dims...)
		}
		out[i] = x
	}
	return out
}

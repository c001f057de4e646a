package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// multiplyKind multiplies its inputs element-wise; axes of size 1 broadcast (a 1×1×C gate
// scales every position of an H×W×C map).
type multiplyKind struct{ noVariables }

func init() { register(Multiply, multiplyKind{}, false) }

func (multiplyKind) arity() (int, int) { return 2, maxInputs }

func (multiplyKind) outShape(_ Layer, in [][]int) ([]int, error) {
	out := append([]int(nil), in[0]...)
	for _, s := range in[1:] {
		if len(s) != len(out) {
			return nil, fmt.Errorf("inputs have shapes %v: multiply needs one rank", in)
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

func (multiplyKind) flops(_ Layer, in [][]int, out []int) int64 {
	return int64(len(in)-1) * int64(prod(out))
}

func (multiplyKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	dims := append([]int(nil), in[0].Shape().Dimensions...)
	for _, x := range in[1:] {
		for i, d := range x.Shape().Dimensions {
			dims[i] = max(dims[i], d)
		}
	}
	var out *graph.Node
	for _, x := range in {
		if !slices.Equal(x.Shape().Dimensions, dims) {
			x = graph.BroadcastToDims(x, dims...)
		}
		if out == nil {
			out = x
		} else {
			out = graph.Mul(out, x)
		}
	}
	return out
}

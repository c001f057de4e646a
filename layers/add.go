package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// addKind sums its inputs element-wise (residual connections); all must share one shape.
type addKind struct{ noVariables }

func init() { register(Add, addKind{}, true, Pointwise) }

func (addKind) arity() (int, int) { return 2, maxInputs }

func (addKind) outShape(_ Layer, in [][]int) ([]int, error) {
	for _, s := range in[1:] {
		if !slices.Equal(s, in[0]) {
			return nil, fmt.Errorf("inputs have shapes %v: add needs one shape", in)
		}
	}
	return in[0], nil
}

func (addKind) flops(_ Layer, in [][]int, out []int) int64 {
	return int64(len(in)-1) * int64(prod(out))
}

func (addKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	for _, y := range in[1:] {
		x = graph.Add(x, y)
	}
	return x
}

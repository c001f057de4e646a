package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// dropoutKind zeroes a Rate share of values in training (scaling the rest); identity otherwise.
type dropoutKind struct {
	oneInput
	noVariables
}

func init() { register(Dropout, dropoutKind{}, false, Pointwise) }

func (dropoutKind) outShape(l Layer, in [][]int) ([]int, error) {
	if !(l.Rate >= 0 && l.Rate < 1) {
		return nil, fmt.Errorf("rate %v outside [0, 1)", l.Rate)
	}
	return single(in), nil
}

func (dropoutKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (dropoutKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	if !b.training || l.Rate == 0 {
		return x
	}
	keep := graph.GreaterOrEqual(b.ctx.RandomUniform(x.Graph(), x.Shape()), graph.Scalar(x.Graph(), x.DType(), l.Rate))
	return graph.Where(keep, graph.DivScalar(x, 1-l.Rate), graph.ZerosLike(x))
}

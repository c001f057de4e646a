package layers

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// preluKind is a ReLU with a learnt slope for negative values: y = x for x ≥ 0, slope·x
// otherwise. The slope has ParamShape (default one per channel, the last axis), which
// broadcasts onto the input.
type preluKind struct{ oneInput }

func init() { register(PReLU, preluKind{}, false, Pointwise) }

// VarSlope is the prelu layer's variable.
const VarSlope = "slope"

func (preluKind) outShape(l Layer, in [][]int) ([]int, error) {
	if err := checkParamShape(l.ParamShape, single(in)); err != nil {
		return nil, err
	}
	return single(in), nil
}

func (preluKind) variables(l Layer, in [][]int) []VariableSpec {
	shape := l.paramShape(single(in))
	n := prod(shape)
	return []VariableSpec{{Name: VarSlope, Shape: shape, Trainable: true, init: func(*rand.Rand) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 0.25
		}
		return v
	}}}
}

func (preluKind) flops(_ Layer, _ [][]int, out []int) int64 { return 2 * int64(prod(out)) }

func (preluKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	slope := graph.Reshape(b.variable(x.Graph(), VarSlope), l.broadcastParam(x.Shape().Dimensions[1:])...)
	zero := graph.ZerosLike(x)
	return graph.Add(graph.Max(x, zero), graph.Mul(graph.Min(x, zero), slope))
}

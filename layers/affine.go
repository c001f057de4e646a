package layers

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// affineKind scales and shifts: y = x·scale + shift, with scale and shift of ParamShape
// (default one per channel, the last axis) broadcast onto the input. Imported models use it
// for a Mul, Add, Sub or Div by a constant.
type affineKind struct{ oneInput }

func init() { register(Affine, affineKind{}, false, Pointwise) }

// Affine variable names.
const (
	VarScale = "scale"
	VarShift = "shift"
)

func (affineKind) outShape(l Layer, in [][]int) ([]int, error) {
	if err := checkParamShape(l.ParamShape, single(in)); err != nil {
		return nil, err
	}
	return single(in), nil
}

func (affineKind) variables(l Layer, in [][]int) []VariableSpec {
	shape := l.paramShape(single(in))
	n := prod(shape)
	return []VariableSpec{
		{Name: VarScale, Shape: shape, Trainable: true, init: func(*rand.Rand) []float32 { return ones(n) }},
		{Name: VarShift, Shape: shape, Trainable: true, init: func(*rand.Rand) []float32 { return make([]float32, n) }},
	}
}

func (affineKind) flops(_ Layer, _ [][]int, out []int) int64 { return 2 * int64(prod(out)) }

func (affineKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	shape := l.broadcastParam(x.Shape().Dimensions[1:])
	return graph.Add(graph.Mul(x, graph.Reshape(b.variable(g, VarScale), shape...)), graph.Reshape(b.variable(g, VarShift), shape...))
}

package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// denseKind is a fully connected layer on the last axis: weights [in, Units], biases
// [Units]; an input [..., in] gives [..., Units] (a vector in the usual case).
type denseKind struct{ oneInput }

func init() { register(Dense, denseKind{}, true, AlongAxis) }

func (denseKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if l.Units < 1 || l.Units > maxUnits {
		return nil, fmt.Errorf("%d units (want 1 to %d)", l.Units, maxUnits)
	}
	if int64(x[len(x)-1])*int64(l.Units) > maxWeights {
		return nil, fmt.Errorf("%d×%d weights is too many", x[len(x)-1], l.Units)
	}
	return append(slices.Clone(x[:len(x)-1]), l.Units), nil
}

func (denseKind) variables(l Layer, in [][]int) []VariableSpec {
	x := single(in)
	n := x[len(x)-1]
	return []VariableSpec{
		{Name: VarWeights, Shape: []int{n, l.Units}, Trainable: true,
			init: func(rng *rand.Rand) []float32 { return initWeights(rng, n*l.Units, n, l.Units, l.Activation) }},
		zeros(VarBiases, l.Units),
	}
}

func (denseKind) flops(l Layer, in [][]int, out []int) int64 {
	x := single(in)
	n := int64(l.Units) * int64(prod(x[:len(x)-1]))
	return 2*int64(x[len(x)-1])*n + n
}

func (denseKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	dims := x.Shape().Dimensions
	if len(dims) > 2 {
		x = graph.Reshape(x, -1, dims[len(dims)-1])
	}
	x = matmul(x, b.variable(g, VarWeights))
	x = graph.Add(x, graph.Reshape(b.variable(g, VarBiases), 1, l.Units))
	if len(dims) > 2 {
		x = graph.Reshape(x, append(slices.Clone(dims[:len(dims)-1]), l.Units)...)
	}
	return x
}

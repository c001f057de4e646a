package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// denseKind is a fully connected layer: weights [in, Units], biases [Units].
type denseKind struct{ oneInput }

func init() { register(Dense, denseKind{}, true) }

func (denseKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 1 {
		return nil, fmt.Errorf("needs a vector input, got shape %v (add a Flatten or GlobalAvgPool layer before it)", x)
	}
	if l.Units < 1 || l.Units > maxUnits {
		return nil, fmt.Errorf("%d units (want 1 to %d)", l.Units, maxUnits)
	}
	if int64(x[0])*int64(l.Units) > maxActivations {
		return nil, fmt.Errorf("%d×%d weights is too many", x[0], l.Units)
	}
	return []int{l.Units}, nil
}

func (denseKind) variables(l Layer, in [][]int) []VariableSpec {
	n := single(in)[0]
	return []VariableSpec{
		{Name: VarWeights, Shape: []int{n, l.Units}, Trainable: true,
			init: func(rng *rand.Rand) []float32 { return initWeights(rng, n*l.Units, n, l.Units, l.Activation) }},
		zeros(VarBiases, l.Units),
	}
}

func (denseKind) flops(l Layer, in [][]int, out []int) int64 {
	n := int64(l.Units)
	return 2*int64(single(in)[0])*n + n
}

func (denseKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	g := in[0].Graph()
	x := matmul(in[0], b.variable(g, VarWeights))
	return graph.Add(x, graph.Reshape(b.variable(g, VarBiases), 1, l.Units))
}

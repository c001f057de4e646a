package layers

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// affineKind scales and shifts each channel (the last axis): y = x·scale + shift. Imported
// models use it for a Mul, Add, Sub or Div by a constant; scale [C] and shift [C].
type affineKind struct{ oneInput }

func init() { register(Affine, affineKind{}, false) }

// Affine variable names.
const (
	VarScale = "scale"
	VarShift = "shift"
)

func (affineKind) outShape(_ Layer, in [][]int) ([]int, error) { return single(in), nil }

func (affineKind) variables(_ Layer, in [][]int) []VariableSpec {
	x := single(in)
	n := x[len(x)-1]
	return []VariableSpec{{Name: VarScale, Shape: []int{n}, Trainable: true, init: func(*rand.Rand) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}}, zeros(VarShift, n)}
}

func (affineKind) flops(_ Layer, _ [][]int, out []int) int64 { return 2 * int64(prod(out)) }

func (affineKind) build(b *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	shape := make([]int, x.Rank())
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = x.Shape().Dimensions[x.Rank()-1]
	return graph.Add(graph.Mul(x, graph.Reshape(b.variable(g, VarScale), shape...)), graph.Reshape(b.variable(g, VarShift), shape...))
}

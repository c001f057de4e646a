package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// layerNormKind normalises each image over its trailing Axes (mean 0, variance 1, plus
// Epsilon), then scales and shifts with gamma and beta of those axes' shape. ConvNeXt
// normalises its channels-last tensors this way.
type layerNormKind struct{ oneInput }

func init() { register(LayerNorm, layerNormKind{}, false, AlongAxis) }

// LayerNormEpsilon is the default epsilon of layer normalisation.
const LayerNormEpsilon = 1e-5

func (layerNormKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if err := checkAxes(l.Axes, len(x), true); err != nil {
		return nil, err
	}
	for i, a := range l.Axes {
		if a != len(x)-len(l.Axes)+i {
			return nil, fmt.Errorf("axes %v: layernorm normalises the trailing axes of %v, in order", l.Axes, x)
		}
	}
	if !(l.Epsilon >= 0 && l.Epsilon < 1) {
		return nil, fmt.Errorf("epsilon %v outside [0, 1)", l.Epsilon)
	}
	return slices.Clone(x), nil
}

// normShape is the shape of the normalised axes.
func (l Layer) normShape(x []int) []int { return slices.Clone(x[len(x)-len(l.Axes):]) }

func (layerNormKind) variables(l Layer, in [][]int) []VariableSpec {
	shape := l.normShape(single(in))
	n := prod(shape)
	return []VariableSpec{
		{Name: VarGamma, Shape: shape, Trainable: true, init: func(*rand.Rand) []float32 { return ones(n) }},
		{Name: VarBeta, Shape: shape, Trainable: true, init: func(*rand.Rand) []float32 { return make([]float32, n) }},
	}
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// flops: the mean, the variance and the normalisation, about 5 per value.
func (layerNormKind) flops(_ Layer, in [][]int, _ []int) int64 { return 5 * int64(prod(single(in))) }

func (layerNormKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	axes := make([]int, len(l.Axes))
	for i, a := range l.Axes {
		axes[i] = a + 1
	}
	eps := l.Epsilon
	if eps == 0 {
		eps = LayerNormEpsilon
	}
	mean := graph.ReduceAndKeep(x, graph.ReduceMean, axes...)
	centered := graph.Sub(x, mean)
	variance := graph.ReduceAndKeep(graph.Square(centered), graph.ReduceMean, axes...)
	y := graph.Div(centered, graph.Sqrt(graph.AddScalar(variance, eps)))
	shape := append(make([]int, x.Rank()-len(axes)), l.normShape(x.Shape().Dimensions[1:])...)
	for i := range x.Rank() - len(axes) {
		shape[i] = 1
	}
	return graph.Add(graph.Mul(y, graph.Reshape(b.variable(g, VarGamma), shape...)), graph.Reshape(b.variable(g, VarBeta), shape...))
}

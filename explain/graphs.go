package explain

import (
	"fmt"

	"github.com/convlens/convlens/layers"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The graph pieces the programs that read a model's parameters share (FullGrad, LRP).

// variableNode is a layer's variable in graph g.
func variableNode(ctx *context.Context, g *graph.Graph, layer, name string) *graph.Node {
	v := ctx.GetVariableByScopeAndName(layers.Scope(layer), name)
	if v == nil {
		panic(fmt.Errorf("layer %q has no variable %q", layer, name))
	}
	return v.ValueGraph(g)
}

// batchNormAffine is batch norm n as a scale and a shift, both [K]: γ/√(var + ε) and
// β − mean·scale.
func batchNormAffine(ctx *context.Context, g *graph.Graph, n layers.Node) (scale, shift *graph.Node) {
	v := func(name string) *graph.Node { return variableNode(ctx, g, n.Name, name) }
	scale = graph.Mul(v(layers.VarGamma), graph.Reciprocal(graph.Sqrt(graph.AddScalar(v(layers.VarMovingVar), n.NormEpsilon()))))
	return scale, graph.Sub(v(layers.VarBeta), graph.Mul(v(layers.VarMovingMean), scale))
}

// alongLastAxis reshapes a [K] vector to broadcast over like's last axis: [1, …, 1, K].
func alongLastAxis(v, like *graph.Node) *graph.Node {
	shape := make([]int, like.Rank())
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = v.Shape().Dimensions[0]
	return graph.ConvertDType(graph.Reshape(v, shape...), like.DType())
}

// perChannel is one value per input channel, as a constant shaped to broadcast over x.
func perChannel(x *graph.Node, values []float64) *graph.Node {
	v := make([]float32, len(values))
	for i, f := range values {
		v[i] = float32(f)
	}
	return alongLastAxis(graph.Const(x.Graph(), v), x)
}

// centredInput is x − mean, the offset from the mean the model's normalisation removes
// (x itself for a model without one).
func centredInput(s *layers.Spec, x *graph.Node) *graph.Node {
	mean := make([]float64, s.Chans)
	for c := range mean {
		mean[c], _ = s.Normalization(c)
	}
	return graph.Sub(x, perChannel(x, mean))
}

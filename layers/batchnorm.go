package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// batchNormKind normalises over every axis but the last: batch statistics in training
// (updating moving averages with momentum bnMomentum), moving statistics otherwise.
type batchNormKind struct{ oneInput }

func init() { register(BatchNorm, batchNormKind{}, false, Pointwise) }

// bnMomentum is the weight of the old value in batch-norm moving averages.
const bnMomentum = 0.9

// BatchNormEpsilon is added to the variance before its square root.
const BatchNormEpsilon = 1e-3

func (batchNormKind) outShape(l Layer, in [][]int) ([]int, error) {
	if !(l.Epsilon >= 0 && l.Epsilon < 1) {
		return nil, fmt.Errorf("batchnorm epsilon %v outside [0, 1)", l.Epsilon)
	}
	return single(in), nil
}

// NormEpsilon is the ε a batch norm adds to the variance: its Epsilon, or BatchNormEpsilon.
func (l Layer) NormEpsilon() float64 {
	if l.Epsilon > 0 {
		return l.Epsilon
	}
	return BatchNormEpsilon
}

func (batchNormKind) variables(_ Layer, in [][]int) []VariableSpec {
	x := single(in)
	n := x[len(x)-1]
	ones := func(name string, trainable bool) VariableSpec {
		return VariableSpec{Name: name, Shape: []int{n}, Trainable: trainable, init: func(*rand.Rand) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = 1
			}
			return v
		}}
	}
	mean := zeros(VarMovingMean, n)
	mean.Trainable = false
	return []VariableSpec{ones(VarGamma, true), zeros(VarBeta, n), mean, ones(VarMovingVar, false)}
}

func (batchNormKind) flops(_ Layer, _ [][]int, out []int) int64 { return 2 * int64(prod(out)) }

func (batchNormKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	rank := x.Rank()
	c := x.Shape().Dimensions[rank-1]
	axes := make([]int, rank-1)
	bshape := make([]int, rank)
	for i := range axes {
		axes[i] = i
		bshape[i] = 1
	}
	bshape[rank-1] = c
	var mean, variance *graph.Node
	if b.training {
		mean = graph.ReduceMean(x, axes...)
		centered := graph.Sub(x, graph.Reshape(mean, bshape...))
		variance = graph.ReduceMean(graph.Square(centered), axes...)
		for name, batch := range map[string]*graph.Node{VarMovingMean: mean, VarMovingVar: variance} {
			v := b.ctx.GetVariableByScopeAndName(Scope(l.Name), name)
			old := v.ValueGraph(g)
			v.SetValueGraph(graph.Add(graph.MulScalar(old, bnMomentum), graph.MulScalar(graph.StopGradient(batch), 1-bnMomentum)))
		}
	} else {
		mean, variance = b.variable(g, VarMovingMean), b.variable(g, VarMovingVar)
	}
	inv := graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, l.NormEpsilon())))
	scale := graph.Mul(inv, b.variable(g, VarGamma))
	x = graph.Mul(graph.Sub(x, graph.Reshape(mean, bshape...)), graph.Reshape(scale, bshape...))
	return graph.Add(x, graph.Reshape(b.variable(g, VarBeta), bshape...))
}

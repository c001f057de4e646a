package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// reduceKind reduces per-image Axes by Op: mean, max, min, sum, l2 (the Euclidean norm) or
// sumsquare; KeepDims keeps them as axes of size 1. ONNX's ReduceMean is how PyTorch's
// dynamo exporter writes global average pooling.
type reduceKind struct {
	oneInput
	noVariables
}

func init() { register(Reduce, reduceKind{}, false, Rearranges) }

// ReduceOps lists the reduce layer's operations.
var ReduceOps = []string{"mean", "max", "min", "sum", "l2", "sumsquare"}

func (reduceKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if !slices.Contains(ReduceOps, l.Op) {
		return nil, fmt.Errorf("reduce op %q (want one of %v)", l.Op, ReduceOps)
	}
	if err := checkAxes(l.Axes, len(x), true); err != nil {
		return nil, err
	}
	var out []int
	for i, d := range x {
		switch {
		case !slices.Contains(l.Axes, i):
			out = append(out, d)
		case l.KeepDims:
			out = append(out, 1)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reducing every axis of %v leaves no axis; keep the dimensions", x)
	}
	return out, nil
}

// checkAxes validates distinct per-image axes of a rank-n tensor.
func checkAxes(axes []int, n int, nonEmpty bool) error {
	if nonEmpty && len(axes) == 0 {
		return fmt.Errorf("no axes")
	}
	seen := map[int]bool{}
	for _, a := range axes {
		if a < 0 || a >= n || seen[a] {
			return fmt.Errorf("axes %v: want distinct axes of the %d per-image axes", axes, n)
		}
		seen[a] = true
	}
	return nil
}

func (reduceKind) flops(_ Layer, in [][]int, _ []int) int64 { return int64(prod(single(in))) }

func (reduceKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	axes := make([]int, len(l.Axes))
	for i, a := range l.Axes {
		axes[i] = a + 1
	}
	var y *graph.Node
	switch l.Op {
	case "mean":
		y = graph.ReduceMean(x, axes...)
	case "max":
		y = graph.ReduceMax(x, axes...)
	case "min":
		y = graph.ReduceMin(x, axes...)
	case "sum":
		y = graph.ReduceSum(x, axes...)
	case "sumsquare":
		y = graph.ReduceSum(graph.Square(x), axes...)
	case "l2":
		y = graph.Sqrt(graph.ReduceSum(graph.Square(x), axes...))
	}
	if l.KeepDims {
		dims := slices.Clone(x.Shape().Dimensions)
		for _, a := range axes {
			dims[a] = 1
		}
		y = graph.Reshape(y, dims...)
	}
	return y
}

package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// globalAvgPoolKind averages every position of each channel: H×W×C → C (1×1×C with KeepDims).
type globalAvgPoolKind struct {
	oneInput
	noVariables
}

func init() { register(GlobalAvgPool, globalAvgPoolKind{}, false, Rearranges) }

func (globalAvgPoolKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 3 {
		return nil, fmt.Errorf("needs an H×W×C input, got shape %v", x)
	}
	if l.KeepDims {
		return []int{1, 1, x[2]}, nil
	}
	return []int{x[2]}, nil
}

func (globalAvgPoolKind) flops(_ Layer, in [][]int, _ []int) int64 { return int64(prod(single(in))) }

func (globalAvgPoolKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	m := graph.ReduceMean(in[0], 1, 2)
	if l.KeepDims {
		return graph.Reshape(m, m.Shape().Dimensions[0], 1, 1, m.Shape().Dimensions[1])
	}
	return m
}

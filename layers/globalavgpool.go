package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// globalAvgPoolKind averages every position of each channel: H×W×C → C.
type globalAvgPoolKind struct {
	oneInput
	noVariables
}

func init() { register(GlobalAvgPool, globalAvgPoolKind{}, false) }

func (globalAvgPoolKind) outShape(_ Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 3 {
		return nil, fmt.Errorf("needs an H×W×C input, got shape %v", x)
	}
	return []int{x[2]}, nil
}

func (globalAvgPoolKind) flops(_ Layer, in [][]int, _ []int) int64 { return int64(prod(single(in))) }

func (globalAvgPoolKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	return graph.ReduceMean(in[0], 1, 2)
}

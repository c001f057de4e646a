package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// flattenKind turns H×W×C (channels last) into one vector.
type flattenKind struct {
	oneInput
	noVariables
}

func init() { register(Flatten, flattenKind{}, false, Rearranges) }

func (flattenKind) outShape(_ Layer, in [][]int) ([]int, error) { return []int{prod(single(in))}, nil }

func (flattenKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (flattenKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	return graph.Reshape(in[0], in[0].Shape().Dimensions[0], -1)
}

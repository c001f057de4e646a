package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// softmaxKind normalises the last axis into probabilities.
type softmaxKind struct {
	oneInput
	noVariables
}

func init() { register(Softmax, softmaxKind{}, false) }

func (softmaxKind) outShape(_ Layer, in [][]int) ([]int, error) { return single(in), nil }

// flops: an exponential, a sum and a division per value.
func (softmaxKind) flops(_ Layer, _ [][]int, out []int) int64 { return 3 * int64(prod(out)) }

func (softmaxKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	return graph.Softmax(in[0], -1)
}

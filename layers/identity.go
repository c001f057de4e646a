package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// identityKind passes its input through: a named point to tap.
type identityKind struct {
	oneInput
	noVariables
}

func init() { register(Identity, identityKind{}, false, Pointwise) }

func (identityKind) outShape(_ Layer, in [][]int) ([]int, error) { return single(in), nil }

func (identityKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (identityKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node { return in[0] }

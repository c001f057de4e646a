package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// concatKind joins its inputs along the channel (last) axis; the other axes must agree.
type concatKind struct{ noVariables }

func init() { register(Concat, concatKind{}, false) }

func (concatKind) arity() (int, int) { return 2, maxInputs }

func (concatKind) outShape(_ Layer, in [][]int) ([]int, error) {
	out := slices.Clone(in[0])
	last := len(out) - 1
	for _, s := range in[1:] {
		if len(s) != len(out) || !slices.Equal(s[:last], out[:last]) {
			return nil, fmt.Errorf("inputs have shapes %v: concat needs all axes but the last to agree", in)
		}
		out[last] += s[last]
	}
	if out[last] > maxFilters*maxInputs {
		return nil, fmt.Errorf("%d channels is too many", out[last])
	}
	return out, nil
}

func (concatKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (concatKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	return graph.Concatenate(in, -1)
}

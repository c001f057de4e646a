package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// concatKind joins its inputs along one axis (Axes[0]; default the channels, the last
// axis); the other axes must agree.
type concatKind struct{ noVariables }

func init() { register(Concat, concatKind{}, false, AlongAxis) }

func (concatKind) arity() (int, int) { return 1, maxInputs }

func (concatKind) outShape(l Layer, in [][]int) ([]int, error) {
	out := slices.Clone(in[0])
	a, err := l.axis(len(out))
	if err != nil {
		return nil, err
	}
	for _, s := range in[1:] {
		if len(s) != len(out) || !slices.Equal(s[:a], out[:a]) || !slices.Equal(s[a+1:], out[a+1:]) {
			return nil, fmt.Errorf("inputs have shapes %v: concat needs all axes but axis %d to agree", in, a)
		}
		out[a] += s[a]
	}
	if out[a] > maxFilters*maxInputs {
		return nil, fmt.Errorf("%d values along the axis is too many", out[a])
	}
	return out, nil
}

func (concatKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (concatKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	if len(in) == 1 {
		return in[0]
	}
	a, _ := l.axis(in[0].Rank() - 1)
	return graph.Concatenate(in, a+1)
}

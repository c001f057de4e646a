package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// softmaxKind normalises one axis into probabilities: Axes[0], or the last axis.
type softmaxKind struct {
	oneInput
	noVariables
}

func init() { register(Softmax, softmaxKind{}, false, AlongAxis) }

// axis is the single per-image axis of a softmax or concat (default: the last of rank n).
func (l Layer) axis(n int) (int, error) {
	switch len(l.Axes) {
	case 0:
		return n - 1, nil
	case 1:
		if l.Axes[0] >= 0 && l.Axes[0] < n {
			return l.Axes[0], nil
		}
	}
	return 0, fmt.Errorf("axes %v: want one axis of the %d per-image axes", l.Axes, n)
}

func (softmaxKind) outShape(l Layer, in [][]int) ([]int, error) {
	if _, err := l.axis(len(single(in))); err != nil {
		return nil, err
	}
	return single(in), nil
}

// flops: an exponential, a sum and a division per value.
func (softmaxKind) flops(_ Layer, _ [][]int, out []int) int64 { return 3 * int64(prod(out)) }

func (softmaxKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	a, _ := l.axis(in[0].Rank() - 1)
	return graph.Softmax(in[0], a+1)
}

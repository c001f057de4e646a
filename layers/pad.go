package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// padKind surrounds an image with Pads (top, bottom, left, right) cells of Fill. Built by
// concatenation, so it differentiates on SimpleGo too.
type padKind struct {
	oneInput
	noVariables
}

func init() { register(Pad, padKind{}, false) }

func (padKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 3 {
		return nil, fmt.Errorf("needs an H×W×C input, got shape %v", x)
	}
	if len(l.Pads) != 4 {
		return nil, fmt.Errorf("pad needs 4 pads (top, bottom, left, right), got %v", l.Pads)
	}
	for _, p := range l.Pads {
		if p < 0 || p > 1024 {
			return nil, fmt.Errorf("pad %d outside [0, 1024]", p)
		}
	}
	out := []int{x[0] + l.Pads[0] + l.Pads[1], x[1] + l.Pads[2] + l.Pads[3], x[2]}
	if int64(prod(out)) > maxActivations {
		return nil, fmt.Errorf("padded shape %v is too large", out)
	}
	return out, nil
}

func (padKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (padKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	g := x.Graph()
	for axis, p := range [][2]int{{l.Pads[0], l.Pads[1]}, {l.Pads[2], l.Pads[3]}} {
		parts := []*graph.Node{}
		for i, n := range p {
			if n == 0 {
				continue
			}
			dims := x.Shape().Clone().Dimensions
			dims[axis+1] = n
			block := graph.BroadcastToDims(graph.Scalar(g, x.DType(), l.Fill), dims...)
			if i == 0 {
				parts = append(parts, block, x)
			} else {
				if len(parts) == 0 {
					parts = append(parts, x)
				}
				parts = append(parts, block)
			}
		}
		if len(parts) > 0 {
			x = graph.Concatenate(parts, axis+1)
		}
	}
	return x
}

package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// padKind surrounds an image with Pads (top, bottom, left, right) cells: of Fill (Mode
// constant, the default), copies of the nearest edge cell (edge) or the mirror image
// without the edge (reflect). Negative pads crop. Constant padding is a concatenation, the
// rest a gather; both differentiate on SimpleGo too.
type padKind struct {
	oneInput
	noVariables
}

func init() { register(Pad, padKind{}, false, Window) }

// PadModes lists the pad layer's modes.
var PadModes = []string{"constant", "edge", "reflect"}

func (padKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 3 {
		return nil, fmt.Errorf("needs an H×W×C input, got shape %v", x)
	}
	if len(l.Pads) != 4 {
		return nil, fmt.Errorf("pad needs 4 pads (top, bottom, left, right), got %v", l.Pads)
	}
	switch l.Mode {
	case "", "constant", "edge", "reflect":
	default:
		return nil, fmt.Errorf("pad mode %q (want one of %v)", l.Mode, PadModes)
	}
	for i, p := range l.Pads {
		size := x[i/2]
		if p > 1024 || p <= -size {
			return nil, fmt.Errorf("pad %d outside [%d, 1024] for a side of %d", p, 1-size, size)
		}
		if l.Mode == "reflect" && p >= size {
			return nil, fmt.Errorf("reflect pad %d must be smaller than the side of %d", p, size)
		}
	}
	out := []int{x[0] + l.Pads[0] + l.Pads[1], x[1] + l.Pads[2] + l.Pads[3], x[2]}
	if out[0] < 1 || out[1] < 1 {
		return nil, fmt.Errorf("pads %v crop all of %v", l.Pads, x)
	}
	if int64(prod(out)) > maxActivations {
		return nil, fmt.Errorf("padded shape %v is too large", out)
	}
	return out, nil
}

func (padKind) flops(Layer, [][]int, []int) int64 { return 0 }

// PadSource is the input position that output position o of a padded axis reads (-1: the
// fill value), for an input side of n with lo cells added before it.
func PadSource(mode string, o, lo, n int) int {
	i := o - lo
	switch mode {
	case "edge":
		return min(max(i, 0), n-1)
	case "reflect":
		for i < 0 || i >= n {
			if i < 0 {
				i = -i
			}
			if i >= n {
				i = 2*(n-1) - i
			}
		}
		return i
	}
	if i < 0 || i >= n {
		return -1
	}
	return i
}

func (padKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	if l.Mode != "" && l.Mode != "constant" || min(l.Pads[0], l.Pads[1], l.Pads[2], l.Pads[3]) < 0 {
		d := x.Shape().Dimensions
		h, w := d[1], d[2]
		ho, wo := h+l.Pads[0]+l.Pads[1], w+l.Pads[2]+l.Pads[3]
		idx := make([]int32, 0, ho*wo)
		for y := range ho {
			sy := PadSource(l.Mode, y, l.Pads[0], h)
			for xx := range wo {
				sx := PadSource(l.Mode, xx, l.Pads[2], w)
				if sy < 0 || sx < 0 {
					idx = append(idx, -1)
				} else {
					idx = append(idx, int32(sy*w+sx))
				}
			}
		}
		return gatherAxes(x, 1, 3, idx, []int{ho, wo}, l.Fill)
	}
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

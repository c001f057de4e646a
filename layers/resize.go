package layers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// resizeKind resamples an H×W×C image to Shape (height, width): Mode nearest or linear
// (bilinear), with ONNX's coordinate mappings (Coord) and nearest rounding (Rounding);
// Scales, when given, are the factors the mapping divides by. Separable gathers and
// weighted sums, so it differentiates on SimpleGo too.
type resizeKind struct {
	oneInput
	noVariables
}

func init() { register(Resize, resizeKind{}, false, Window) }

// Resize modes, coordinate mappings and roundings.
var (
	ResizeModes     = []string{"nearest", "linear"}
	ResizeCoords    = []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "half_pixel_symmetric"}
	ResizeRoundings = []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
)

func (resizeKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if len(x) != 3 {
		return nil, fmt.Errorf("needs an H×W×C input, got shape %v", x)
	}
	if !slices.Contains(ResizeModes, l.Mode) {
		return nil, fmt.Errorf("resize mode %q (want one of %v)", l.Mode, ResizeModes)
	}
	if l.Coord != "" && !slices.Contains(ResizeCoords, l.Coord) {
		return nil, fmt.Errorf("coordinate mapping %q (want one of %v)", l.Coord, ResizeCoords)
	}
	if l.Rounding != "" && !slices.Contains(ResizeRoundings, l.Rounding) {
		return nil, fmt.Errorf("rounding %q (want one of %v)", l.Rounding, ResizeRoundings)
	}
	if len(l.Shape) != 2 || l.Shape[0] < 1 || l.Shape[1] < 1 || l.Shape[0] > 1<<14 || l.Shape[1] > 1<<14 {
		return nil, fmt.Errorf("output size %v: want a height and a width from 1 to %d", l.Shape, 1<<14)
	}
	if l.Scales != nil {
		if len(l.Scales) != 2 {
			return nil, fmt.Errorf("scales %v: want a height and a width factor", l.Scales)
		}
		for _, s := range l.Scales {
			if !(s > 0 && s < 1e4) {
				return nil, fmt.Errorf("scale %v outside (0, 10000)", s)
			}
		}
	}
	out := []int{l.Shape[0], l.Shape[1], x[2]}
	if prod(out) > maxActivations {
		return nil, fmt.Errorf("resized shape %v is too large", out)
	}
	return out, nil
}

func (resizeKind) flops(l Layer, _ [][]int, out []int) int64 {
	if l.Mode == "linear" {
		return 6 * int64(prod(out))
	}
	return 0
}

// ResizeTaps returns, for each output position of one axis, the input positions read and
// their weights (one tap for nearest, two for linear), as ONNX's Resize defines them.
func ResizeTaps(l Layer, axis, in, out int) (idx [][2]int, w [][2]float64) {
	scale := float64(out) / float64(in)
	if l.Scales != nil {
		scale = l.Scales[axis]
	}
	length := scale * float64(in) // the resized length before rounding, as ONNX's mappings use it
	idx, w = make([][2]int, out), make([][2]float64, out)
	for o := range out {
		var x float64
		switch l.Coord {
		case "align_corners":
			if length != 1 {
				x = float64(o) * float64(in-1) / (length - 1)
			}
		case "asymmetric":
			x = float64(o) / scale
		case "pytorch_half_pixel":
			x = -0.5
			if length != 1 {
				x = (float64(o)+0.5)/scale - 0.5
			}
		case "tf_half_pixel_for_nn":
			x = (float64(o) + 0.5) / scale
		case "half_pixel_symmetric":
			offset := float64(in) / 2 * (1 - float64(out)/length)
			x = offset + (float64(o)+0.5)/scale - 0.5
		default: // half_pixel
			x = (float64(o)+0.5)/scale - 0.5
		}
		if l.Mode == "nearest" {
			var i float64
			switch l.Rounding {
			case "floor":
				i = math.Floor(x)
			case "ceil":
				i = math.Ceil(x)
			case "round_prefer_ceil":
				i = math.Floor(x + 0.5)
			default: // round_prefer_floor
				i = math.Ceil(x - 0.5)
			}
			j := min(max(int(i), 0), in-1)
			idx[o], w[o] = [2]int{j, j}, [2]float64{1, 0}
			continue
		}
		x = min(max(x, 0), float64(in-1))
		lo := int(math.Floor(x))
		hi := min(lo+1, in-1)
		f := x - float64(lo)
		idx[o], w[o] = [2]int{lo, hi}, [2]float64{1 - f, f}
	}
	return idx, w
}

func (resizeKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	x := in[0]
	d := x.Shape().Dimensions
	for axis := range 2 {
		n, out := d[axis+1], l.Shape[axis]
		idx, w := ResizeTaps(l, axis, n, out)
		sum := (*graph.Node)(nil)
		for t := range 2 {
			if l.Mode == "nearest" && t == 1 {
				break
			}
			rows := make([]int32, out)
			weights := make([]float32, out)
			for o := range out {
				rows[o], weights[o] = int32(idx[o][t]), float32(w[o][t])
			}
			tap := gatherAxes(x, axis+1, axis+2, rows, []int{out}, 0)
			if l.Mode == "linear" {
				shape := []int{1, 1, 1, 1}
				shape[axis+1] = out
				tap = graph.Mul(tap, graph.ConvertDType(graph.Reshape(graph.Const(x.Graph(), weights), shape...), x.DType()))
			}
			if sum == nil {
				sum = tap
			} else {
				sum = graph.Add(sum, tap)
			}
		}
		x = sum
	}
	return x
}

package layers

import (
	"errors"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// poolKind is max or average pooling over Kernel×Kernel windows. Average pooling divides by
// the number of window cells inside the image (padding is not counted).
type poolKind struct {
	oneInput
	noVariables
}

func (poolKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if err := l.checkWindow(x); err != nil {
		return nil, err
	}
	if l.Dilation > 1 {
		return nil, errors.New("pools take no dilation")
	}
	ho, wo := l.windowOut(x[0], x[1])
	return []int{ho, wo, x[2]}, nil
}

func (poolKind) flops(l Layer, _ [][]int, out []int) int64 {
	return int64(l.Kernel*l.Kernel) * int64(prod(out))
}

// pool2d applies max or average pooling with window l.Kernel and stride l.Stride.
func pool2d(x *graph.Node, l Layer, isMax, portable bool) *graph.Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ph, pw := l.pads(h, w)
	tiled := ph == [2]int{} && pw == [2]int{} && l.Stride == l.Kernel && h%l.Kernel == 0 && w%l.Kernel == 0
	if !portable {
		var pb *graph.PoolBuilder
		if isMax {
			pb = graph.MaxPool(x)
		} else {
			pb = graph.MeanPool(x)
		}
		out := pb.Window(l.Kernel).Strides(l.Stride).PaddingPerDim([][2]int{ph, pw}).Done()
		if isMax && tiled && out.Type() == graph.NodeTypeReduceWindow {
			out = withGradient(out, tiledMaxPoolGradient(l.Kernel))
		}
		return out
	}
	if isMax {
		p, ho, wo := patches(x, l.Kernel, l.Stride, 1, ph, pw, -math.MaxFloat32)
		// The first maximum of each window, so the gradient goes to that element alone,
		// as XLA's SelectAndScatter does (ReduceMax's would go to every tied element).
		p = graph.TransposeAllAxes(p, 0, 2, 3, 1) // [Ho*Wo, B, C, k*k]
		return toImage(graph.ReduceSum(graph.Mul(p, firstMax(p)), -1), b, ho, wo, c)
	}
	p, ho, wo := patches(x, l.Kernel, l.Stride, 1, ph, pw, 0)
	sum := graph.ReduceSum(p, 1) // [Ho*Wo, B, C]
	counts := windowCounts(h, w, l.Kernel, l.Stride, ph, pw)
	div := graph.Const(x.Graph(), counts)
	sum = graph.Div(sum, graph.ConvertDType(graph.Reshape(div, ho*wo, 1, 1), x.DType()))
	return toImage(sum, b, ho, wo, c)
}

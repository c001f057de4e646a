package layers

import (
	"errors"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// poolKind is max or average pooling over kh×kw windows (strided, dilated). Average pooling
// divides by the number of window cells inside the image, or by the whole window with CountPad.
type poolKind struct {
	oneInput
	noVariables
}

func (poolKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if err := l.checkWindow(x); err != nil {
		return nil, err
	}
	if l.CountPad && l.Kind != AvgPool2D {
		return nil, errors.New("count_pad is for average pools")
	}
	ho, wo := l.windowOut(x[0], x[1])
	return []int{ho, wo, x[2]}, nil
}

func (poolKind) flops(l Layer, _ [][]int, out []int) int64 {
	kh, kw := l.kernelSize()
	return int64(kh*kw) * int64(prod(out))
}

// pool2d applies max or average pooling with the layer's windows.
func pool2d(x *graph.Node, l Layer, isMax, portable bool) *graph.Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ph, pw := l.pads(h, w)
	wh, ww := l.windows()
	if !portable && wh.d == 1 && ww.d == 1 {
		var pb *graph.PoolBuilder
		switch {
		case isMax:
			pb = graph.MaxPool(x)
		case l.CountPad:
			pb = graph.SumPool(x)
		default:
			pb = graph.MeanPool(x)
		}
		out := pb.WindowPerAxis(wh.k, ww.k).StridePerAxis(wh.s, ww.s).PaddingPerDim([][2]int{ph, pw}).Done()
		tiled := ph == [2]int{} && pw == [2]int{} && wh == ww && wh.s == wh.k && h%wh.k == 0 && w%wh.k == 0
		if isMax && tiled && out.Type() == graph.NodeTypeReduceWindow {
			out = withGradient(out, tiledMaxPoolGradient(wh.k))
		}
		if l.CountPad {
			out = graph.DivScalar(out, float64(wh.k*ww.k))
		}
		return out
	}
	if isMax {
		p, ho, wo := patches(x, wh, ww, ph, pw, -math.MaxFloat32)
		// The first maximum of each window, so the gradient goes to that element alone,
		// as XLA's SelectAndScatter does (ReduceMax's would go to every tied element).
		p = graph.TransposeAllAxes(p, 0, 2, 3, 1) // [Ho*Wo, B, C, kh*kw]
		return toImage(graph.ReduceSum(graph.Mul(p, firstMax(p)), -1), b, ho, wo, c)
	}
	p, ho, wo := patches(x, wh, ww, ph, pw, 0)
	sum := graph.ReduceSum(p, 1) // [Ho*Wo, B, C]
	if l.CountPad {
		return toImage(graph.DivScalar(sum, float64(wh.k*ww.k)), b, ho, wo, c)
	}
	counts := windowCounts(h, w, wh, ww, ph, pw)
	div := graph.Const(x.Graph(), counts)
	sum = graph.Div(sum, graph.ConvertDType(graph.Reshape(div, ho*wo, 1, 1), x.DType()))
	return toImage(sum, b, ho, wo, c)
}

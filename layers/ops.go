package layers

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// The portable formulations below use only ops whose gradients SimpleGo v0.26.0 supports
// (graph.Gather, graph.DotGeneral, graph.ReduceMax, graph.ReduceSum, graph.Reshape, Transpose, graph.Concatenate); the native
// ones use XLA's graph.Convolve and ReduceWindow. Both pad the same way (TensorFlow "same").

// conv2d convolves x [B,H,W,Cin] with kernel [k,k,Cin,Cout].
func conv2d(x, kernel *graph.Node, l Layer, portable bool) *graph.Node {
	h, w := x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	ph, pw := padding(h, l.Kernel, l.Stride, l.Padding), padding(w, l.Kernel, l.Stride, l.Padding)
	if !portable {
		return graph.Convolve(x, kernel).StridePerAxis(l.Stride, l.Stride).PaddingPerDim([][2]int{ph, pw}).Done()
	}
	b, cin := x.Shape().Dimensions[0], x.Shape().Dimensions[3]
	cout := kernel.Shape().Dimensions[3]
	p, ho, wo := patches(x, l.Kernel, l.Stride, ph, pw, 0) // [Ho*Wo, k*k, B, Cin]
	k2 := l.Kernel * l.Kernel
	// [Ho*Wo, B, k*k, Cin] → rows of one image position each.
	p = graph.TransposeAllAxes(p, 2, 0, 1, 3)
	rows := graph.Reshape(p, b*ho*wo, k2*cin)
	out := matmul(rows, graph.Reshape(kernel, k2*cin, cout))
	return graph.Reshape(out, b, ho, wo, cout)
}

// pool2d applies max or average pooling with window l.Kernel and stride l.Stride.
func pool2d(x *graph.Node, l Layer, portable bool) *graph.Node {
	h, w := x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	ph, pw := padding(h, l.Kernel, l.Stride, l.Padding), padding(w, l.Kernel, l.Stride, l.Padding)
	isMax := l.Kind == MaxPool2D
	tiled := l.Padding == Valid && l.Stride == l.Kernel && h%l.Kernel == 0 && w%l.Kernel == 0
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
	b, c := x.Shape().Dimensions[0], x.Shape().Dimensions[3]
	if isMax {
		p, ho, wo := patches(x, l.Kernel, l.Stride, ph, pw, -math.MaxFloat32)
		// The first maximum of each window, so the gradient goes to that element alone,
		// as XLA's SelectAndScatter does (ReduceMax's would go to every tied element).
		p = graph.TransposeAllAxes(p, 0, 2, 3, 1) // [Ho*Wo, B, C, k*k]
		return toImage(graph.ReduceSum(graph.Mul(p, firstMax(p)), -1), b, ho, wo, c)
	}
	p, ho, wo := patches(x, l.Kernel, l.Stride, ph, pw, 0)
	sum := graph.ReduceSum(p, 1) // [Ho*Wo, B, C]
	counts := windowCounts(h, w, l.Kernel, l.Stride, ph, pw)
	div := graph.Const(x.Graph(), counts)
	sum = graph.Div(sum, graph.ConvertDType(graph.Reshape(div, ho*wo, 1, 1), x.DType()))
	return toImage(sum, b, ho, wo, c)
}

// toImage turns [Ho*Wo, B, C] into [B, Ho, Wo, C].
func toImage(x *graph.Node, b, ho, wo, c int) *graph.Node {
	return graph.Reshape(graph.TransposeAllAxes(x, 1, 0, 2), b, ho, wo, c)
}

// patches gathers the k×k windows of x [B,H,W,C] at the given stride and padding into
// [Ho*Wo, k*k, B, C]; padded positions read padValue.
func patches(x *graph.Node, k, stride int, ph, pw [2]int, padValue float64) (*graph.Node, int, int) {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ho := (h+ph[0]+ph[1]-k)/stride + 1
	wo := (w+pw[0]+pw[1]-k)/stride + 1
	g := x.Graph()
	// Pixel-major [H*W+1, B, C]: row H*W is the padding value.
	flat := graph.TransposeAllAxes(graph.Reshape(x, b, h*w, c), 1, 0, 2)
	pad := graph.BroadcastToDims(graph.ConstAsDType(g, x.DType(), padValue), 1, b, c)
	flat = graph.Concatenate([]*graph.Node{flat, pad}, 0)
	idx := make([]int32, 0, ho*wo*k*k)
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					y, xx := oy*stride+ky-ph[0], ox*stride+kx-pw[0]
					if y < 0 || y >= h || xx < 0 || xx >= w {
						idx = append(idx, int32(h*w))
					} else {
						idx = append(idx, int32(y*w+xx))
					}
				}
			}
		}
	}
	indices := graph.Const(g, idx)
	indices = graph.Reshape(indices, ho*wo*k*k, 1)
	gathered := graph.Gather(flat, indices) // [Ho*Wo*k*k, B, C]
	return graph.Reshape(gathered, ho*wo, k*k, b, c), ho, wo
}

// windowCounts counts, per output position, how many window cells fall inside the image.
func windowCounts(h, w, k, stride int, ph, pw [2]int) []float32 {
	ho := (h+ph[0]+ph[1]-k)/stride + 1
	wo := (w+pw[0]+pw[1]-k)/stride + 1
	counts := make([]float32, 0, ho*wo)
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			n := 0
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					y, xx := oy*stride+ky-ph[0], ox*stride+kx-pw[0]
					if y >= 0 && y < h && xx >= 0 && xx < w {
						n++
					}
				}
			}
			counts = append(counts, float32(n))
		}
	}
	return counts
}

// activate applies an activation function.
func activate(x *graph.Node, a Activation, alpha float64) *graph.Node {
	switch a {
	case ReLU:
		return graph.Max(x, graph.ZerosLike(x))
	case LeakyReLU:
		return graph.Where(graph.GreaterThan(x, graph.ZerosLike(x)), x, graph.MulScalar(x, alpha))
	case Sigmoid:
		return graph.Logistic(x)
	case Tanh:
		return graph.Tanh(x)
	default:
		return x
	}
}

// CrossEntropyPerExample is the softmax cross-entropy of each row of logits [B, K]
// against integer labels [B]; it returns [B].
func CrossEntropyPerExample(logits, labels *graph.Node) *graph.Node {
	k := logits.Shape().Dimensions[1]
	m := graph.StopGradient(graph.ReduceAndKeep(logits, graph.ReduceMax, -1))
	lse := graph.Add(graph.Log(graph.ReduceAndKeep(graph.Exp(graph.Sub(logits, m)), graph.ReduceSum, -1)), m)
	picked := graph.ReduceAndKeep(graph.Mul(logits, graph.OneHot(labels, k, logits.DType())), graph.ReduceSum, -1)
	return graph.Reshape(graph.Sub(lse, picked), -1)
}

// Correct is 1 where the arg-max of logits [B, K] equals labels [B], else 0, as [B] floats.
func Correct(logits, labels *graph.Node) *graph.Node {
	pred := graph.ArgMax(logits, -1, labels.DType())
	return graph.ConvertDType(graph.Equal(pred, labels), logits.DType())
}

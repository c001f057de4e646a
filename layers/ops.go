package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// The portable formulations below use only ops whose gradients SimpleGo v0.26.0 supports
// (graph.Gather, graph.DotGeneral, graph.ReduceMax, graph.ReduceSum, graph.Reshape, Transpose, graph.Concatenate); the native
// ones use XLA's graph.Convolve and ReduceWindow. Both pad the same way (TensorFlow "same").

// toImage turns [Ho*Wo, B, C] into [B, Ho, Wo, C].
func toImage(x *graph.Node, b, ho, wo, c int) *graph.Node {
	return graph.Reshape(graph.TransposeAllAxes(x, 1, 0, 2), b, ho, wo, c)
}

// patches gathers the k×k windows (dilated by dil) of x [B,H,W,C] at the given stride and
// padding into [Ho*Wo, k*k, B, C]; padded positions read padValue.
func patches(x *graph.Node, k, stride, dil int, ph, pw [2]int, padValue float64) (*graph.Node, int, int) {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	span := (k-1)*dil + 1
	ho := (h+ph[0]+ph[1]-span)/stride + 1
	wo := (w+pw[0]+pw[1]-span)/stride + 1
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
					y, xx := oy*stride+ky*dil-ph[0], ox*stride+kx*dil-pw[0]
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

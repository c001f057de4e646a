package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// The portable formulations below use only ops whose gradients SimpleGo v0.26.0 supports
// (graph.Gather, graph.DotGeneral, graph.ReduceMax, graph.ReduceSum, graph.Reshape, Transpose, graph.Concatenate); the native
// ones use XLA's graph.Convolve and ReduceWindow. Both pad the same way (TensorFlow "same").

// toImage turns [Ho*Wo, B, C] into [B, Ho, Wo, C].
func toImage(x *graph.Node, b, ho, wo, c int) *graph.Node {
	return graph.Reshape(graph.TransposeAllAxes(x, 1, 0, 2), b, ho, wo, c)
}

// patches gathers the windows (height window wh, width window ww) of x [B,H,W,C] with
// the given padding into [Ho*Wo, kh*kw, B, C]; padded positions read padValue.
func patches(x *graph.Node, wh, ww window, ph, pw [2]int, padValue float64) (*graph.Node, int, int) {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ho := (h+ph[0]+ph[1]-wh.span())/wh.s + 1
	wo := (w+pw[0]+pw[1]-ww.span())/ww.s + 1
	idx := make([]int32, 0, ho*wo*wh.k*ww.k)
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			for ky := 0; ky < wh.k; ky++ {
				for kx := 0; kx < ww.k; kx++ {
					y, xx := oy*wh.s+ky*wh.d-ph[0], ox*ww.s+kx*ww.d-pw[0]
					if y < 0 || y >= h || xx < 0 || xx >= w {
						idx = append(idx, -1)
					} else {
						idx = append(idx, int32(y*w+xx))
					}
				}
			}
		}
	}
	return graph.Reshape(gatherPixels(x, idx, padValue), ho*wo, wh.k*ww.k, b, c), ho, wo
}

// gatherPixels reads positions idx (y·W+x of x [B,H,W,C]; -1 reads padValue) into
// [len(idx), B, C], through a pixel-major copy of x with one padding row.
func gatherPixels(x *graph.Node, idx []int32, padValue float64) *graph.Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	g := x.Graph()
	flat := graph.TransposeAllAxes(graph.Reshape(x, b, h*w, c), 1, 0, 2)
	pad := graph.BroadcastToDims(graph.ConstAsDType(g, x.DType(), padValue), 1, b, c)
	flat = graph.Concatenate([]*graph.Node{flat, pad}, 0)
	rows := make([]int32, len(idx))
	for i, v := range idx {
		if v < 0 {
			v = int32(h * w)
		}
		rows[i] = v
	}
	return graph.Gather(flat, graph.Reshape(graph.Const(g, rows), len(rows), 1))
}

// windowCounts counts, per output position, how many window cells fall inside the image.
func windowCounts(h, w int, wh, ww window, ph, pw [2]int) []float32 {
	ho := (h+ph[0]+ph[1]-wh.span())/wh.s + 1
	wo := (w+pw[0]+pw[1]-ww.span())/ww.s + 1
	counts := make([]float32, 0, ho*wo)
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			n := 0
			for ky := 0; ky < wh.k; ky++ {
				for kx := 0; kx < ww.k; kx++ {
					y, xx := oy*wh.s+ky*wh.d-ph[0], ox*ww.s+kx*ww.d-pw[0]
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

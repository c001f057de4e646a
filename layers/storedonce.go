package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// storedOnce returns x, written so that XLA CPU stores it once instead of recomputing it
// inside each consumer.
//
// XLA CPU fuses cheap elementwise producers into every consumer, duplicating them. A
// convolution's kernel gradient reads its input transposed to [Cin, H, W, B]; with the input
// a batch-norm + ReLU chain, that transpose became one fusion that recomputes the chain in
// transposed order, ~5× slower than transposing a stored tensor (64×32×32×16: ~1.1 ms
// against ~0.2 ms). XLA does not duplicate an operation with two full-size operands unless
// it can fuse it into every consumer, and the convolution is not fusible: so max(x, -|x|),
// equal to x for every value (NaN, ±Inf and, on XLA, the sign of zeros included), is stored
// once and the transpose reads it. Its gradient is the identity.
func storedOnce(x *graph.Node) *graph.Node {
	return withGradient(graph.Max(x, graph.Neg(graph.Abs(x))), func(_, v *graph.Node) []*graph.Node {
		return []*graph.Node{v, nil}
	})
}

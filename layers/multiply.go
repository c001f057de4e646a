package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// multiplyKind multiplies its inputs element-wise; axes of size 1 broadcast (a 1×1×C gate
// scales every position of an H×W×C map).
type multiplyKind struct{ noVariables }

func init() { register(Multiply, multiplyKind{}, false, Pointwise) }

func (multiplyKind) arity() (int, int) { return 2, maxInputs }

func (multiplyKind) outShape(_ Layer, in [][]int) ([]int, error) { return broadcastShapes(in) }

func (multiplyKind) flops(_ Layer, in [][]int, out []int) int64 {
	return int64(len(in)-1) * int64(prod(out))
}

func (multiplyKind) build(_ *buildCtx, _ Layer, in []*graph.Node) *graph.Node {
	xs := broadcastAll(in)
	out := xs[0]
	for _, x := range xs[1:] {
		out = graph.Mul(out, x)
	}
	return out
}

package layers

import (
	"runtime"
	"sync"
	"weak"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26.0's generic DotGeneral gradient broadcasts both operands into an
// [m, k, n] tensor before reducing it: on SimpleGo that is 5× slower and uses gigabytes
// at batch 256. matmul marks the DotGeneral nodes it creates, and for those nodes only
// the gradient is the textbook pair of matrix products. Every other DotGeneral keeps
// GoMLX's own gradient.
var (
	matmulNodes   sync.Map // weak.Pointer[graph.Node] -> struct{}
	stockDotVJP   = graph.VJPRegistration[graph.NodeTypeDotGeneral]
	installDotVJP sync.Once
)

func init() {
	installDotVJP.Do(func() { graph.VJPRegistration[graph.NodeTypeDotGeneral] = dotGeneralVJP })
}

// matmul multiplies a [m, k] by b [k, n].
func matmul(a, b *graph.Node) *graph.Node {
	out := graph.DotGeneral(a, []int{1}, nil, b, []int{0}, nil)
	key := weak.Make(out)
	matmulNodes.Store(key, struct{}{})
	runtime.AddCleanup(out, func(k weak.Pointer[graph.Node]) { matmulNodes.Delete(k) }, key)
	return out
}

func dotGeneralVJP(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
	if _, ok := matmulNodes.Load(weak.Make(node)); !ok {
		return stockDotVJP(node, v, outShape)
	}
	a, b := node.Inputs()[0], node.Inputs()[1]
	g := v[0]
	return []*graph.Node{
		graph.DotGeneral(g, []int{1}, nil, b, []int{1}, nil), // [m,n]·[k,n]ᵀ → [m,k]
		graph.DotGeneral(a, []int{0}, nil, g, []int{0}, nil), // [m,k]ᵀ·[m,n] → [k,n]
	}
}

package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// maxPoolKind takes each window's maximum (ties: the first, as XLA's gradient does).
type maxPoolKind struct{ poolKind }

func init() { register(MaxPool2D, maxPoolKind{poolKind{}}, false, Window) }

func (k maxPoolKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	return pool2d(in[0], l, true, b.portable)
}

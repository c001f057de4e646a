package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// avgPoolKind takes each window's mean over the cells inside the image.
type avgPoolKind struct{ poolKind }

func init() { register(AvgPool2D, avgPoolKind{poolKind{}}, false, Window) }

func (k avgPoolKind) build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	return pool2d(in[0], l, false, b.portable)
}

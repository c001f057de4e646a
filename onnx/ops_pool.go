package onnx

import (
	"github.com/convlens/convlens/layers"
)

func convPool(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if x, err = imp.image(x, n.OpType); err != nil {
		return err
	}
	c, h, w := x.lay.dims[1], x.lay.dims[2], x.lay.dims[3]
	g, err := windowAttrs(n, n.Attrs["kernel_shape"].Ints, h, w, attrInt(n, "ceil_mode", 0) == 1)
	if err != nil {
		return err
	}
	l := layers.Layer{Kind: layers.MaxPool2D}
	if n.OpType == "AveragePool" {
		l.Kind = layers.AvgPool2D
		l.CountPad = attrInt(n, "count_include_pad", 0) == 1 && g.pads != [4]int{}
	}
	g.set(&l)
	ho, wo := g.out(h, w)
	imp.emit(l, []value{x}, imp.imageOut(c, ho, wo), nil)
	return nil
}

// convGlobalPool imports GlobalAveragePool and GlobalMaxPool: a 1×1×C image.
func convGlobalPool(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if x, err = imp.image(x, n.OpType); err != nil {
		return err
	}
	c := x.lay.dims[1]
	l := layers.Layer{Kind: layers.GlobalAvgPool, KeepDims: true}
	if n.OpType == "GlobalMaxPool" {
		l = layers.Layer{Kind: layers.Reduce, Op: "max", Axes: []int{0, 1}, KeepDims: true}
	}
	imp.emit(l, []value{x}, imp.imageOut(c, 1, 1), nil)
	return nil
}

package onnx

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/layers"
)

var reduceOps = map[string]string{"ReduceMean": "mean", "ReduceMax": "max", "ReduceMin": "min", "ReduceSum": "sum", "ReduceL2": "l2", "ReduceSumSquare": "sumsquare"}

// convReduce imports the reductions. A mean over an image's height and width is global
// average pooling (how PyTorch's dynamo exporter writes it).
func convReduce(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	axesList, err := imp.axesInput(n)
	if err != nil {
		return err
	}
	r := x.lay.rank()
	red := map[int]bool{}
	if len(axesList) == 0 {
		if attrInt(n, "noop_with_empty_axes", 0) == 1 {
			imp.emit(layers.Layer{Kind: layers.Identity}, []value{x}, x.lay, nil)
			return nil
		}
		for a := range r {
			red[a] = true
		}
	}
	for _, a := range axesList {
		k, err := normAxis(a, r)
		if err != nil {
			return err
		}
		red[k] = true
	}
	if b := x.lay.batch; b >= 0 && red[b] {
		return fmt.Errorf("a reduction over the batch axis; convlens runs each image on its own")
	}
	keep := attrInt(n, "keepdims", 1) == 1
	var outDims []int
	for a, d := range x.lay.dims {
		switch {
		case !red[a]:
			outDims = append(outDims, d)
		case keep:
			outDims = append(outDims, 1)
		}
	}
	if len(outDims) == 0 {
		return fmt.Errorf("a reduction to a scalar per image")
	}
	op := reduceOps[n.OpType]
	// Global average pooling of an image.
	if op == "mean" && x.lay.rank() == 4 && x.lay.dims[0] == 1 && red[2] && red[3] && !red[1] {
		if x, err = imp.image(x, n.OpType); err != nil {
			return err
		}
		c := x.lay.dims[1]
		if keep {
			imp.emit(layers.Layer{Kind: layers.GlobalAvgPool, KeepDims: true}, []value{x}, imp.imageOut(c, 1, 1), nil)
		} else {
			out := canonical(outDims)
			out.batch = x.lay.batch
			imp.emit(layers.Layer{Kind: layers.GlobalAvgPool}, []value{x}, out, nil)
		}
		return nil
	}
	// One storage axis per ONNX axis, so reduced axes are whole storage axes.
	order := x.lay.coarseOrder()
	if order == nil {
		for a, d := range x.lay.dims {
			if d > 1 {
				order = append(order, a)
			}
		}
		if x, err = imp.arrange(x, order); err != nil {
			return err
		}
	}
	var axes []int
	for s, a := range order {
		if red[a] && x.lay.dims[a] > 1 {
			axes = append(axes, s)
		}
	}
	// The result's storage: the kept axes in order, and the reduced ones as 1 with keepdims.
	var outOrder []int
	newIndex := func(a int) int {
		if keep {
			return a
		}
		k := a
		for b := range a {
			if red[b] {
				k--
			}
		}
		return k
	}
	for _, a := range order {
		if !red[a] || keep {
			outOrder = append(outOrder, newIndex(a))
		}
	}
	outBatch := -1
	if x.lay.batch >= 0 {
		outBatch = newIndex(x.lay.batch)
	}
	if len(axes) == 0 {
		if len(outOrder) == 0 {
			outOrder = []int{len(outDims) - 1}
		}
		out := stored(outDims, outOrder)
		out.batch = outBatch
		l := layers.Layer{Kind: layers.Identity}
		if !slices.Equal(out.shape(), x.lay.shape()) {
			l = layers.Layer{Kind: layers.Reshape, Shape: out.shape()}
		}
		imp.emit(l, []value{x}, out, nil)
		return nil
	}
	if len(outOrder) == 0 { // every stored axis reduced: reduce keeping them as 1s, then drop them
		kept := slices.Clone(x.lay.dims)
		for a := range kept {
			if red[a] {
				kept[a] = 1
			}
		}
		mid := stored(kept, order)
		mid.batch = x.lay.batch
		l := layers.Layer{Name: imp.nodeName("reduce"), Kind: layers.Reduce, Op: op, Axes: axes, KeepDims: true}
		imp.addLayer(l, []value{x}, mid, nil)
		out := canonical(outDims)
		out.batch = outBatch
		imp.emit(layers.Layer{Kind: layers.Reshape, Shape: out.shape()}, []value{{layer: l.Name, lay: mid}}, out, nil)
		return nil
	}
	out := stored(outDims, outOrder)
	out.batch = outBatch
	imp.emit(layers.Layer{Kind: layers.Reduce, Op: op, Axes: axes, KeepDims: keep}, []value{x}, out, nil)
	return nil
}

// convSoftmax imports Softmax and LogSoftmax over one axis (before opset 13, over the
// trailing axes from axis on, which convlens takes when they hold one non-unit axis).
func convSoftmax(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	r := x.lay.rank()
	def := int64(-1)
	if imp.opset < 13 {
		def = 1
	}
	a, err := normAxis(attrInt(n, "axis", def), r)
	if err != nil {
		return err
	}
	if imp.opset < 13 {
		var big []int
		for b := a; b < r; b++ {
			if x.lay.dims[b] > 1 {
				big = append(big, b)
			}
		}
		switch len(big) {
		case 0:
		case 1:
			a = big[0]
		default:
			return fmt.Errorf("softmax over the flattened axes %d to %d (opset %d semantics); convlens takes one axis", a, r-1, imp.opset)
		}
	}
	if a == x.lay.batch {
		return fmt.Errorf("a softmax over the batch axis; convlens runs each image on its own")
	}
	x, s, err := imp.single(x, a)
	if err != nil {
		return err
	}
	l := layers.Layer{Kind: layers.Softmax}
	if s != len(x.lay.store)-1 {
		l.Axes = []int{s}
	}
	if n.OpType == "LogSoftmax" {
		sm := l
		sm.Name = imp.nodeName("softmax")
		imp.addLayer(sm, []value{x}, x.lay, nil)
		x = value{layer: sm.Name, lay: x.lay}
		l = layers.Layer{Kind: layers.Activate, Activation: layers.Log}
	}
	imp.emit(l, []value{x}, x.lay, nil)
	return nil
}

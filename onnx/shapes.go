package onnx

import (
	"fmt"
	"math"
	"slices"
)

// Shape arithmetic of PyTorch's x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat
// → Reshape. It folds at import into constants; the dynamic batch is the value batchDim.

// batchDim stands for the batch size inside folded shapes (a Reshape treats it as 0: keep).
const batchDim = math.MinInt64

// shapeOf folds Shape(x) for a graph tensor x: [batch, C, H, W] or [batch, K] as ONNX sees it.
func (imp *importer) shapeOf(n *Node) error {
	x, err := imp.graphInput(n, 0)
	if err != nil {
		return err
	}
	dims := []int64{batchDim}
	if x.hwc {
		dims = append(dims, int64(x.shape[1]), int64(x.shape[2]), int64(x.shape[0]))
	} else {
		for _, d := range x.shape {
			dims = append(dims, int64(d))
		}
	}
	imp.consts[n.Outputs[0]] = &Tensor{Name: n.Outputs[0], Dims: []int64{int64(len(dims))}, DataType: typeInt64, Ints: dims}
	return nil
}

// intConst returns input i as a constant of integers.
func (imp *importer) intConst(n *Node, i int) (*Tensor, error) {
	t, err := imp.constInput(n, i, false)
	if err != nil {
		return nil, err
	}
	if t.Ints == nil && len(t.Floats) > 0 {
		return nil, fmt.Errorf("input %q holds floats where shape arithmetic needs integers", n.Inputs[i])
	}
	return t, nil
}

// gatherConst folds Gather on a 1-D integer constant (axis 0).
func (imp *importer) gatherConst(n *Node) error {
	data, err := imp.intConst(n, 0)
	if err != nil {
		return err
	}
	idx, err := imp.intConst(n, 1)
	if err != nil {
		return err
	}
	if len(data.Dims) != 1 || attrInt(n, "axis", 0) != 0 {
		return fmt.Errorf("Gather of a %v constant along axis %d; convlens folds Gather on shape vectors only", data.Dims, attrInt(n, "axis", 0))
	}
	out := &Tensor{Name: n.Outputs[0], Dims: slices.Clone(idx.Dims), DataType: typeInt64}
	for _, i := range idx.Ints {
		if i < 0 {
			i += int64(len(data.Ints))
		}
		if i < 0 || i >= int64(len(data.Ints)) {
			return fmt.Errorf("Gather index %d outside a shape of %d values", i, len(data.Ints))
		}
		out.Ints = append(out.Ints, data.Ints[i])
	}
	imp.consts[n.Outputs[0]] = out
	return nil
}

// unsqueezeConst folds Unsqueeze of a scalar or 1-D integer constant into a 1-D one.
func (imp *importer) unsqueezeConst(n *Node) error {
	t, err := imp.intConst(n, 0)
	if err != nil {
		return err
	}
	if len(t.Dims) > 1 {
		return fmt.Errorf("Unsqueeze of a %v constant; convlens folds it on shape values only", t.Dims)
	}
	imp.consts[n.Outputs[0]] = &Tensor{Name: n.Outputs[0], Dims: []int64{int64(len(t.Ints))}, DataType: typeInt64, Ints: slices.Clone(t.Ints)}
	return nil
}

// concatConst folds Concat of 1-D integer constants.
func (imp *importer) concatConst(n *Node) error {
	out := &Tensor{Name: n.Outputs[0], DataType: typeInt64}
	for i := range n.Inputs {
		t, err := imp.intConst(n, i)
		if err != nil {
			return err
		}
		if len(t.Dims) != 1 {
			return fmt.Errorf("Concat of a %v constant; convlens folds it on shape vectors only", t.Dims)
		}
		out.Ints = append(out.Ints, t.Ints...)
	}
	out.Dims = []int64{int64(len(out.Ints))}
	imp.consts[n.Outputs[0]] = out
	return nil
}

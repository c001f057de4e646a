package onnx

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// channelLast holds v with ONNX axis a as its last storage axis (the axes a batch norm or
// a dense layer works on). A tensor whose storage is one run of a's factors (a vector
// flattened from an image) stays as it is: its parameters are permuted instead.
func (imp *importer) channelLast(v value, a int) (value, error) {
	if len(v.lay.store) == 1 && v.lay.owner[v.lay.store[0][0]] == a && len(v.lay.nonUnit(v.lay.factorsOf(a))) == len(v.lay.nonUnit(v.lay.store[0])) {
		return v, nil
	}
	if v.lay.rank() == 4 && a == 1 && v.lay.dims[0] == 1 {
		return imp.image(v, "it")
	}
	var order []int
	for _, g := range v.lay.store {
		o := v.lay.owner[g[0]]
		if o != a && v.lay.dims[o] > 1 && !slices.Contains(order, o) {
			order = append(order, o)
		}
	}
	return imp.arrange(v, append(order, a))
}

// perAxis lays out per-channel values (ONNX axis a) of v in v's storage order.
func perAxis(v value, a int, vals []float32) ([]float32, error) {
	cd := make([]int, v.lay.rank())
	for i := range cd {
		cd[i] = 1
	}
	cd[a] = v.lay.dims[a]
	if len(vals) != cd[a] {
		return nil, fmt.Errorf("%d values for %d channels", len(vals), cd[a])
	}
	_, out, err := v.lay.broadcastParam(cd, vals)
	return out, err
}

func convBatchNorm(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if len(n.Outputs) > 1 && n.Outputs[1] != "" || attrInt(n, "training_mode", 0) == 1 {
		return fmt.Errorf("a BatchNormalization in training mode; export the model in eval mode")
	}
	if x.lay.rank() < 2 {
		return fmt.Errorf("input of shape %v has no channel axis", x.lay.dims)
	}
	if x.lay.batch == 1 {
		return fmt.Errorf("the batch is in the channel axis")
	}
	if x, err = imp.channelLast(x, 1); err != nil {
		return err
	}
	vars := map[string]nd.Array{}
	for i, name := range []string{layers.VarGamma, layers.VarBeta, layers.VarMovingMean, layers.VarMovingVar} {
		t, err := imp.floats(n, i+1, false)
		if err != nil {
			return err
		}
		vals, err := perAxis(x, 1, t.Floats)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		vars[name] = nd.Array{Shape: []int{len(vals)}, Data: vals}
	}
	for i, v := range vars[layers.VarMovingVar].Data {
		if v < 0 {
			return fmt.Errorf("running variance %v of channel %d is negative", v, i)
		}
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	if !(eps > 0) {
		eps = 1e-12
	}
	imp.emit(layers.Layer{Kind: layers.BatchNorm, Epsilon: eps}, []value{x}, x.lay, vars)
	return nil
}

func convLayerNorm(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	r := x.lay.rank()
	axis, err := normAxis(attrInt(n, "axis", -1), r)
	if err != nil {
		return err
	}
	if x.lay.batch >= axis {
		return fmt.Errorf("a layer normalisation over the batch axis; convlens runs each image on its own")
	}
	var order []int
	for _, g := range x.lay.store {
		o := x.lay.owner[g[0]]
		if o < axis && x.lay.dims[o] > 1 && !slices.Contains(order, o) {
			order = append(order, o)
		}
	}
	for a := axis; a < r; a++ {
		order = append(order, a)
	}
	if x, err = imp.arrange(x, order); err != nil {
		return err
	}
	normDims := x.lay.dims[axis:]
	params := map[string]nd.Array{}
	for i, name := range []string{layers.VarGamma, layers.VarBeta} {
		t, err := imp.floats(n, i+1, i == 1)
		if err != nil {
			return err
		}
		vals := make([]float32, prod(normDims))
		switch {
		case t == nil:
		default:
			full := dims64(normDims)
			if _, err := broadcastDims(t.Dims, full); err != nil || len(t.Dims) > len(full) {
				return fmt.Errorf("%s of shape %v for normalised axes %v", name, t.Dims, normDims)
			}
			for p, j := range broadcastIndex(t.Dims, full) {
				vals[p] = t.Floats[j]
			}
		}
		params[name] = nd.Array{Shape: slices.Clone(normDims), Data: vals}
	}
	axes := make([]int, 0, r-axis)
	for s := len(x.lay.store) - (r - axis); s < len(x.lay.store); s++ {
		axes = append(axes, s)
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	if !(eps > 0) {
		eps = 1e-12
	}
	imp.emit(layers.Layer{Kind: layers.LayerNorm, Axes: axes, Epsilon: eps}, []value{x}, x.lay, params)
	return nil
}

package onnx

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// activations maps ONNX's element-wise nonlinearities to convlens activations.
var activations = map[string]layers.Activation{
	"Relu": layers.ReLU, "Sigmoid": layers.Sigmoid, "Tanh": layers.Tanh, "LeakyRelu": layers.LeakyReLU,
	"Clip": layers.Clip, "HardSigmoid": layers.HardSigmoid, "HardSwish": layers.HardSwish, "Gelu": layers.GELU,
	"Erf": layers.Erf, "Sqrt": layers.Sqrt, "Exp": layers.Exp, "Log": layers.Log, "Neg": layers.Neg,
	"Abs": layers.Abs, "Reciprocal": layers.Reciprocal, "Softplus": layers.Softplus, "Elu": layers.ELU,
}

func convActivation(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	l := layers.Layer{Kind: layers.Activate, Activation: activations[n.OpType]}
	switch n.OpType {
	case "LeakyRelu":
		l.Alpha = float64(attrFloat(n, "alpha", 0.01))
	case "Elu":
		l.Alpha = float64(attrFloat(n, "alpha", 1))
	case "HardSigmoid":
		l.Alpha, l.Beta = float64(attrFloat(n, "alpha", 0.2)), float64(attrFloat(n, "beta", 0.5))
	case "Gelu":
		if attrString(n, "approximate", "none") == "tanh" {
			l.Activation = layers.GELUTanh
		}
	case "Clip":
		if l.ClipMin, l.ClipMax, err = imp.clipBounds(n); err != nil {
			return err
		}
	}
	imp.emit(l, []value{x}, x.lay, nil)
	return nil
}

func attrString(n *Node, name, def string) string {
	if a, ok := n.Attrs[name]; ok {
		return a.String
	}
	return def
}

// clipBounds reads Clip's bounds: attributes before opset 11, constant inputs after; a
// missing bound is ±MaxFloat32.
func (imp *importer) clipBounds(n *Node) (lo, hi float64, err error) {
	lo, hi = -math.MaxFloat32, math.MaxFloat32
	if a, ok := n.Attrs["min"]; ok {
		lo = float64(a.Float)
	}
	if a, ok := n.Attrs["max"]; ok {
		hi = float64(a.Float)
	}
	for i, bound := range []*float64{&lo, &hi} {
		t, err := imp.floats(n, i+1, true)
		if err != nil {
			return 0, 0, err
		}
		if t != nil {
			if len(t.Floats) != 1 {
				return 0, 0, fmt.Errorf("clip bound of shape %v; want a scalar", t.Dims)
			}
			*bound = float64(t.Floats[0])
		}
	}
	if !(lo <= hi) {
		return 0, 0, fmt.Errorf("clip bounds [%v, %v]", lo, hi)
	}
	if lo == hi { // a constant: convlens clips with min < max
		hi = math.Nextafter(lo, math.Inf(1))
	}
	return lo, hi, nil
}

// convIdentity imports Identity, Dropout (inference) and Cast between float types.
func convIdentity(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if n.OpType == "Dropout" {
		if t, err := imp.constant(n, 2, true); err != nil {
			return fmt.Errorf("a training mode computed from the image")
		} else if t != nil && tensorValues(t)[0] != 0 {
			return fmt.Errorf("a Dropout in training mode; export the model in eval mode")
		}
		if attrInt(n, "is_test", 1) == 0 && imp.opset < 7 {
			return fmt.Errorf("a Dropout in training mode; export the model in eval mode")
		}
	}
	if n.OpType == "Cast" {
		if to := int32(attrInt(n, "to", 0)); !isFloatType(to) {
			return fmt.Errorf("Cast of an image tensor to data type %d; convlens computes in float32", to)
		}
	}
	imp.emit(layers.Layer{Kind: layers.Identity}, []value{x}, x.lay, nil)
	return nil
}

func convPRelu(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	slope, err := imp.floats(n, 1, false)
	if err != nil {
		return err
	}
	shape, vals, err := x.lay.broadcastParam(dimsInt(slope.Dims), slope.Floats)
	if err != nil {
		return err
	}
	ps, arr := paramVar(shape, vals, x.lay.shape())
	imp.emit(layers.Layer{Kind: layers.PReLU, ParamShape: ps}, []value{x}, x.lay, map[string]nd.Array{layers.VarSlope: arr})
	return nil
}

// paramVar is a broadcast parameter (storage shape, values) as a layer's ParamShape and
// variable: one value per channel (the default, no ParamShape) where it varies along the
// whole last axis only.
func paramVar(shape []int, vals []float32, x []int) ([]int, nd.Array) {
	last := len(shape) - 1
	perChannel := shape[last] == x[last]
	for _, d := range shape[:last] {
		perChannel = perChannel && d == 1
	}
	if perChannel {
		return nil, nd.Array{Shape: []int{shape[last]}, Data: vals}
	}
	return shape, nd.Array{Shape: shape, Data: vals}
}

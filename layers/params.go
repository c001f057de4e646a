package layers

import (
	"fmt"
	"slices"
)

// Parameters that broadcast onto a layer's input (affine, prelu): ParamShape, or one
// value per channel (the last axis).

// checkParamShape validates a broadcast parameter shape against input x.
func checkParamShape(shape, x []int) error {
	if shape == nil {
		return nil
	}
	if len(shape) != len(x) {
		return fmt.Errorf("param_shape %v for an input %v: want one axis per input axis", shape, x)
	}
	for i, d := range shape {
		if d != 1 && d != x[i] {
			return fmt.Errorf("param_shape %v does not broadcast onto %v", shape, x)
		}
	}
	return nil
}

// paramShape is the variable shape of a broadcast parameter on input x.
func (l Layer) paramShape(x []int) []int {
	if l.ParamShape != nil {
		return slices.Clone(l.ParamShape)
	}
	return []int{x[len(x)-1]}
}

// broadcastParam is the shape (batch axis included) to reshape the parameter to.
func (l Layer) broadcastParam(x []int) []int {
	out := make([]int, len(x)+1)
	for i := range out {
		out[i] = 1
	}
	if l.ParamShape != nil {
		copy(out[1:], l.ParamShape)
	} else {
		out[len(x)] = x[len(x)-1]
	}
	return out
}

package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/layers"
)

// Constant folding: a node whose inputs are all constants (initializers, Constant nodes or
// the static shapes of computed tensors) is evaluated at import, whatever it is, so
// exporters' shape arithmetic (Shape → Gather → Concat → Reshape, Cast, Range, Where...)
// needs no pattern matching. Values are computed in float64, exact for the integers of
// shapes and indices.

// maxFoldValues bounds a tensor made by folding (Expand, ConstantOfShape, Range, Tile).
const maxFoldValues = 1 << 26

// tensorValues returns a constant's values as float64.
func tensorValues(t *Tensor) []float64 {
	if t.Floats != nil || isFloatType(t.DataType) {
		out := make([]float64, len(t.Floats))
		for i, v := range t.Floats {
			out[i] = float64(v)
		}
		return out
	}
	out := make([]float64, len(t.Ints))
	for i, v := range t.Ints {
		out[i] = float64(v)
	}
	return out
}

func isFloatType(dt int32) bool {
	return dt == typeFloat || dt == typeDouble || dt == typeFloat16 || dt == typeBFloat16
}

// newConst makes a constant of the given type from float64 values.
func newConst(name string, dims []int64, dt int32, v []float64) *Tensor {
	t := &Tensor{Name: name, Dims: slices.Clone(dims), DataType: dt}
	if isFloatType(dt) {
		t.DataType = typeFloat
		t.Floats = make([]float32, len(v))
		for i, x := range v {
			t.Floats[i] = float32(x)
		}
		return t
	}
	t.Ints = make([]int64, len(v))
	for i, x := range v {
		switch dt {
		case typeBool:
			if x != 0 {
				t.Ints[i] = 1
			}
		default:
			t.Ints[i] = int64(x)
		}
	}
	return t
}

func dimsInt(d []int64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

func dims64(d []int) []int64 {
	out := make([]int64, len(d))
	for i, v := range d {
		out[i] = int64(v)
	}
	return out
}

func numel(d []int64) int {
	n := 1
	for _, v := range d {
		n *= int(v)
	}
	return n
}

// broadcastDims is numpy's broadcast of shapes.
func broadcastDims(shapes ...[]int64) ([]int64, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int64, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			switch {
			case d == out[off+i] || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v do not broadcast", shapes)
			}
		}
	}
	return out, nil
}

// broadcastIndex maps each flat index of shape out to the flat index of in (broadcast onto it).
func broadcastIndex(in, out []int64) []int {
	n := numel(out)
	idx := make([]int, n)
	off := len(out) - len(in)
	strides := make([]int, len(out))
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		if i >= off && in[i-off] != 1 {
			strides[i] = s
			s *= int(in[i-off])
		}
	}
	coord := make([]int, len(out))
	for p := range n {
		j := 0
		for i, c := range coord {
			j += c * strides[i]
		}
		idx[p] = j
		advance(coord, out)
	}
	return idx
}

// advance steps coord to the next position of a row-major walk over dims.
func advance[D int | int64](coord []int, dims []D) {
	for i := len(dims) - 1; i >= 0; i-- {
		coord[i]++
		if coord[i] < int(dims[i]) {
			return
		}
		coord[i] = 0
	}
}

// elementwise applies f across broadcast inputs.
func elementwise(name string, dt int32, ins []*Tensor, f func(x []float64) float64) (*Tensor, error) {
	var shapes [][]int64
	for _, t := range ins {
		shapes = append(shapes, t.Dims)
	}
	out, err := broadcastDims(shapes...)
	if err != nil {
		return nil, err
	}
	if numel(out) > maxFoldValues {
		return nil, fmt.Errorf("folding makes %d values", numel(out))
	}
	vals := make([][]float64, len(ins))
	idx := make([][]int, len(ins))
	for i, t := range ins {
		vals[i], idx[i] = tensorValues(t), broadcastIndex(t.Dims, out)
	}
	res := make([]float64, numel(out))
	x := make([]float64, len(ins))
	for p := range res {
		for i := range ins {
			x[i] = vals[i][idx[i][p]]
		}
		res[p] = f(x)
	}
	return newConst(name, out, dt, res), nil
}

// foldUnary and foldBinary are the element-wise ops folding evaluates.
var foldUnary = map[string]func(float64) float64{
	"Neg": func(x float64) float64 { return -x }, "Abs": math.Abs, "Sqrt": math.Sqrt, "Exp": math.Exp,
	"Log": math.Log, "Floor": math.Floor, "Ceil": math.Ceil, "Reciprocal": func(x float64) float64 { return 1 / x },
	"Relu": func(x float64) float64 { return max(x, 0) }, "Sigmoid": func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"Tanh": math.Tanh, "Erf": math.Erf, "Not": func(x float64) float64 { return b2f(x == 0) },
	"Round": math.RoundToEven, "Sign": func(x float64) float64 { return b2f(x > 0) - b2f(x < 0) },
}

var foldBinary = map[string]func(a, b float64) float64{
	"Add": func(a, b float64) float64 { return a + b }, "Sub": func(a, b float64) float64 { return a - b },
	"Mul": func(a, b float64) float64 { return a * b }, "Div": func(a, b float64) float64 { return a / b },
	"Pow": math.Pow, "Max": math.Max, "Min": math.Min, "Mod": math.Mod,
	"Equal": func(a, b float64) float64 { return b2f(a == b) }, "Less": func(a, b float64) float64 { return b2f(a < b) },
	"Greater": func(a, b float64) float64 { return b2f(a > b) }, "LessOrEqual": func(a, b float64) float64 { return b2f(a <= b) },
	"GreaterOrEqual": func(a, b float64) float64 { return b2f(a >= b) }, "And": func(a, b float64) float64 { return b2f(a != 0 && b != 0) },
	"Or": func(a, b float64) float64 { return b2f(a != 0 || b != 0) },
}

// comparisons give booleans.
var comparisons = map[string]bool{"Equal": true, "Less": true, "Greater": true, "LessOrEqual": true, "GreaterOrEqual": true, "And": true, "Or": true, "Not": true}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// fold evaluates node n on constant inputs (nil for absent optional ones); it returns
// false when the op has no constant evaluation here.
func (imp *importer) fold(n *Node, ins []*Tensor) ([]*Tensor, bool, error) {
	out := n.Outputs[0]
	if !carriesBatchMark[n.OpType] {
		for _, t := range ins {
			if t != nil && slices.Contains(t.Ints, batchMark) || t != nil && t.Floats == nil && containsMark(tensorValues(t)) {
				return nil, true, fmt.Errorf("%s computes with the dynamic batch size; convlens runs each image on its own", quote(n.OpType))
			}
		}
	}
	first := func() *Tensor {
		if len(ins) > 0 {
			return ins[0]
		}
		return nil
	}
	if f, ok := foldUnary[n.OpType]; ok && len(ins) == 1 {
		dt := ins[0].DataType
		if comparisons[n.OpType] {
			dt = typeBool
		}
		t, err := elementwise(out, dt, ins, func(x []float64) float64 { return f(x[0]) })
		return []*Tensor{t}, true, err
	}
	if f, ok := foldBinary[n.OpType]; ok && len(ins) == 2 && ins[1] != nil {
		dt := ins[0].DataType
		if comparisons[n.OpType] {
			dt = typeBool
		}
		if n.OpType == "Div" && !isFloatType(dt) { // integer division truncates
			f = func(a, b float64) float64 { return math.Trunc(a / b) }
		}
		t, err := elementwise(out, dt, ins, func(x []float64) float64 { return f(x[0], x[1]) })
		return []*Tensor{t}, true, err
	}
	switch n.OpType {
	case "Identity", "Dropout":
		c := *ins[0]
		c.Name = out
		return []*Tensor{&c}, true, nil
	case "Cast":
		to := int32(attrInt(n, "to", typeFloat))
		t, err := castConst(ins[0], to)
		return []*Tensor{t}, true, err
	case "Where":
		if len(ins) != 3 {
			return nil, true, fmt.Errorf("Where takes 3 inputs")
		}
		t, err := elementwise(out, ins[1].DataType, ins, func(x []float64) float64 {
			if x[0] != 0 {
				return x[1]
			}
			return x[2]
		})
		return []*Tensor{t}, true, err
	case "Sum", "Mean", "Max", "Min":
		var live []*Tensor
		for _, t := range ins {
			if t != nil {
				live = append(live, t)
			}
		}
		op := n.OpType
		t, err := elementwise(out, live[0].DataType, live, func(x []float64) float64 {
			r := x[0]
			for _, v := range x[1:] {
				switch op {
				case "Max":
					r = math.Max(r, v)
				case "Min":
					r = math.Min(r, v)
				default:
					r += v
				}
			}
			if op == "Mean" {
				r /= float64(len(x))
			}
			return r
		})
		return []*Tensor{t}, true, err
	case "Reshape":
		sh, err := shapeArg(ins, 1)
		if err != nil {
			return nil, true, err
		}
		dims, err := resolveShape(sh, ins[0].Dims, attrInt(n, "allowzero", 0) == 1)
		if err != nil {
			return nil, true, err
		}
		return []*Tensor{reshaped(ins[0], out, dims)}, true, nil
	case "Flatten":
		t := ins[0]
		axis, err := flattenAxis(attrInt(n, "axis", 1), len(t.Dims))
		if err != nil {
			return nil, true, err
		}
		a := numel(t.Dims[:axis])
		return []*Tensor{reshaped(t, out, []int64{int64(a), int64(numel(t.Dims) / max(a, 1))})}, true, nil
	case "Squeeze", "Unsqueeze":
		axes, err := imp.axesArg(n, ins, 1)
		if err != nil {
			return nil, true, err
		}
		dims, err := squeezeDims(n.OpType, ins[0].Dims, axes)
		if err != nil {
			return nil, true, err
		}
		return []*Tensor{reshaped(ins[0], out, dims)}, true, nil
	case "Shape":
		return []*Tensor{shapeSlice(out, ins[0].Dims, n)}, true, nil
	case "Size":
		return []*Tensor{{Name: out, DataType: typeInt64, Ints: []int64{int64(numel(ins[0].Dims))}}}, true, nil
	case "ConstantOfShape":
		sh := tensorValues(first())
		dims := make([]int64, len(sh))
		for i, v := range sh {
			dims[i] = int64(v)
		}
		if numel(dims) > maxFoldValues {
			return nil, true, fmt.Errorf("ConstantOfShape of %v", dims)
		}
		fill, dt := 0.0, int32(typeFloat)
		if a, ok := n.Attrs["value"]; ok && a.Tensor != nil {
			fill, dt = tensorValues(a.Tensor)[0], a.Tensor.DataType
		}
		v := make([]float64, numel(dims))
		for i := range v {
			v[i] = fill
		}
		return []*Tensor{newConst(out, dims, dt, v)}, true, nil
	case "Range":
		start, limit, delta := tensorValues(ins[0])[0], tensorValues(ins[1])[0], tensorValues(ins[2])[0]
		if delta == 0 {
			return nil, true, fmt.Errorf("Range with delta 0")
		}
		cnt := max(int(math.Ceil((limit-start)/delta)), 0)
		if cnt > maxFoldValues {
			return nil, true, fmt.Errorf("Range of %d values", cnt)
		}
		v := make([]float64, cnt)
		for i := range v {
			v[i] = start + float64(i)*delta
		}
		return []*Tensor{newConst(out, []int64{int64(cnt)}, ins[0].DataType, v)}, true, nil
	case "Expand":
		sh := tensorValues(ins[1])
		dims := make([]int64, len(sh))
		for i, v := range sh {
			dims[i] = int64(v)
		}
		target, err := broadcastDims(ins[0].Dims, dims)
		if err != nil {
			return nil, true, err
		}
		t, err := expandTo(out, ins[0], target)
		return []*Tensor{t}, true, err
	case "Tile":
		t, err := tileConst(out, ins[0], tensorValues(ins[1]))
		return []*Tensor{t}, true, err
	case "Transpose":
		t := ins[0]
		perm := seqRange(len(t.Dims))
		slices.Reverse(perm)
		if p := n.Attrs["perm"].Ints; len(p) > 0 {
			perm = dimsInt(p)
		}
		r, err := transposeConst(out, t, perm)
		return []*Tensor{r}, true, err
	case "Concat":
		var live []*Tensor
		for _, t := range ins {
			if t != nil && numel(t.Dims) > 0 {
				live = append(live, t)
			}
		}
		if len(live) == 0 {
			return []*Tensor{ins[0]}, true, nil
		}
		axis, err := normAxis(attrInt(n, "axis", 0), len(live[0].Dims))
		if err != nil {
			return nil, true, err
		}
		t, err := concatConst(out, live, axis)
		return []*Tensor{t}, true, err
	case "Gather":
		axis, err := normAxis(attrInt(n, "axis", 0), len(ins[0].Dims))
		if err != nil {
			return nil, true, err
		}
		t, err := gatherConst(out, ins[0], ins[1], axis)
		return []*Tensor{t}, true, err
	case "Slice":
		t, err := imp.sliceConst(n, ins)
		return []*Tensor{t}, true, err
	case "Split":
		ts, err := imp.splitConst(n, ins)
		return ts, true, err
	case "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceMean":
		t, err := imp.reduceConst(n, ins)
		return []*Tensor{t}, true, err
	}
	return nil, false, nil
}

// carriesBatchMark are the ops that may move a dynamic batch size (batchMark) from Shape to
// a Reshape; any other arithmetic with it is refused.
var carriesBatchMark = map[string]bool{"Shape": true, "Gather": true, "Concat": true, "Slice": true, "Unsqueeze": true,
	"Squeeze": true, "Cast": true, "Identity": true, "Split": true}

func containsMark(v []float64) bool { return slices.Contains(v, float64(batchMark)) }

// castConst converts a constant to another element type.
func castConst(t *Tensor, to int32) (*Tensor, error) {
	switch to {
	case typeFloat, typeDouble, typeFloat16, typeBFloat16, typeInt64, typeInt32, typeInt8, typeUint8, typeBool, typeInt16, typeUint16, typeUint32, typeUint64:
	default:
		return nil, fmt.Errorf("Cast to data type %d", to)
	}
	v := tensorValues(t)
	if !isFloatType(to) {
		for i, x := range v {
			if to != typeBool {
				v[i] = math.Trunc(x)
			}
		}
	}
	if to == typeFloat16 || to == typeBFloat16 || to == typeFloat {
		for i, x := range v {
			v[i] = float64(float32(x))
		}
	}
	return newConst(t.Name, t.Dims, to, v), nil
}

// reshaped is t with other dimensions (the same values).
func reshaped(t *Tensor, name string, dims []int64) *Tensor {
	c := *t
	c.Name, c.Dims = name, dims
	return &c
}

// resolveShape applies ONNX Reshape rules (0 copies unless allowzero, -1 infers) to dims.
func resolveShape(shape, dims []int64, allowZero bool) ([]int64, error) {
	n := int64(numel(dims))
	out := slices.Clone(shape)
	known, infer := int64(1), -1
	for i, d := range out {
		switch {
		case d == 0 && !allowZero:
			if i >= len(dims) {
				return nil, fmt.Errorf("reshape to %v copies axis %d of a rank-%d tensor", shape, i, len(dims))
			}
			out[i] = dims[i]
		case d == -1 && infer < 0:
			infer = i
			continue
		case d < 0:
			return nil, fmt.Errorf("reshape to %v", shape)
		}
		known *= out[i]
	}
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("reshape of %v to %v", dims, shape)
		}
		out[infer] = n / known
		known *= out[infer]
	}
	if known != n {
		return nil, fmt.Errorf("reshape of %v (%d values) to %v", dims, n, shape)
	}
	return out, nil
}

// shapeArg reads input i as a shape vector.
func shapeArg(ins []*Tensor, i int) ([]int64, error) {
	if i >= len(ins) || ins[i] == nil {
		return nil, fmt.Errorf("input %d (a shape) is missing", i)
	}
	v := tensorValues(ins[i])
	out := make([]int64, len(v))
	for j, x := range v {
		out[j] = int64(x)
	}
	return out, nil
}

func normAxis(a int64, rank int) (int, error) {
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(max(rank, 1)) && !(rank == 0 && a == 0) {
		return 0, fmt.Errorf("axis %d of a rank-%d tensor", a, rank)
	}
	return int(a), nil
}

// flattenAxis normalises Flatten's axis, in [-r, r] for a rank-r input.
func flattenAxis(a int64, r int) (int, error) {
	if a < 0 {
		a += int64(r)
	}
	if a < 0 || a > int64(r) {
		return 0, fmt.Errorf("Flatten axis %d of a rank-%d tensor", a, r)
	}
	return int(a), nil
}

// axesArg reads the axes of Squeeze/Unsqueeze/Reduce*: an attribute before opset 13 (18
// for reductions), input i after.
func (imp *importer) axesArg(n *Node, ins []*Tensor, i int) ([]int64, error) {
	if a, ok := n.Attrs["axes"]; ok {
		return a.Ints, nil
	}
	if i < len(ins) && ins[i] != nil {
		v := tensorValues(ins[i])
		out := make([]int64, len(v))
		for j, x := range v {
			out[j] = int64(x)
		}
		return out, nil
	}
	return nil, nil
}

// squeezeDims applies Squeeze or Unsqueeze axes to dims.
func squeezeDims(op string, dims, axes []int64) ([]int64, error) {
	if op == "Squeeze" {
		if len(axes) == 0 {
			var out []int64
			for _, d := range dims {
				if d != 1 {
					out = append(out, d)
				}
			}
			return out, nil
		}
		drop := map[int]bool{}
		for _, a := range axes {
			ax, err := normAxis(a, len(dims))
			if err != nil {
				return nil, err
			}
			if dims[ax] != 1 {
				return nil, fmt.Errorf("Squeeze of axis %d of size %d", ax, dims[ax])
			}
			drop[ax] = true
		}
		var out []int64
		for i, d := range dims {
			if !drop[i] {
				out = append(out, d)
			}
		}
		return out, nil
	}
	r := len(dims) + len(axes)
	ins := map[int]bool{}
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		ins[ax] = true
	}
	if len(ins) != len(axes) {
		return nil, fmt.Errorf("Unsqueeze axes %v repeat an axis", axes)
	}
	out := make([]int64, 0, r)
	j := 0
	for i := range r {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, dims[j])
			j++
		}
	}
	return out, nil
}

// shapeSlice is Shape(dims) with opset 15's start and end attributes.
func shapeSlice(name string, dims []int64, n *Node) *Tensor {
	r := int64(len(dims))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end := clamp(attrInt(n, "start", 0)), r
	if a, ok := n.Attrs["end"]; ok {
		end = clamp(a.Int)
	}
	var v []int64
	if start < end {
		v = slices.Clone(dims[start:end])
	}
	return &Tensor{Name: name, Dims: []int64{int64(len(v))}, DataType: typeInt64, Ints: v}
}

// permuteValues reorders values of shape dims into the transposed layout.
func permuteIndex(dims []int64, perm []int) ([]int64, []int) {
	out := make([]int64, len(perm))
	for i, p := range perm {
		out[i] = dims[p]
	}
	strides := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		strides[i] = s
		s *= int(dims[i])
	}
	n := numel(dims)
	idx := make([]int, n)
	coord := make([]int, len(out))
	for p := range n {
		j := 0
		for i, c := range coord {
			j += c * strides[perm[i]]
		}
		idx[p] = j
		advance(coord, out)
	}
	return out, idx
}

func transposeConst(name string, t *Tensor, perm []int) (*Tensor, error) {
	if !layers.IsPermutation(perm, len(t.Dims)) {
		return nil, fmt.Errorf("perm %v for a rank-%d constant", perm, len(t.Dims))
	}
	dims, idx := permuteIndex(t.Dims, perm)
	return pick(name, t, dims, idx), nil
}

// pick makes a constant of dims whose flat value p is t's value idx[p].
func pick(name string, t *Tensor, dims []int64, idx []int) *Tensor {
	out := &Tensor{Name: name, Dims: dims, DataType: t.DataType}
	if t.Floats != nil {
		out.Floats = make([]float32, len(idx))
		for i, j := range idx {
			out.Floats[i] = t.Floats[j]
		}
		return out
	}
	out.Ints = make([]int64, len(idx))
	for i, j := range idx {
		out.Ints[i] = t.Ints[j]
	}
	return out
}

func expandTo(name string, t *Tensor, target []int64) (*Tensor, error) {
	if numel(target) > maxFoldValues {
		return nil, fmt.Errorf("Expand to %v", target)
	}
	return pick(name, t, target, broadcastIndex(t.Dims, target)), nil
}

func tileConst(name string, t *Tensor, reps []float64) (*Tensor, error) {
	if len(reps) != len(t.Dims) {
		return nil, fmt.Errorf("Tile repeats %v for a rank-%d constant", reps, len(t.Dims))
	}
	out := make([]int64, len(t.Dims))
	for i, d := range t.Dims {
		out[i] = d * int64(reps[i])
	}
	if numel(out) > maxFoldValues {
		return nil, fmt.Errorf("Tile to %v", out)
	}
	idx := make([]int, numel(out))
	coord := make([]int, len(out))
	for p := range idx {
		j, s := 0, 1
		for i := len(out) - 1; i >= 0; i-- {
			j += (coord[i] % int(t.Dims[i])) * s
			s *= int(t.Dims[i])
		}
		idx[p] = j
		advance(coord, out)
	}
	return pick(name, t, out, idx), nil
}

func concatConst(name string, ts []*Tensor, axis int) (*Tensor, error) {
	out := slices.Clone(ts[0].Dims)
	out[axis] = 0
	for _, t := range ts {
		if len(t.Dims) != len(out) {
			return nil, fmt.Errorf("Concat of constants of ranks %d and %d", len(out), len(t.Dims))
		}
		for i, d := range t.Dims {
			if i != axis && d != out[i] {
				return nil, fmt.Errorf("Concat of constants of shapes %v and %v", ts[0].Dims, t.Dims)
			}
		}
		out[axis] += t.Dims[axis]
	}
	res := &Tensor{Name: name, Dims: out, DataType: ts[0].DataType}
	isF := ts[0].Floats != nil
	for _, t := range ts {
		if (t.Floats != nil) != isF && numel(t.Dims) > 0 {
			return nil, fmt.Errorf("Concat of float and integer constants")
		}
	}
	for o := range numel(out[:axis]) {
		for _, t := range ts {
			inner := numel(t.Dims[axis:])
			if isF {
				res.Floats = append(res.Floats, t.Floats[o*inner:(o+1)*inner]...)
			} else {
				res.Ints = append(res.Ints, t.Ints[o*inner:(o+1)*inner]...)
			}
		}
	}
	return res, nil
}

func gatherConst(name string, data, indices *Tensor, axis int) (*Tensor, error) {
	ix := tensorValues(indices)
	n := int(data.Dims[axis])
	out := append(append(slices.Clone(data.Dims[:axis]), indices.Dims...), data.Dims[axis+1:]...)
	outer, inner := numel(data.Dims[:axis]), numel(data.Dims[axis+1:])
	idx := make([]int, 0, numel(out))
	for o := range outer {
		for _, v := range ix {
			i := int(v)
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return nil, fmt.Errorf("Gather index %v outside an axis of %d", v, n)
			}
			for k := range inner {
				idx = append(idx, (o*n+i)*inner+k)
			}
		}
	}
	return pick(name, data, out, idx), nil
}

// sliceSpec is Slice's starts, ends, axes and steps resolved for dims.
func (imp *importer) sliceParams(n *Node, ins []*Tensor, dims []int64) (starts, ends, steps []int64, axes []int, err error) {
	r := len(dims)
	var st, en, ax, sp []int64
	if imp.opset < 10 {
		st, en, ax = n.Attrs["starts"].Ints, n.Attrs["ends"].Ints, n.Attrs["axes"].Ints
	} else {
		if st, err = shapeArg(ins, 1); err != nil {
			return
		}
		if en, err = shapeArg(ins, 2); err != nil {
			return
		}
		if len(ins) > 3 && ins[3] != nil {
			ax, _ = shapeArg(ins, 3)
		}
		if len(ins) > 4 && ins[4] != nil {
			sp, _ = shapeArg(ins, 4)
		}
	}
	if len(ax) == 0 {
		for i := range st {
			ax = append(ax, int64(i))
		}
	}
	if len(st) != len(en) || len(ax) != len(st) || (sp != nil && len(sp) != len(st)) {
		return nil, nil, nil, nil, fmt.Errorf("Slice with %d starts, %d ends, %d axes", len(st), len(en), len(ax))
	}
	starts, ends, steps = make([]int64, r), slices.Clone(dims), make([]int64, r)
	for i := range steps {
		steps[i] = 1
	}
	for i, a := range ax {
		var k int
		if k, err = normAxis(a, r); err != nil {
			return
		}
		axes = append(axes, k)
		d, s := dims[k], int64(1)
		if sp != nil {
			s = sp[i]
		}
		if s == 0 {
			return nil, nil, nil, nil, fmt.Errorf("Slice step 0")
		}
		b, e := st[i], en[i]
		if b < 0 {
			b += d
		}
		if e < 0 {
			e += d
		}
		if s > 0 {
			b, e = min(max(b, 0), d), min(max(e, 0), d)
		} else {
			b, e = min(max(b, -1), d-1), min(max(e, -1), d-1)
		}
		starts[k], ends[k], steps[k] = b, e, s
	}
	return starts, ends, steps, axes, nil
}

// sliceIndices lists the positions a slice keeps along one axis.
func sliceIndices(b, e, s int64) []int {
	var out []int
	for i := b; (s > 0 && i < e) || (s < 0 && i > e); i += s {
		out = append(out, int(i))
	}
	return out
}

func (imp *importer) sliceConst(n *Node, ins []*Tensor) (*Tensor, error) {
	t := ins[0]
	starts, ends, steps, _, err := imp.sliceParams(n, ins, t.Dims)
	if err != nil {
		return nil, err
	}
	cur := t
	for a := range t.Dims {
		keep := sliceIndices(starts[a], ends[a], steps[a])
		if len(keep) == int(cur.Dims[a]) && (len(keep) == 0 || keep[0] == 0 && keep[len(keep)-1] == len(keep)-1) {
			continue
		}
		idx := make([]int64, len(keep))
		for i, k := range keep {
			idx[i] = int64(k)
		}
		if cur, err = gatherConst(n.Outputs[0], cur, &Tensor{Dims: []int64{int64(len(idx))}, DataType: typeInt64, Ints: idx}, a); err != nil {
			return nil, err
		}
	}
	return reshaped(cur, n.Outputs[0], cur.Dims), nil
}

// splitSizes resolves Split's parts along an axis of size d.
func (imp *importer) splitSizes(n *Node, ins []*Tensor, d int64) ([]int64, error) {
	var sizes []int64
	if a, ok := n.Attrs["split"]; ok {
		sizes = a.Ints
	} else if len(ins) > 1 && ins[1] != nil {
		for _, v := range tensorValues(ins[1]) {
			sizes = append(sizes, int64(v))
		}
	}
	parts := int64(len(n.Outputs))
	if sizes == nil {
		if k := attrInt(n, "num_outputs", 0); k > 0 {
			parts = k
		}
		each := (d + parts - 1) / parts
		for left := d; left > 0; left -= each {
			sizes = append(sizes, min(each, left))
		}
	}
	total := int64(0)
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("Split sizes %v", sizes)
		}
		total += s
	}
	if total != d || len(sizes) != len(n.Outputs) {
		return nil, fmt.Errorf("Split sizes %v for an axis of %d into %d outputs", sizes, d, len(n.Outputs))
	}
	return sizes, nil
}

func (imp *importer) splitConst(n *Node, ins []*Tensor) ([]*Tensor, error) {
	t := ins[0]
	axis, err := normAxis(attrInt(n, "axis", 0), len(t.Dims))
	if err != nil {
		return nil, err
	}
	sizes, err := imp.splitSizes(n, ins, t.Dims[axis])
	if err != nil {
		return nil, err
	}
	var out []*Tensor
	start := int64(0)
	for i, s := range sizes {
		idx := make([]int64, s)
		for j := range idx {
			idx[j] = start + int64(j)
		}
		start += s
		p, err := gatherConst(n.Outputs[i], t, &Tensor{Dims: []int64{s}, DataType: typeInt64, Ints: idx}, axis)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (imp *importer) reduceConst(n *Node, ins []*Tensor) (*Tensor, error) {
	t := ins[0]
	axes, err := imp.axesArg(n, ins, 1)
	if err != nil {
		return nil, err
	}
	r := len(t.Dims)
	red := make([]bool, r)
	if len(axes) == 0 {
		if attrInt(n, "noop_with_empty_axes", 0) == 1 {
			return reshaped(t, n.Outputs[0], t.Dims), nil
		}
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		k, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		red[k] = true
	}
	keep := attrInt(n, "keepdims", 1) == 1
	var outDims, kept []int64
	for i, d := range t.Dims {
		switch {
		case !red[i]:
			outDims, kept = append(outDims, d), append(kept, d)
		case keep:
			outDims, kept = append(outDims, 1), append(kept, 1)
		default:
			kept = append(kept, 1)
		}
	}
	v := tensorValues(t)
	res := make([]float64, numel(kept))
	init := map[string]float64{"ReduceProd": 1, "ReduceSum": 0, "ReduceMean": 0, "ReduceMax": math.Inf(-1), "ReduceMin": math.Inf(1)}[n.OpType]
	for i := range res {
		res[i] = init
	}
	idx := broadcastIndex(kept, t.Dims)
	for p, x := range v {
		j := idx[p]
		switch n.OpType {
		case "ReduceProd":
			res[j] *= x
		case "ReduceMax":
			res[j] = math.Max(res[j], x)
		case "ReduceMin":
			res[j] = math.Min(res[j], x)
		default:
			res[j] += x
		}
	}
	if n.OpType == "ReduceMean" {
		for i := range res {
			res[i] /= float64(len(v) / max(len(res), 1))
		}
	}
	return newConst(n.Outputs[0], outDims, t.DataType, res), nil
}

package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// padRank prepends axes of size 1 up to rank r (numpy broadcasting).
func (l layout) padRank(r int) layout {
	k := r - l.rank()
	if k <= 0 {
		return l
	}
	out := layout{dims: append(make([]int, k), l.dims...), fine: append(make([]int, k), l.fine...), owner: make([]int, 0, k+len(l.owner)), batch: -1}
	if l.batch >= 0 {
		out.batch = l.batch + k
	}
	for i := range k {
		out.dims[i], out.fine[i] = 1, 1
		out.owner = append(out.owner, i)
	}
	for _, o := range l.owner {
		out.owner = append(out.owner, o+k)
	}
	for _, g := range l.store {
		ng := make([]int, len(g))
		for i, f := range g {
			ng[i] = f + k
		}
		out.store = append(out.store, ng)
	}
	return out
}

// coarseOrder returns the ONNX axes of l's storage axes when each storage axis holds all
// the non-unit factors of one ONNX axis in ONNX order (nil otherwise).
func (l layout) coarseOrder() []int {
	var order []int
	for _, g := range l.store {
		nu := l.nonUnit(g)
		if len(nu) == 0 {
			order = append(order, l.owner[g[0]])
			continue
		}
		a := l.owner[nu[0]]
		if !slices.Equal(nu, l.nonUnit(l.factorsOf(a))) || slices.Contains(order, a) {
			return nil
		}
		order = append(order, a)
	}
	return order
}

// align brings element-wise operands into one storage arrangement, with axes of size 1
// where they broadcast. One operand must have the result's shape.
func (imp *importer) align(vs []value) ([]value, layout, error) {
	r := 0
	for _, v := range vs {
		r = max(r, v.lay.rank())
	}
	var shapes [][]int64
	for i := range vs {
		vs[i].lay = vs[i].lay.padRank(r)
		shapes = append(shapes, dims64(vs[i].lay.dims))
	}
	outDims, err := broadcastDims(shapes...)
	if err != nil {
		return nil, layout{}, err
	}
	batch := -1
	for _, v := range vs {
		if b := v.lay.batch; b >= 0 {
			if batch >= 0 && b != batch {
				return nil, layout{}, fmt.Errorf("operands carry the batch on different axes (%d and %d)", batch, b)
			}
			batch = b
		}
	}
	ref := -1
	for i, v := range vs {
		if slices.Equal(dims64(v.lay.dims), outDims) {
			ref = i
			break
		}
	}
	if ref < 0 {
		return nil, layout{}, fmt.Errorf("inputs of shapes %v broadcast each other; convlens needs one input of the result's shape", shapes)
	}
	same := true
	for _, v := range vs[1:] {
		same = same && v.lay.equal(vs[0].lay)
	}
	if same {
		res := vs[ref].lay
		res.batch = batch
		return vs, res, nil
	}
	order := vs[ref].lay.coarseOrder()
	if order == nil {
		for a, d := range outDims {
			if d > 1 {
				order = append(order, a)
			}
		}
	}
	out := make([]value, len(vs))
	for i, v := range vs {
		if out[i], err = imp.arrange(v, order); err != nil {
			return nil, layout{}, err
		}
	}
	res := out[ref].lay
	res.batch = batch
	return out, res, nil
}

// convArith imports Add, Sub, Mul, Div, Pow, Max, Min, Sum and Mean: of tensors computed
// from the image (residual sums, gates), or of one such tensor and a constant.
func convArith(imp *importer, n *Node) error {
	var vs []value
	var consts []int
	for i, in := range n.Inputs {
		if in == "" {
			continue
		}
		if v, ok := imp.vals[in]; ok {
			vs = append(vs, v)
		} else if imp.consts[in] != nil {
			consts = append(consts, i)
		} else {
			return fmt.Errorf("input %s is unknown", quote(in))
		}
	}
	if len(consts) > 0 {
		if len(vs) != 1 || len(consts) != 1 || len(n.Inputs) != 2 {
			return fmt.Errorf("%s of %d computed tensors and %d constants; convlens combines one tensor with one constant", n.OpType, len(vs), len(consts))
		}
		return imp.withConstant(n, vs[0], consts[0])
	}
	if len(vs) == 1 {
		imp.emit(layers.Layer{Kind: layers.Identity}, vs, vs[0].lay, nil)
		return nil
	}
	vs, out, err := imp.align(vs)
	if err != nil {
		return err
	}
	sameShape := true
	for _, v := range vs[1:] {
		sameShape = sameShape && slices.Equal(v.lay.shape(), vs[0].lay.shape())
	}
	var l layers.Layer
	switch {
	case (n.OpType == "Add" || n.OpType == "Sum") && sameShape:
		l = layers.Layer{Kind: layers.Add}
	case n.OpType == "Mul":
		l = layers.Layer{Kind: layers.Multiply}
	default:
		op := map[string]string{"Add": "sum", "Sum": "sum", "Sub": "sub", "Div": "div", "Pow": "pow", "Max": "max", "Min": "min", "Mean": "mean"}[n.OpType]
		l = layers.Layer{Kind: layers.Merge, Op: op}
	}
	imp.emit(l, vs, out, nil)
	return nil
}

// withConstant imports a binary op of tensor x and the constant at input ci.
func (imp *importer) withConstant(n *Node, x value, ci int) error {
	t, err := imp.floats(n, ci, false)
	if err != nil {
		return err
	}
	constFirst := ci == 0
	scalar := len(t.Floats) == 1
	switch n.OpType {
	case "Pow":
		if constFirst || !scalar {
			return fmt.Errorf("Pow of a constant base or by a tensor of exponents; convlens raises a tensor to a constant power")
		}
		imp.emit(layers.Layer{Kind: layers.Activate, Activation: layers.Pow, Exponent: float64(t.Floats[0])}, []value{x}, x.lay, nil)
		return nil
	case "Max", "Min", "Sum", "Mean":
		if n.OpType == "Sum" || n.OpType == "Mean" {
			return fmt.Errorf("%s of a tensor and a constant", n.OpType)
		}
		if !scalar {
			return fmt.Errorf("%s with a constant of shape %v; convlens takes a scalar bound", n.OpType, t.Dims)
		}
		l := layers.Layer{Kind: layers.Activate, Activation: layers.Clip, ClipMin: -math.MaxFloat32, ClipMax: math.MaxFloat32}
		if n.OpType == "Max" {
			l.ClipMin = float64(t.Floats[0])
		} else {
			l.ClipMax = float64(t.Floats[0])
		}
		imp.emit(l, []value{x}, x.lay, nil)
		return nil
	}
	shape, c, err := x.lay.broadcastParam(dimsInt(t.Dims), t.Floats)
	if err != nil {
		return err
	}
	scale, shift := make([]float32, len(c)), make([]float32, len(c))
	for i, v := range c {
		sc, sh := float32(1), float32(0)
		switch {
		case n.OpType == "Add":
			sh = v
		case n.OpType == "Mul":
			sc = v
		case n.OpType == "Sub" && !constFirst:
			sh = -v
		case n.OpType == "Sub":
			sc, sh = -1, v
		case n.OpType == "Div" && !constFirst:
			sc = 1 / v
		default: // constant / x = constant · (1/x)
			sc = v
		}
		scale[i], shift[i] = sc, sh
	}
	if err := nd.CheckFinite("the constant of "+n.OpType, append(slices.Clone(scale), shift...)); err != nil {
		return err
	}
	if n.OpType == "Div" && constFirst {
		rec := layers.Layer{Name: imp.nodeName("reciprocal"), Kind: layers.Activate, Activation: layers.Reciprocal}
		imp.addLayer(rec, []value{x}, x.lay, nil)
		x = value{layer: rec.Name, lay: x.lay}
	}
	imp.emitAffine(x, shape, scale, shift)
	return nil
}

// emitAffine adds an affine layer on x with parameters of storage shape (1 where they broadcast).
func (imp *importer) emitAffine(x value, shape []int, scale, shift []float32) {
	ps, sc := paramVar(shape, scale, x.lay.shape())
	_, sh := paramVar(shape, shift, x.lay.shape())
	imp.emit(layers.Layer{Kind: layers.Affine, ParamShape: ps}, []value{x}, x.lay, map[string]nd.Array{layers.VarScale: sc, layers.VarShift: sh})
}

// convWhere imports Where with a constant condition choosing between a tensor and a
// constant: y = x·m + v·(1−m), an affine map.
func convWhere(imp *importer, n *Node) error {
	cond, err := imp.constant(n, 0, false)
	if err != nil {
		return fmt.Errorf("a condition computed from the image: %w", err)
	}
	var x value
	var v *Tensor
	xFirst := false
	if a, ok := imp.vals[n.Inputs[1]]; ok {
		if v, err = imp.floats(n, 2, false); err != nil {
			return err
		}
		x, xFirst = a, true
	} else {
		if x, err = imp.input(n, 2); err != nil {
			return err
		}
		if v, err = imp.floats(n, 1, false); err != nil {
			return err
		}
	}
	both, err := broadcastDims(cond.Dims, v.Dims)
	if err != nil {
		return err
	}
	cv, vv := tensorValues(cond), tensorValues(v)
	ci, vi := broadcastIndex(cond.Dims, both), broadcastIndex(v.Dims, both)
	m := make([]float32, len(ci))
	fill := make([]float32, len(ci))
	for p := range m {
		keep := cv[ci[p]] != 0 // where the condition holds, Where takes its second input
		if !xFirst {
			keep = !keep
		}
		if keep {
			m[p] = 1
		} else {
			fill[p] = float32(vv[vi[p]])
		}
	}
	shape, scale, err := x.lay.broadcastParam(dimsInt(both), m)
	if err != nil {
		return err
	}
	_, shift, err := x.lay.broadcastParam(dimsInt(both), fill)
	if err != nil {
		return err
	}
	if err := nd.CheckFinite("the constant of Where", shift); err != nil {
		return err
	}
	imp.emitAffine(x, shape, scale, shift)
	return nil
}

package onnx

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/layers"
)

// convTranspose renames axes: no data moves (an identity layer with the new layout).
func convTranspose(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	perm := seqRange(x.lay.rank())
	slices.Reverse(perm)
	if p := n.Attrs["perm"].Ints; len(p) > 0 {
		perm = dimsInt(p)
	}
	out, err := x.lay.transpose(perm)
	if err != nil {
		return err
	}
	imp.emit(layers.Layer{Kind: layers.Identity}, []value{x}, out, nil)
	return nil
}

// convReshape imports Reshape, Flatten, Squeeze and Unsqueeze: a new shape of the same
// values, which moves data only when the storage order cannot express it.
func convReshape(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	dims := dims64(x.lay.dims)
	b := x.lay.batch
	var target []int64
	batch := -1
	switch n.OpType {
	case "Reshape":
		sh, err := imp.constant(n, 1, imp.opset < 5)
		if err != nil {
			return err
		}
		var want []int64
		if sh == nil {
			want = n.Attrs["shape"].Ints
		} else {
			for _, v := range tensorValues(sh) {
				want = append(want, int64(v))
			}
		}
		want = slices.Clone(want)
		if b >= 0 { // the batch goes where Shape's batch marker (or a 0 copying it) is
			for i, v := range want {
				if v == batchMark {
					want[i], batch = 1, i
				}
			}
			if batch < 0 && b < len(want) && (want[b] == 0 && attrInt(n, "allowzero", 0) == 0 || want[b] == -1) {
				batch = b
			}
			if batch < 0 && b < len(want) && want[b] == 1 { // older exports fix the batch at 1
				batch = b
				imp.notices = append(imp.notices, fmt.Sprintf("node %s reshapes to %v, a batch of 1; convlens applies it to each image", quote(n.Name), want))
			}
			if batch < 0 {
				return fmt.Errorf("a reshape to %v that does not keep the batch axis; convlens runs each image on its own", want)
			}
		}
		if target, err = resolveShape(want, dims, attrInt(n, "allowzero", 0) == 1); err != nil {
			return err
		}
		if b >= 0 && (numel(dims[:b]) != numel(target[:batch]) || numel(dims[b+1:]) != numel(target[batch+1:])) {
			return fmt.Errorf("reshaping %v to %v mixes the batch with other axes; convlens runs each image on its own", dims, target)
		}
	case "Flatten":
		axis, err := flattenAxis(attrInt(n, "axis", 1), len(dims))
		if err != nil {
			return err
		}
		a := numel(dims[:axis])
		target = []int64{int64(a), int64(numel(dims) / a)}
		if b >= 0 {
			batch = 0
			if b >= axis {
				batch = 1
			}
			if target[batch] != 1 {
				return fmt.Errorf("a Flatten at axis %d merges the batch with other axes; convlens runs each image on its own", axis)
			}
		}
	default:
		axes, err := imp.axesInput(n)
		if err != nil {
			return err
		}
		if b >= 0 && n.OpType == "Squeeze" && len(axes) == 0 { // every unit axis but the batch
			for i, d := range dims {
				if d == 1 && i != b {
					axes = append(axes, int64(i))
				}
			}
		}
		if target, err = squeezeDims(n.OpType, dims, axes); err != nil {
			return err
		}
		if b >= 0 {
			if batch, err = squeezedBatch(n.OpType, len(dims), b, axes); err != nil {
				return err
			}
		}
	}
	return imp.reshapeTo(x, dimsInt(target), batch)
}

// squeezedBatch is where Squeeze or Unsqueeze (axes) moves the batch axis b of a rank-r tensor.
func squeezedBatch(op string, r, b int, axes []int64) (int, error) {
	if op == "Squeeze" {
		k := b
		for _, a := range axes {
			ax, _ := normAxis(a, r)
			if ax == b {
				return 0, fmt.Errorf("a Squeeze of the batch axis; convlens runs each image on its own")
			}
			if ax < b {
				k--
			}
		}
		return k, nil
	}
	out := r + len(axes)
	ins := map[int]bool{}
	for _, a := range axes {
		ax, _ := normAxis(a, out)
		ins[ax] = true
	}
	j := 0
	for i := range out {
		if ins[i] {
			continue
		}
		if j == b {
			return i, nil
		}
		j++
	}
	return 0, fmt.Errorf("an Unsqueeze that loses the batch axis")
}

// reshapeTo emits the current node as x reshaped to target (ONNX dims of one image) with
// the batch (of a dynamic-batch model) in axis batch.
func (imp *importer) reshapeTo(x value, target []int, batch int) error {
	if len(target) == 0 {
		return fmt.Errorf("a reshape to a scalar per image")
	}
	if out, ok := x.lay.reshape(target); ok {
		out.batch = batch
		l := layers.Layer{Kind: layers.Identity}
		switch {
		case slices.Equal(out.shape(), x.lay.shape()):
		case len(out.store) == 1: // a vector: convlens's flatten
			l = layers.Layer{Kind: layers.Flatten}
		default:
			l = layers.Layer{Kind: layers.Reshape, Shape: out.shape()}
		}
		imp.emit(l, []value{x}, out, nil)
		return nil
	}
	// The factors do not line up: put the data in ONNX order, then reshape freely.
	var order []int
	for a, d := range x.lay.dims {
		if d > 1 {
			order = append(order, a)
		}
	}
	x, err := imp.arrange(x, order)
	if err != nil {
		return err
	}
	out := canonical(target)
	out.batch = batch
	imp.emit(layers.Layer{Kind: layers.Reshape, Shape: out.shape()}, []value{x}, out, nil)
	return nil
}

// secondInput is [nil, input 1] with input 1 a constant (or absent): the form fold's helpers read.
func (imp *importer) secondInput(n *Node) ([]*Tensor, error) {
	ins := []*Tensor{nil}
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		t, err := imp.constant(n, 1, false)
		if err != nil {
			return nil, err
		}
		ins = append(ins, t)
	}
	return ins, nil
}

// axesInput reads the axes of a node whose data input is computed (attribute or input 1).
func (imp *importer) axesInput(n *Node) ([]int64, error) {
	ins, err := imp.secondInput(n)
	if err != nil {
		return nil, err
	}
	return imp.axesArg(n, ins, 1)
}

// single holds v so that ONNX axis a is one storage axis of its own (returned).
func (imp *importer) single(v value, a int) (value, int, error) {
	if order := v.lay.coarseOrder(); order != nil {
		if s := slices.Index(order, a); s >= 0 {
			return v, s, nil
		}
	}
	var order []int
	for _, g := range v.lay.store {
		o := v.lay.owner[g[0]]
		if (v.lay.dims[o] > 1 || o == a) && !slices.Contains(order, o) {
			order = append(order, o)
		}
	}
	if !slices.Contains(order, a) {
		order = append(order, a)
	}
	slices.Sort(order) // ONNX order: the factors of a split axis come back together
	v, err := imp.arrange(v, order)
	if err != nil {
		return value{}, 0, err
	}
	return v, slices.Index(order, a), nil
}

// withAxis is layout l (one storage axis per ONNX axis) with axis a replaced by axes of dims.
func (l layout) withAxis(a int, dims []int) layout {
	newDims := append(append(slices.Clone(l.dims[:a]), dims...), l.dims[a+1:]...)
	var order []int
	for _, g := range l.store {
		o := l.owner[g[0]]
		switch {
		case o < a:
			order = append(order, o)
		case o == a:
			for i := range dims {
				order = append(order, a+i)
			}
		default:
			order = append(order, o+len(dims)-1)
		}
	}
	out := stored(newDims, order)
	out.batch = l.batch
	if l.batch > a {
		out.batch += len(dims) - 1
	}
	return out
}

// gatherAlong emits a gather of positions idx along ONNX axis a of x (its own storage axis
// s), laid out as dims, as the node's output i.
func (imp *importer) gatherAlong(i int, x value, a, s int, idx []int, dims []int) error {
	if a == x.lay.batch {
		return fmt.Errorf("indexing the batch axis; convlens runs each image on its own")
	}
	out := x.lay.withAxis(a, dims)
	if len(out.store) == 0 || len(out.dims) == 0 {
		return fmt.Errorf("a gather leaving a scalar per image")
	}
	l := layers.Layer{Kind: layers.Gather, Axes: []int{s}, Shape: storageDims(dims), Indices: idx}
	imp.emitOutput(i, l, []value{x}, out, nil)
	return nil
}

// storageDims is dims as stored (an empty shape, a scalar index, stays empty).
func storageDims(dims []int) []int {
	if dims == nil {
		return []int{}
	}
	return dims
}

func convConcat(imp *importer, n *Node) error {
	var vs []value
	for i, in := range n.Inputs {
		if in == "" {
			continue
		}
		if t := imp.consts[in]; t != nil && numel(t.Dims) == 0 {
			continue // an empty constant adds nothing
		}
		v, err := imp.input(n, i)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return fmt.Errorf("no inputs")
	}
	if len(vs) == 1 {
		imp.emit(layers.Layer{Kind: layers.Identity}, vs, vs[0].lay, nil)
		return nil
	}
	r := vs[0].lay.rank()
	a, err := normAxis(attrInt(n, "axis", 1), r)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.lay.batch != vs[0].lay.batch || a == v.lay.batch {
			return fmt.Errorf("a concat along or across the batch axis; convlens runs each image on its own")
		}
	}
	var order []int
	if o := vs[0].lay.coarseOrder(); o != nil && slices.Contains(o, a) {
		order = o
	} else {
		for ax, d := range vs[0].lay.dims {
			if d > 1 || ax == a {
				order = append(order, ax)
			}
		}
	}
	total := 0
	for i, v := range vs {
		if v.lay.rank() != r {
			return fmt.Errorf("concat of ranks %d and %d", r, v.lay.rank())
		}
		for ax, d := range v.lay.dims {
			if ax != a && d != vs[0].lay.dims[ax] {
				return fmt.Errorf("concat of shapes %v and %v along axis %d", vs[0].lay.dims, v.lay.dims, a)
			}
		}
		total += v.lay.dims[a]
		if vs[i], err = imp.arrange(v, order); err != nil {
			return err
		}
	}
	outDims := slices.Clone(vs[0].lay.dims)
	outDims[a] = total
	out := stored(outDims, order)
	out.batch = vs[0].lay.batch
	imp.emit(layers.Layer{Kind: layers.Concat, Axes: []int{slices.Index(order, a)}}, vs, out, nil)
	return nil
}

func convSplit(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	a, err := normAxis(attrInt(n, "axis", 0), x.lay.rank())
	if err != nil {
		return err
	}
	ins, err := imp.secondInput(n)
	if err != nil {
		return err
	}
	sizes, err := imp.splitSizes(n, ins, int64(x.lay.dims[a]))
	if err != nil {
		return err
	}
	x, s, err := imp.single(x, a)
	if err != nil {
		return err
	}
	start := 0
	for i, sz := range sizes {
		idx := make([]int, sz)
		for j := range idx {
			idx[j] = start + j
		}
		start += int(sz)
		if n.Outputs[i] == "" {
			continue
		}
		if err := imp.gatherAlong(i, x, a, s, idx, []int{int(sz)}); err != nil {
			return err
		}
	}
	return nil
}

func convSlice(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	ins := make([]*Tensor, len(n.Inputs))
	for i := 1; i < len(n.Inputs); i++ {
		if n.Inputs[i] != "" {
			if ins[i], err = imp.constant(n, i, false); err != nil {
				return err
			}
		}
	}
	starts, ends, steps, axes, err := imp.sliceParams(n, ins, dims64(x.lay.dims))
	if err != nil {
		return err
	}
	type cut struct {
		a   int
		idx []int
	}
	var cuts []cut
	for _, a := range axes {
		idx := sliceIndices(starts[a], ends[a], steps[a])
		if len(idx) == 0 {
			return fmt.Errorf("a slice that keeps nothing of axis %d", a)
		}
		if len(idx) == x.lay.dims[a] && idx[0] == 0 && idx[len(idx)-1] == len(idx)-1 {
			continue
		}
		cuts = append(cuts, cut{a, idx})
	}
	if len(cuts) == 0 {
		imp.emit(layers.Layer{Kind: layers.Identity}, []value{x}, x.lay, nil)
		return nil
	}
	for i, c := range cuts {
		x2, s, err := imp.single(x, c.a)
		if err != nil {
			return err
		}
		if c.a == x2.lay.batch {
			return fmt.Errorf("slicing the batch axis; convlens runs each image on its own")
		}
		if i < len(cuts)-1 {
			out := x2.lay.withAxis(c.a, []int{len(c.idx)})
			l := layers.Layer{Name: imp.nodeName(fmt.Sprintf("axis%d", c.a)), Kind: layers.Gather, Axes: []int{s}, Shape: []int{len(c.idx)}, Indices: c.idx}
			imp.addLayer(l, []value{x2}, out, nil)
			x = value{layer: l.Name, lay: out}
			continue
		}
		return imp.gatherAlong(0, x2, c.a, s, c.idx, []int{len(c.idx)})
	}
	return nil
}

func convGather(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	ix, err := imp.constant(n, 1, false)
	if err != nil {
		return err
	}
	a, err := normAxis(attrInt(n, "axis", 0), x.lay.rank())
	if err != nil {
		return err
	}
	if a == x.lay.batch {
		return fmt.Errorf("indexing the batch axis; convlens runs each image on its own")
	}
	size := x.lay.dims[a]
	var idx []int
	for _, v := range tensorValues(ix) {
		i := int(v)
		if i < 0 {
			i += size
		}
		if i < 0 || i >= size {
			return fmt.Errorf("index %v outside an axis of %d", v, size)
		}
		idx = append(idx, i)
	}
	x, s, err := imp.single(x, a)
	if err != nil {
		return err
	}
	return imp.gatherAlong(0, x, a, s, idx, dimsInt(ix.Dims))
}

// convGatherND imports GatherND with constant indices (batch_dims 0): each index row picks
// a position of the leading axes.
func convGatherND(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if attrInt(n, "batch_dims", 0) != 0 {
		return fmt.Errorf("GatherND with batch_dims %d; convlens takes 0", attrInt(n, "batch_dims", 0))
	}
	ix, err := imp.constant(n, 1, false)
	if err != nil {
		return err
	}
	if len(ix.Dims) == 0 {
		return fmt.Errorf("GatherND with scalar indices")
	}
	k := int(ix.Dims[len(ix.Dims)-1])
	r := x.lay.rank()
	if k < 1 || k > r {
		return fmt.Errorf("index rows of %d values for a rank-%d tensor", k, r)
	}
	if b := x.lay.batch; b >= 0 && b < k {
		return fmt.Errorf("indexing the batch axis; convlens runs each image on its own")
	}
	order := seqRange(k)
	for _, g := range x.lay.store {
		o := x.lay.owner[g[0]]
		if o >= k && x.lay.dims[o] > 1 && !slices.Contains(order, o) {
			order = append(order, o)
		}
	}
	// The leading axes must keep ONNX order among the rest: sort the trailing ones too.
	slices.Sort(order[k:])
	if x, err = imp.arrange(x, order); err != nil {
		return err
	}
	vals := tensorValues(ix)
	rows := len(vals) / k
	idx := make([]int, rows)
	for row := range rows {
		flat := 0
		for j := range k {
			d := x.lay.dims[j]
			i := int(vals[row*k+j])
			if i < 0 {
				i += d
			}
			if i < 0 || i >= d {
				return fmt.Errorf("index %v outside an axis of %d", vals[row*k+j], d)
			}
			flat = flat*d + i
		}
		idx[row] = flat
	}
	ixDims := dimsInt(ix.Dims[:len(ix.Dims)-1])
	outDims := append(slices.Clone(ixDims), x.lay.dims[k:]...)
	outOrder := seqRange(len(ixDims))
	for _, o := range order[k:] {
		outOrder = append(outOrder, o-k+len(ixDims))
	}
	out := stored(outDims, outOrder)
	if x.lay.batch >= 0 {
		out.batch = x.lay.batch - k + len(ixDims)
	}
	l := layers.Layer{Kind: layers.Gather, Axes: seqRange(k), Shape: storageDims(ixDims), Indices: idx}
	imp.emit(l, []value{x}, out, nil)
	return nil
}

// convExpand imports an Expand that changes nothing (a broadcast to the tensor's own shape).
func convExpand(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	sh, err := imp.constant(n, 1, false)
	if err != nil {
		return err
	}
	want := make([]int64, 0, len(sh.Ints))
	for _, v := range tensorValues(sh) {
		want = append(want, int64(v))
	}
	out, err := broadcastDims(dims64(x.lay.dims), want)
	if err != nil {
		return err
	}
	if !slices.Equal(out, dims64(x.lay.dims)) {
		return fmt.Errorf("Expand of %v to %v copies the tensor; convlens imports Expand only where it changes nothing", x.lay.dims, out)
	}
	imp.emit(layers.Layer{Kind: layers.Identity}, []value{x}, x.lay, nil)
	return nil
}

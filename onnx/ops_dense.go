package onnx

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// convDense imports Gemm and MatMul by a constant matrix: a dense layer on the last axis.
// Where the storage holds that axis's values in another order (a vector flattened from a
// channels-last image), the weight rows are permuted to match, and no data moves.
func convDense(imp *importer, n *Node) error {
	x, err := imp.input(n, 0)
	if err != nil {
		return err
	}
	if n.OpType == "Gemm" && attrInt(n, "transA", 0) != 0 {
		if x.lay.batch >= 0 || x.lay.rank() != 2 {
			return fmt.Errorf("Gemm with transA of a batch: the images would be the columns")
		}
		if x.lay, err = x.lay.transpose([]int{1, 0}); err != nil { // renames the axes; no data move
			return err
		}
	}
	wt, err := imp.floats(n, 1, false)
	if err != nil {
		return err
	}
	if len(wt.Dims) != 2 {
		return fmt.Errorf("weights of shape %v; convlens multiplies by a matrix", wt.Dims)
	}
	in, units := int(wt.Dims[0]), int(wt.Dims[1])
	transB := n.OpType == "Gemm" && attrInt(n, "transB", 0) == 1
	if transB {
		in, units = units, in
	}
	r := x.lay.rank()
	if r < 1 || x.lay.dims[r-1] != in {
		return fmt.Errorf("weights %v do not fit an input of shape %v", wt.Dims, x.lay.dims)
	}
	if n.OpType == "Gemm" && r != 2 {
		return fmt.Errorf("Gemm of a rank-%d tensor", r)
	}
	k := r - 1
	if x.lay.batch == k {
		return fmt.Errorf("a product over the batch axis; convlens runs each image on its own")
	}
	// The factors of axis k must be the trailing storage axes, merged into one.
	x, err = imp.lastAxis(x, k)
	if err != nil {
		return err
	}
	alpha, beta := float32(1), float32(1)
	if n.OpType == "Gemm" {
		alpha, beta = attrFloat(n, "alpha", 1), attrFloat(n, "beta", 1)
	}
	rows := x.axisOrder(k)
	weights := nd.New(in, units)
	for r, src := range rows {
		for u := range units {
			v := wt.Floats[src*units+u]
			if transB {
				v = wt.Floats[u*in+src]
			}
			weights.Data[r*units+u] = alpha * v
		}
	}
	bias := nd.New(units)
	if n.OpType == "Gemm" {
		bt, err := imp.floats(n, 2, true)
		if err != nil {
			return err
		}
		if bt != nil {
			if numel(bt.Dims) != 1 && numel(bt.Dims) != units {
				return fmt.Errorf("bias of shape %v for %d units", bt.Dims, units)
			}
			for i := range bias.Data {
				bias.Data[i] = beta * bt.Floats[min(i, len(bt.Floats)-1)]
			}
		}
	}
	outDims := slices.Clone(x.lay.dims)
	outDims[k] = units
	order := x.lay.coarseOrder()
	out := stored(outDims, order)
	out.batch = x.lay.batch
	if order == nil { // the other axes keep their storage; the last holds the units
		out = x.lay
		out.dims = outDims
		keep := x.lay.store[:len(x.lay.store)-1]
		out.fine, out.owner = nil, nil
		newIndex := map[int]int{}
		for f := range x.lay.fine {
			if x.lay.owner[f] == k {
				continue
			}
			newIndex[f] = len(out.fine)
			out.fine, out.owner = append(out.fine, x.lay.fine[f]), append(out.owner, x.lay.owner[f])
		}
		last := len(out.fine)
		out.fine, out.owner = append(out.fine, units), append(out.owner, k)
		out.store = nil
		for _, g := range keep {
			ng := []int{}
			for _, f := range g {
				ng = append(ng, newIndex[f])
			}
			out.store = append(out.store, ng)
		}
		out.store = append(out.store, []int{last})
	}
	imp.emit(layers.Layer{Kind: layers.Dense, Units: units}, []value{x}, out, map[string]nd.Array{layers.VarWeights: weights, layers.VarBiases: bias})
	return nil
}

// lastAxis holds x with ONNX axis k's factors as its last storage axis (one axis).
func (imp *importer) lastAxis(x value, k int) (value, error) {
	l := x.lay
	s := len(l.store) - 1
	for s >= 0 && allOwned(l, l.store[s], k) {
		s--
	}
	trailing := l.store[s+1:]
	var inTrailing []int
	for _, g := range trailing {
		inTrailing = append(inTrailing, l.nonUnit(g)...)
	}
	ok := len(trailing) > 0 && len(inTrailing) == len(l.nonUnit(l.factorsOf(k)))
	if ok && len(trailing) == 1 {
		return x, nil
	}
	if ok { // merge the trailing storage axes
		out := l
		out.store = append(slices.Clone(l.store[:s+1]), slices.Concat(trailing...))
		name := imp.nodeName("merge")
		imp.addLayer(layers.Layer{Name: name, Kind: layers.Reshape, Shape: out.shape()}, []value{x}, out, nil)
		return value{layer: name, lay: out}, nil
	}
	var order []int
	for _, g := range l.store {
		o := l.owner[g[0]]
		if o != k && l.dims[o] > 1 && !slices.Contains(order, o) {
			order = append(order, o)
		}
	}
	slices.Sort(order)
	return imp.arrange(x, append(order, k))
}

func allOwned(l layout, g []int, a int) bool {
	for _, f := range g {
		if l.owner[f] != a && l.fine[f] > 1 {
			return false
		}
	}
	return true
}

// axisOrder lists, for each position of the last storage axis (holding ONNX axis k), the
// index along axis k it holds.
func (v value) axisOrder(k int) []int {
	l := v.lay
	sub := layout{dims: []int{l.dims[k]}}
	index := map[int]int{}
	for _, f := range l.factorsOf(k) {
		index[f] = len(sub.fine)
		sub.fine = append(sub.fine, l.fine[f])
		sub.owner = append(sub.owner, 0)
	}
	g := []int{}
	for _, f := range l.store[len(l.store)-1] {
		if l.owner[f] == k {
			g = append(g, index[f])
		}
	}
	sub.store = [][]int{g}
	if len(g) == 0 {
		sub.store = [][]int{{0}}
	}
	return sub.onnxIndex()
}

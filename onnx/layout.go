package onnx

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/layers"
)

// layout is how convlens holds an ONNX tensor of one image. dims is the ONNX shape with the
// batch axis counted as 1 (convlens runs each image on its own and stacks the batch in
// front). The values are held in a storage order that may differ from ONNX's: the dims are
// split into factors (fine, in ONNX element order; owner names the ONNX axis of each), and
// store lists the storage axes, each a run of factors in storage-major order. Factors of
// size 1 may be absent from store.
//
// An NCHW image [1, C, H, W] is stored [H, W, C]: store [[2], [3], [1]]. Flattening it to
// [1, C·H·W] moves no data: its one storage axis is the run [H, W, C] of the factors
// [C, H, W] of ONNX axis 1, and a dense layer reading it permutes its weight rows instead.
// A Transpose only renames axes; a Reshape splits or merges factors; data moves only
// where a layer needs an order the storage does not have (materialize).
type layout struct {
	dims  []int
	fine  []int
	owner []int
	store [][]int
	// batch is the ONNX axis that carries the batch where the model's batch is dynamic
	// (-1: a batch fixed at 1, whose images each run alone exactly as the file computes).
	batch int
}

// canonical is a tensor stored in ONNX order, one storage axis per ONNX axis of size > 1.
func canonical(dims []int) layout {
	l := layout{dims: slices.Clone(dims), fine: slices.Clone(dims), owner: make([]int, len(dims)), batch: -1}
	for a, d := range dims {
		l.owner[a] = a
		if d > 1 {
			l.store = append(l.store, []int{a})
		}
	}
	if len(l.store) == 0 && len(dims) > 0 {
		l.store = [][]int{{len(dims) - 1}}
	}
	return l
}

// stored is a tensor of dims held with one storage axis per ONNX axis of order.
func stored(dims []int, order []int) layout {
	l := canonical(dims)
	l.store = nil
	for _, a := range order {
		l.store = append(l.store, []int{a})
	}
	return l
}

// rank is the ONNX rank.
func (l layout) rank() int { return len(l.dims) }

// shape is the storage shape of one image.
func (l layout) shape() []int {
	out := make([]int, len(l.store))
	for i, g := range l.store {
		out[i] = 1
		for _, f := range g {
			out[i] *= l.fine[f]
		}
	}
	return out
}

// seq is the factors in storage order.
func (l layout) seq() []int {
	var out []int
	for _, g := range l.store {
		out = append(out, g...)
	}
	return out
}

// nonUnit keeps the factors of size > 1.
func (l layout) nonUnit(fs []int) []int {
	var out []int
	for _, f := range fs {
		if l.fine[f] > 1 {
			out = append(out, f)
		}
	}
	return out
}

// factorsOf lists the factors of ONNX axis a.
func (l layout) factorsOf(a int) []int {
	var out []int
	for f, o := range l.owner {
		if o == a {
			out = append(out, f)
		}
	}
	return out
}

func (l layout) equal(m layout) bool {
	if !slices.Equal(l.dims, m.dims) || !slices.Equal(l.fine, m.fine) || !slices.Equal(l.owner, m.owner) || len(l.store) != len(m.store) {
		return false
	}
	for i := range l.store {
		if !slices.Equal(l.store[i], m.store[i]) {
			return false
		}
	}
	return true
}

// isImage reports whether the tensor is [1, C, H, W] stored [H, W, C] (or, with
// channelsLast, [1, H, W, C] stored so).
func (l layout) isImage() bool {
	if l.rank() != 4 || l.dims[0] != 1 || len(l.store) != 3 {
		return false
	}
	want := [][]int{l.factorsOf(2), l.factorsOf(3), l.factorsOf(1)}
	for i, g := range l.store {
		if !slices.Equal(l.nonUnit(g), l.nonUnit(want[i])) || len(l.nonUnit(want[i])) > 1 {
			return false
		}
	}
	return true
}

// transpose is the layout of ONNX's Transpose(perm) of the tensor: no data moves.
func (l layout) transpose(perm []int) (layout, error) {
	if !layers.IsPermutation(perm, l.rank()) {
		return layout{}, fmt.Errorf("perm %v for a rank-%d tensor", perm, l.rank())
	}
	out := layout{dims: make([]int, l.rank()), batch: -1}
	newIndex := make([]int, len(l.fine))
	for a, p := range perm {
		if p == l.batch {
			out.batch = a
		}
		out.dims[a] = l.dims[p]
		for _, f := range l.factorsOf(p) {
			newIndex[f] = len(out.fine)
			out.fine = append(out.fine, l.fine[f])
			out.owner = append(out.owner, a)
		}
	}
	for _, g := range l.store {
		ng := make([]int, len(g))
		for i, f := range g {
			ng[i] = newIndex[f]
		}
		out.store = append(out.store, ng)
	}
	return out, nil
}

// reshape is the layout of the tensor reshaped to target (a valid shape of as many
// values), with storage axes regrouped into runs of one ONNX axis each. ok is false when
// target does not refine the factors (the data must first be put in ONNX order).
func (l layout) reshape(target []int) (layout, bool) {
	type factor struct{ old, axis, size int }
	var fs []factor
	a := l.nonUnit(seqRange(len(l.fine)))
	var b []int
	for t, d := range target {
		if d > 1 {
			b = append(b, t)
		}
	}
	i, j := 0, 0
	ra, rb := 0, 0
	if len(a) > 0 {
		ra = l.fine[a[0]]
	}
	if len(b) > 0 {
		rb = target[b[0]]
	}
	for i < len(a) && j < len(b) {
		switch {
		case ra == rb:
			fs = append(fs, factor{a[i], b[j], ra})
			i, j = i+1, j+1
			if i < len(a) {
				ra = l.fine[a[i]]
			}
			if j < len(b) {
				rb = target[b[j]]
			}
		case ra < rb && rb%ra == 0:
			fs = append(fs, factor{a[i], b[j], ra})
			rb /= ra
			i++
			if i < len(a) {
				ra = l.fine[a[i]]
			}
		case ra > rb && ra%rb == 0:
			fs = append(fs, factor{a[i], b[j], rb})
			ra /= rb
			j++
			if j < len(b) {
				rb = target[b[j]]
			}
		default:
			return layout{}, false
		}
	}
	if i < len(a) || j < len(b) {
		return layout{}, false
	}
	out := layout{dims: slices.Clone(target), batch: -1}
	newOf := map[int][]int{} // old factor → its new factors
	k := 0
	for t, d := range target {
		if d == 1 {
			out.fine = append(out.fine, 1)
			out.owner = append(out.owner, t)
			continue
		}
		for ; k < len(fs) && fs[k].axis == t; k++ {
			newOf[fs[k].old] = append(newOf[fs[k].old], len(out.fine))
			out.fine = append(out.fine, fs[k].size)
			out.owner = append(out.owner, t)
		}
	}
	var seq []int
	for _, f := range l.seq() {
		seq = append(seq, newOf[f]...)
	}
	out.store = out.runs(seq)
	return out, true
}

func seqRange(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// runs groups a storage sequence of factors into storage axes: maximal runs of one ONNX
// axis. An empty sequence (every factor of size 1) keeps the last factor.
func (l layout) runs(seq []int) [][]int {
	var out [][]int
	for _, f := range seq {
		if n := len(out); n > 0 && l.owner[out[n-1][0]] == l.owner[f] {
			out[n-1] = append(out[n-1], f)
		} else {
			out = append(out, []int{f})
		}
	}
	if len(out) == 0 {
		out = [][]int{{len(l.fine) - 1}}
	}
	return out
}

// arrangement is how to turn one storage into another: reshape to split (optional), then
// transpose by perm (optional), then reshape to shape.
type arrangement struct {
	split []int
	perm  []int
	shape []int
}

// arrange returns the layout holding ONNX axes order (every axis of size > 1, and any of
// size 1 wanted) as one storage axis each, in that order, and the data movement to get
// there (nil when none).
func (l layout) arrange(order []int) (layout, []arrangement, error) {
	for a, d := range l.dims {
		if d > 1 && !slices.Contains(order, a) {
			return layout{}, nil, fmt.Errorf("axis %d of %v is missing from the order %v", a, l.dims, order)
		}
	}
	out := stored(l.dims, order)
	out.batch = l.batch
	var want []int
	for _, a := range order {
		want = append(want, l.nonUnit(l.factorsOf(a))...)
	}
	// The data are in place when the non-unit factors already come in the wanted order.
	if slices.Equal(l.nonUnit(l.seq()), want) {
		if slices.Equal(l.shape(), out.shape()) {
			return out, nil, nil
		}
		return out, []arrangement{{shape: out.shape()}}, nil
	}
	pos := map[int]int{}
	for i, f := range want {
		pos[f] = i
	}
	// A transpose of whole storage axes works when each keeps its factors together and in order.
	groups := l.store
	var moves []arrangement
	if !l.groupsStayWhole(want) {
		var split [][]int
		for _, f := range l.nonUnit(l.seq()) {
			split = append(split, []int{f})
		}
		groups = split
		sh := make([]int, len(split))
		for i, g := range split {
			sh[i] = l.fine[g[0]]
		}
		moves = append(moves, arrangement{split: sh})
	}
	type keyed struct{ storage, first int }
	var ks []keyed
	var units []int
	for s, g := range groups {
		nu := l.nonUnit(g)
		if len(nu) == 0 {
			units = append(units, s)
			continue
		}
		ks = append(ks, keyed{s, pos[nu[0]]})
	}
	slices.SortFunc(ks, func(x, y keyed) int { return x.first - y.first })
	perm := make([]int, 0, len(groups))
	for _, k := range ks {
		perm = append(perm, k.storage)
	}
	perm = append(perm, units...)
	last := arrangement{perm: perm, shape: out.shape()}
	if len(moves) > 0 {
		moves[0].perm, moves[0].shape = last.perm, last.shape
		return out, moves, nil
	}
	return out, []arrangement{last}, nil
}

// groupsStayWhole reports whether, in the wanted factor order, each storage axis's
// non-unit factors stay adjacent and in order.
func (l layout) groupsStayWhole(want []int) bool {
	pos := map[int]int{}
	for i, f := range want {
		pos[f] = i
	}
	for _, g := range l.store {
		nu := l.nonUnit(g)
		for i := 1; i < len(nu); i++ {
			if pos[nu[i]] != pos[nu[i-1]]+1 {
				return false
			}
		}
	}
	return true
}

// batchMark stands for a dynamic batch size in folded shapes (Shape of a computed tensor):
// a Reshape reads it as "the batch goes here"; any other use fails as a negative size.
const batchMark = -(1 << 50)

// onnxIndex maps each storage position of one image to its ONNX flat index.
func (l layout) onnxIndex() []int {
	seq := l.seq()
	n := 1
	for _, f := range seq {
		n *= l.fine[f]
	}
	// Stride of each factor in ONNX order: factors are in element order already.
	stride := make([]int, len(l.fine))
	s := 1
	for f := len(l.fine) - 1; f >= 0; f-- {
		stride[f] = s
		s *= l.fine[f]
	}
	out := make([]int, n)
	coord := make([]int, len(seq))
	for p := range n {
		idx := 0
		for i, f := range seq {
			idx += coord[i] * stride[f]
		}
		out[p] = idx
		for i := len(seq) - 1; i >= 0; i-- { // the next storage position
			coord[i]++
			if coord[i] < l.fine[seq[i]] {
				break
			}
			coord[i] = 0
		}
	}
	return out
}

// broadcastParam lays out a constant of ONNX shape cdims (broadcast onto the tensor, after
// padding with leading 1s) in the tensor's storage order. It returns the storage shape of
// the parameter (1 where it broadcasts) and its values.
func (l layout) broadcastParam(cdims []int, values []float32) ([]int, []float32, error) {
	if len(cdims) > l.rank() {
		return nil, nil, fmt.Errorf("a constant of shape %v on a tensor of shape %v", cdims, l.dims)
	}
	cd := append(make([]int, l.rank()-len(cdims)), cdims...)
	for i := range l.rank() - len(cdims) {
		cd[i] = 1
	}
	for a, d := range cd {
		if d != 1 && d != l.dims[a] {
			return nil, nil, fmt.Errorf("a constant of shape %v does not broadcast onto a tensor of shape %v", cdims, l.dims)
		}
	}
	// The parameter's own layout: the tensor's with broadcast axes collapsed to 1.
	p := layout{dims: cd, owner: l.owner}
	for f, o := range l.owner {
		if cd[o] == 1 {
			p.fine = append(p.fine, 1)
		} else {
			p.fine = append(p.fine, l.fine[f])
		}
	}
	shape := make([]int, len(l.store))
	for i, g := range l.store {
		shape[i] = 1
		for _, f := range g {
			shape[i] *= p.fine[f]
		}
	}
	p.store = l.store
	idx := p.onnxIndex()
	out := make([]float32, len(idx))
	for i, j := range idx {
		out[i] = values[j]
	}
	return shape, out, nil
}

// storageAxes lists the storage axes holding ONNX axis a's non-unit factors.
func (l layout) storageAxes(a int) []int {
	var out []int
	for s, g := range l.store {
		for _, f := range g {
			if l.owner[f] == a && l.fine[f] > 1 {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

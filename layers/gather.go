package layers

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// gatherKind reads chosen positions of consecutive per-image Axes: Indices are flat
// positions in those axes (row-major; -1 reads Fill), laid out as Shape, which replaces the
// axes. Imported models use it for Slice, Split, Gather and GatherND with constant indices.
type gatherKind struct {
	oneInput
	noVariables
}

func init() { register(Gather, gatherKind{}, false, Rearranges) }

func (gatherKind) outShape(l Layer, in [][]int) ([]int, error) {
	x := single(in)
	if err := checkAxes(l.Axes, len(x), true); err != nil {
		return nil, err
	}
	for i, a := range l.Axes[1:] {
		if a != l.Axes[i]+1 {
			return nil, fmt.Errorf("axes %v must be consecutive", l.Axes)
		}
	}
	if len(l.Shape) > maxRank || prod(l.Shape) != len(l.Indices) {
		return nil, fmt.Errorf("%d indices for an index shape %v", len(l.Indices), l.Shape)
	}
	n := 1
	for _, a := range l.Axes {
		n *= x[a]
	}
	for _, i := range l.Indices {
		if i < -1 || i >= n {
			return nil, fmt.Errorf("index %d outside the %d positions of axes %v", i, n, l.Axes)
		}
	}
	first, last := l.Axes[0], l.Axes[len(l.Axes)-1]
	out := append(append(slices.Clone(x[:first]), l.Shape...), x[last+1:]...)
	if len(out) == 0 || len(out) > maxRank {
		return nil, fmt.Errorf("gather of %v gives %d axes", x, len(out))
	}
	return out, nil
}

func (gatherKind) flops(Layer, [][]int, []int) int64 { return 0 }

func (gatherKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	idx := make([]int32, len(l.Indices))
	for i, v := range l.Indices {
		idx[i] = int32(v)
	}
	return gatherAxes(in[0], l.Axes[0]+1, l.Axes[len(l.Axes)-1]+2, idx, l.Shape, l.Fill)
}

// gatherAxes reads flat positions idx (-1: fill) of the consecutive axes [from, to) of x,
// replacing them by the axes of shape. Built from Gather, it differentiates on SimpleGo.
func gatherAxes(x *graph.Node, from, to int, idx []int32, shape []int, fill float64) *graph.Node {
	dims := x.Shape().Dimensions
	rank := len(dims)
	// Bring the indexed axes first and merge them: [M, rest].
	perm := []int{}
	for a := from; a < to; a++ {
		perm = append(perm, a)
	}
	for a := range rank {
		if a < from || a >= to {
			perm = append(perm, a)
		}
	}
	moved := graph.TransposeAllAxes(x, perm...)
	m := prod(dims[from:to])
	rest := prod(dims) / m
	flat := graph.Reshape(moved, m, rest)
	rows := slices.Clone(idx)
	if slices.Contains(idx, -1) {
		pad := graph.BroadcastToDims(graph.ConstAsDType(x.Graph(), x.DType(), fill), 1, rest)
		flat = graph.Concatenate([]*graph.Node{flat, pad}, 0)
		for i, v := range rows {
			if v < 0 {
				rows[i] = int32(m)
			}
		}
	}
	got := graph.Gather(flat, graph.Reshape(graph.Const(x.Graph(), rows), len(rows), 1)) // [n, rest]
	others := []int{}
	for a := range rank {
		if a < from || a >= to {
			others = append(others, dims[a])
		}
	}
	got = graph.Reshape(got, append(slices.Clone(shape), others...)...)
	// Move the new axes back to where the indexed ones were.
	k := len(shape)
	back := []int{}
	for i := range from {
		back = append(back, k+i)
	}
	for i := range k {
		back = append(back, i)
	}
	for i := from; i < len(others); i++ {
		back = append(back, k+i)
	}
	return graph.TransposeAllAxes(got, back...)
}

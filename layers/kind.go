package layers

import (
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// kindDef is what a layer kind implements, one kind per file.
type kindDef interface {
	// arity is the allowed number of inputs.
	arity() (lo, hi int)
	// outShape validates the layer's fields against its input shapes (per image) and returns its output shape.
	outShape(l Layer, in [][]int) ([]int, error)
	// variables lists the layer's variables for valid input shapes.
	variables(l Layer, in [][]int) []VariableSpec
	// flops is the forward cost for one image (a multiply-add counts 2), fused activation excluded.
	flops(l Layer, in [][]int, out []int) int64
	// build adds the layer to a graph; inputs are [B, ...] nodes.
	build(b *buildCtx, l Layer, in []*graph.Node) *graph.Node
}

// VariableSpec describes one variable of a layer and how it is initialised.
type VariableSpec struct {
	Name      string
	Shape     []int
	Trainable bool
	init      func(rng *rand.Rand) []float32
}

type kindInfo struct {
	def             kindDef
	fusesActivation bool // takes Layer.Activation (then has a ".pre" tap)
	geometry        Geometry
}

var kinds = map[Kind]kindInfo{}

func register(k Kind, def kindDef, fusesActivation bool, g Geometry) {
	kinds[k] = kindInfo{def: def, fusesActivation: fusesActivation, geometry: g}
}

// Geometry is how a kind's output positions relate to its input's: what receptive fields,
// CAM layers and position-wise views rely on.
type Geometry string

const (
	// Window: each output position reads a window of input positions (conv, pools, pad, resize).
	Window Geometry = "window"
	// Pointwise: each output value reads the same position of its inputs.
	Pointwise Geometry = "pointwise"
	// AlongAxis: works along one axis; positions are kept where that is the channel axis.
	AlongAxis Geometry = "along-axis"
	// Rearranges: moves, gathers or reduces positions (reshape, gather, reduce, flatten).
	Rearranges Geometry = "rearranges"
)

// KindGeometry is a kind's geometry ("" for an unknown kind).
func KindGeometry(k Kind) Geometry { return kinds[k].geometry }

// KeepsPositions reports whether the layer's output is an image whose positions are its
// input's (a window op maps them through its window): true for Window and Pointwise kinds,
// and for AlongAxis kinds working on the channels (the last axis) of an image.
func (l Layer) KeepsPositions() bool {
	switch kinds[l.Kind].geometry {
	case Window, Pointwise:
		return true
	case AlongAxis:
		return len(l.Axes) == 0 || len(l.Axes) == 1 && l.Axes[0] == 2
	}
	return false
}

// KindNames lists the known layer kinds.
func KindNames() []string {
	var out []string
	for k := range kinds {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// buildCtx is what a kind sees while building: the model, the variables of its layer, the mode.
type buildCtx struct {
	ctx      *context.Context
	training bool
	portable bool
	layer    string
	// storeConvInputs: convolutions store their input once for their kernel gradient
	// (Model.StoreConvInputs, training only).
	storeConvInputs bool
}

// variable returns a variable of the layer being built as a graph node.
func (b *buildCtx) variable(g *graph.Graph, name string) *graph.Node {
	v := b.ctx.GetVariableByScopeAndName(Scope(b.layer), name)
	if v == nil {
		panic(fmt.Errorf("layer %q: variable %q missing (checkpoint does not match the model?)", b.layer, name))
	}
	return v.ValueGraph(g)
}

// single returns the one input shape of a one-input kind.
func single(in [][]int) []int { return in[0] }

// noVariables serves kinds without parameters; oneInput kinds that take one input.
type noVariables struct{}

func (noVariables) variables(Layer, [][]int) []VariableSpec { return nil }

type oneInput struct{}

func (oneInput) arity() (int, int) { return 1, 1 }

func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

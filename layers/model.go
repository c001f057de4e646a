package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/convlens/convlens/backend"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Variable names inside each layer's scope.
const (
	VarWeights    = "weights"
	VarBiases     = "biases"
	VarGamma      = "gamma"
	VarBeta       = "beta"
	VarMovingMean = "moving_mean"
	VarMovingVar  = "moving_var"
)

// Model is a Spec with its variables on a backend. Its methods are safe for concurrent use.
type Model struct {
	Spec    *Spec
	Backend *backend.Backend
	Ctx     *context.Context
	// Portable selects the SimpleGo-safe formulations of conv and pool. It is true on
	// SimpleGo; on XLA it defaults to false (native ops) and may be set for comparisons.
	Portable bool
	// StoreConvInputs makes each convolution in training read its input through
	// storedOnce, so that XLA CPU computes the input once and transposes the stored
	// tensor for the kernel gradient (ResNet trains ~20 % faster; docs/PERFORMANCE.md).
	// True on XLA CPU; values are unchanged either way.
	StoreConvInputs bool

	mu       sync.Mutex
	forward  *context.Exec
	tapsExec map[string]*context.Exec // by the taps they return ("" for all)
}

// New validates spec and creates its variables with a seeded initialisation
// (He-uniform before ReLU-family activations, Glorot-uniform otherwise; zero biases).
func New(spec *Spec, b *backend.Backend, seed int64) (*Model, error) {
	m, err := NewEmpty(spec, b)
	if err != nil {
		return nil, err
	}
	if err := m.initVariables(seed); err != nil {
		return nil, err
	}
	return m, nil
}

// NewEmpty validates spec and returns a model without variables, to be filled from a checkpoint.
func NewEmpty(spec *Spec, b *backend.Backend) (*Model, error) {
	if spec == nil {
		return nil, fmt.Errorf("nil model spec")
	}
	if b == nil {
		return nil, fmt.Errorf("nil backend")
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	ctx := context.New().Checked(false)
	return &Model{Spec: spec, Backend: b, Ctx: ctx, Portable: b.IsGo(), StoreConvInputs: b.Kind == backend.XLACPU}, nil
}

// Scope is the variable scope of a layer (a "/" in an imported layer's name becomes "|",
// as GoMLX separates scopes with "/").
func Scope(layer string) string {
	return context.RootScope + strings.ReplaceAll(layer, context.ScopeSeparator, "|")
}

func (m *Model) initVariables(seed int64) error {
	return Safe("initialising variables", func() error {
		t, err := m.Spec.Topology()
		if err != nil {
			return err
		}
		for _, n := range t.Nodes {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(n.Index)+1))
			c := m.Ctx.InAbsPath(Scope(n.Name))
			for _, v := range n.variables() {
				c.VariableWithValue(v.Name, tensors.FromFlatDataAndDimensions(v.init(rng), v.Shape...)).SetTrainable(v.Trainable)
			}
		}
		return m.Ctx.SetRNGStateFromSeed(seed)
	})
}

// zeros is a trainable variable of n zeros.
func zeros(name string, n int) VariableSpec {
	return VariableSpec{Name: name, Shape: []int{n}, Trainable: true, init: func(*rand.Rand) []float32 { return make([]float32, n) }}
}

func initWeights(rng *rand.Rand, n, fanIn, fanOut int, a Activation) []float32 {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	if a == ReLU || a == LeakyReLU {
		limit = math.Sqrt(6 / float64(fanIn))
	}
	w := make([]float32, n)
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * limit)
	}
	return w
}

// Forward holds the nodes of one forward pass: the logits and every tap by name.
type Forward struct {
	Logits *graph.Node
	Taps   map[string]*graph.Node
}

// Build constructs the forward graph for images [B,H,W,C] in raw pixel units. In training
// mode dropout is active and batch norm uses (and updates) batch statistics. It panics on
// graph errors, like every GoMLX graph-building function; wrap callers with Safe.
func (m *Model) Build(ctx *context.Context, images *graph.Node, training bool) *Forward {
	return m.BuildEdited(ctx, images, training, nil)
}

// Edit replaces a layer's output (after its activation) by a value computed from it, in
// the graph: ablations, interventions. It returns x itself for the layers it leaves alone.
type Edit func(layer string, x *graph.Node) *graph.Node

// BuildEdited is Build with edit (nil: none) applied to every layer's output; the layers
// after it see the edited value, and so does its tap.
func (m *Model) BuildEdited(ctx *context.Context, images *graph.Node, training bool, edit Edit) *Forward {
	var hook Hook
	if edit != nil {
		hook = func(n Node, _ []*graph.Node, _, out *graph.Node) *graph.Node { return edit(n.Name, out) }
	}
	return m.BuildHooked(ctx, images, training, hook)
}

// Hook sees each layer as the graph is built: the layer, its input nodes (the first layer's
// is the normalised image), its output before the activation (pre) and after it (out, pre
// itself without one). It returns the value the layers after it see: out for no change.
type Hook func(n Node, in []*graph.Node, pre, out *graph.Node) *graph.Node

// BuildHooked is Build with hook (nil: none) called on every layer.
func (m *Model) BuildHooked(ctx *context.Context, images *graph.Node, training bool, hook Hook) *Forward {
	s := m.Spec
	t, err := s.Topology()
	if err != nil {
		panic(err)
	}
	dims := images.Shape().Dimensions
	if len(dims) != 4 || dims[1] != s.Height || dims[2] != s.Width || dims[3] != s.Chans {
		panic(fmt.Errorf("input shape %v does not match model %q input [batch %d %d %d]", dims, s.Name, s.Height, s.Width, s.Chans))
	}
	values := map[string]*graph.Node{InputName: m.normalize(images)}
	f := &Forward{Taps: make(map[string]*graph.Node, 2*len(t.Nodes))}
	chain := map[string]int{} // pointwise layers since the last contraction, per value
	for _, n := range t.Nodes {
		in := make([]*graph.Node, len(n.Inputs))
		for i, name := range n.Inputs {
			in[i] = values[name]
		}
		b := &buildCtx{ctx: ctx, training: training, portable: m.Portable, layer: n.Name,
			storeConvInputs: training && m.StoreConvInputs && !m.Portable}
		x := kinds[n.Kind].def.build(b, n.Layer, in)
		pre := x
		if n.HasActivation() {
			f.Taps[n.Name+PreSuffix] = x
			x = activate(x, n.Layer)
		}
		if hook != nil {
			x = hook(n, in, pre, x)
		}
		if d := postOpChain(n, chain); d >= maxPostOpChain && m.Backend != nil && m.Backend.Kind == backend.XLACPU {
			x = storedOnce(x)
			chain[n.Name] = 0
		}
		f.Taps[n.Name] = x
		values[n.Name] = x
	}
	f.Logits = values[t.Logits]
	return f
}

// LinearWith applies a convolution's or dense layer's linear map with the given weights
// (the layout of its VarWeights) to x, without its bias: what rules that modify the
// weights (LRP's) need.
func (m *Model) LinearWith(l Layer, x, weights *graph.Node) (*graph.Node, error) {
	switch l.Kind {
	case Conv2D:
		return conv2d(x, weights, l, m.Portable), nil
	case Dense:
		dims := x.Shape().Dimensions
		if len(dims) > 2 {
			x = graph.Reshape(x, -1, dims[len(dims)-1])
		}
		x = matmul(x, weights)
		if len(dims) > 2 {
			x = graph.Reshape(x, append(slices.Clone(dims[:len(dims)-1]), l.Units)...)
		}
		return x, nil
	}
	return nil, fmt.Errorf("layer %q (%s) is not a convolution or dense layer", l.Name, l.Kind)
}

// maxPostOpChain bounds the pointwise layers (activations, adds, affine maps) that follow a
// convolution or dense layer unbroken. XLA CPU hands such a chain (in the forward pass or,
// as seen, in its gradient) to oneDNN as the contraction's post-ops, and oneDNN aborts the
// whole process (SIGILL, "could not append a binary post-op") beyond the number it
// supports; real networks have 2–4. Past the bound the value is stored once (storedOnce:
// the identity, and the identity's gradient), which ends the chain.
const maxPostOpChain = 12

// postOpChain records and returns the length of the pointwise chain n ends.
func postOpChain(n Node, chain map[string]int) int {
	d := 0
	if KindGeometry(n.Kind) == Pointwise {
		for _, in := range n.Inputs {
			d = max(d, chain[in])
		}
		d++
	}
	if n.HasActivation() {
		d++
	}
	chain[n.Name] = d
	return d
}

// normalize applies the spec's per-channel input normalisation.
func (m *Model) normalize(x *graph.Node) *graph.Node {
	s := m.Spec
	if len(s.InputStd) == 0 {
		return x
	}
	mean, inv := make([]float32, s.Chans), make([]float32, s.Chans)
	for c := range mean {
		m, std := s.Normalization(c)
		mean[c], inv[c] = float32(m), float32(1/std)
	}
	g := x.Graph()
	x = graph.Sub(x, graph.ConvertDType(graph.Reshape(graph.Const(g, mean), 1, 1, 1, s.Chans), x.DType()))
	return graph.Mul(x, graph.ConvertDType(graph.Reshape(graph.Const(g, inv), 1, 1, 1, s.Chans), x.DType()))
}

package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// bnMomentum is the weight of the old value in batch-norm moving averages.
const bnMomentum = 0.9

// Model is a Spec with its variables on a backend. Its methods are safe for concurrent use.
type Model struct {
	Spec    *Spec
	Backend *backend.Backend
	Ctx     *context.Context
	// Portable selects the SimpleGo-safe formulations of conv and pool. It is true on
	// SimpleGo; on XLA it defaults to false (native ops) and may be set for comparisons.
	Portable bool

	mu       sync.Mutex
	forward  *context.Exec
	tapsExec *context.Exec
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
	return &Model{Spec: spec, Backend: b, Ctx: ctx, Portable: b.IsGo()}, nil
}

// Scope is the variable scope of a layer.
func Scope(layer string) string { return context.RootScope + layer }

func (m *Model) initVariables(seed int64) error {
	return Safe("initialising variables", func() error {
		shapes, _ := m.Spec.Shapes()
		in := []int{m.Spec.Height, m.Spec.Width, m.Spec.Chans}
		for i, l := range m.Spec.Layers {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)+1))
			c := m.Ctx.InAbsPath(Scope(l.Name))
			switch l.Kind {
			case Conv2D:
				fanIn, fanOut := l.Kernel*l.Kernel*in[2], l.Kernel*l.Kernel*l.Filters
				w := initWeights(rng, fanIn*l.Filters, fanIn, fanOut, l.Activation)
				c.VariableWithValue(VarWeights, tensors.FromFlatDataAndDimensions(w, l.Kernel, l.Kernel, in[2], l.Filters))
				c.VariableWithValue(VarBiases, make([]float32, l.Filters))
			case Dense:
				w := initWeights(rng, in[0]*l.Units, in[0], l.Units, l.Activation)
				c.VariableWithValue(VarWeights, tensors.FromFlatDataAndDimensions(w, in[0], l.Units))
				c.VariableWithValue(VarBiases, make([]float32, l.Units))
			case BatchNorm:
				n := in[len(in)-1]
				ones := make([]float32, n)
				for j := range ones {
					ones[j] = 1
				}
				c.VariableWithValue(VarGamma, ones)
				c.VariableWithValue(VarBeta, make([]float32, n))
				c.VariableWithValue(VarMovingMean, make([]float32, n)).SetTrainable(false)
				c.VariableWithValue(VarMovingVar, append([]float32(nil), ones...)).SetTrainable(false)
			}
			in = shapes[i]
		}
		return m.Ctx.SetRNGStateFromSeed(seed)
	})
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
	s := m.Spec
	dims := images.Shape().Dimensions
	if len(dims) != 4 || dims[1] != s.Height || dims[2] != s.Width || dims[3] != s.Chans {
		panic(fmt.Errorf("input shape %v does not match model %q input [batch %d %d %d]", dims, s.Name, s.Height, s.Width, s.Chans))
	}
	g := images.Graph()
	x := images
	if s.InputStd > 0 {
		x = graph.DivScalar(graph.AddScalar(x, -s.InputMean), s.InputStd)
	}
	f := &Forward{Taps: make(map[string]*graph.Node, 2*len(s.Layers))}
	for _, l := range s.Layers {
		variable := func(name string) *graph.Node {
			v := ctx.GetVariableByScopeAndName(Scope(l.Name), name)
			if v == nil {
				panic(fmt.Errorf("layer %q: variable %q missing (checkpoint does not match the model?)", l.Name, name))
			}
			return v.ValueGraph(g)
		}
		switch l.Kind {
		case Conv2D:
			x = conv2d(x, variable(VarWeights), l, m.Portable)
			x = graph.Add(x, graph.Reshape(variable(VarBiases), 1, 1, 1, l.Filters))
		case MaxPool2D, AvgPool2D:
			x = pool2d(x, l, m.Portable)
		case Dense:
			x = matmul(x, variable(VarWeights))
			x = graph.Add(x, graph.Reshape(variable(VarBiases), 1, l.Units))
		case Flatten:
			x = graph.Reshape(x, dims[0], -1)
		case Dropout:
			if training && l.Rate > 0 {
				keep := graph.GreaterOrEqual(ctx.RandomUniform(g, x.Shape()), graph.Scalar(g, x.DType(), l.Rate))
				x = graph.Where(keep, graph.DivScalar(x, 1-l.Rate), graph.ZerosLike(x))
			}
		case BatchNorm:
			x = m.batchNorm(ctx, x, l, training, variable)
		case Activate:
			x = activate(x, l.Activation, l.Alpha)
		}
		if l.HasActivation() {
			f.Taps[l.Name+PreSuffix] = x
			x = activate(x, l.Activation, l.Alpha)
		}
		f.Taps[l.Name] = x
	}
	f.Logits = x
	return f
}

func (m *Model) batchNorm(ctx *context.Context, x *graph.Node, l Layer, training bool, variable func(string) *graph.Node) *graph.Node {
	rank := x.Rank()
	c := x.Shape().Dimensions[rank-1]
	axes := make([]int, rank-1)
	bshape := make([]int, rank)
	for i := range axes {
		axes[i] = i
		bshape[i] = 1
	}
	bshape[rank-1] = c
	var mean, variance *graph.Node
	if training {
		mean = graph.ReduceMean(x, axes...)
		centered := graph.Sub(x, graph.Reshape(mean, bshape...))
		variance = graph.ReduceMean(graph.Square(centered), axes...)
		for name, batch := range map[string]*graph.Node{VarMovingMean: mean, VarMovingVar: variance} {
			v := ctx.GetVariableByScopeAndName(Scope(l.Name), name)
			old := v.ValueGraph(x.Graph())
			v.SetValueGraph(graph.Add(graph.MulScalar(old, bnMomentum), graph.MulScalar(graph.StopGradient(batch), 1-bnMomentum)))
		}
	} else {
		mean, variance = variable(VarMovingMean), variable(VarMovingVar)
	}
	inv := graph.Reciprocal(graph.Sqrt(graph.AddScalar(variance, 1e-3)))
	scale := graph.Mul(inv, variable(VarGamma))
	x = graph.Mul(graph.Sub(x, graph.Reshape(mean, bshape...)), graph.Reshape(scale, bshape...))
	return graph.Add(x, graph.Reshape(variable(VarBeta), bshape...))
}

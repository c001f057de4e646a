package layers

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// activationKind applies its Activation on its own (conv, dense and add layers fuse one).
type activationKind struct {
	oneInput
	noVariables
}

func init() { register(Activate, activationKind{}, false, Pointwise) }

func (activationKind) outShape(l Layer, in [][]int) ([]int, error) {
	if l.Activation == Linear {
		return nil, fmt.Errorf("activation layer needs an activation (%s)", strings.Join(ActivationNames(), ", "))
	}
	return single(in), nil
}

func (activationKind) flops(_ Layer, _ [][]int, out []int) int64 { return int64(prod(out)) }

func (activationKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	return activate(in[0], l)
}

// activations lists every nonlinearity.
var activations = []Activation{ReLU, LeakyReLU, Sigmoid, Tanh, Clip, HardSigmoid, HardSwish, GELU, GELUTanh,
	Erf, Sqrt, Exp, Log, Neg, Abs, Reciprocal, Pow, Softplus, ELU}

// ActivationNames lists the activation names.
func ActivationNames() []string {
	out := make([]string, len(activations))
	for i, a := range activations {
		out[i] = string(a)
	}
	return out
}

// checkActivation validates the activation and that the layer may carry one.
func (l Layer) checkActivation() error {
	finite := func(vs ...float64) error {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e30 {
				return fmt.Errorf("%s parameter %v is not finite", l.Activation, v)
			}
		}
		return nil
	}
	switch l.Activation {
	case Linear, ReLU, Sigmoid, Tanh, HardSwish, GELU, GELUTanh, Erf, Sqrt, Exp, Log, Neg, Abs, Reciprocal, Softplus:
	case HardSigmoid:
		if err := finite(l.Alpha, l.Beta); err != nil {
			return err
		}
	case Pow:
		if err := finite(l.Exponent); err != nil {
			return err
		}
	case ELU:
		if err := finite(l.Alpha); err != nil {
			return err
		}
	case LeakyReLU:
		if !(l.Alpha >= 0 && l.Alpha < 1) {
			return fmt.Errorf("leakyrelu alpha %v outside [0, 1)", l.Alpha)
		}
	case Clip:
		if !(l.ClipMin < l.ClipMax) || math.IsInf(l.ClipMin, 0) || math.IsInf(l.ClipMax, 0) {
			return fmt.Errorf("clip bounds [%v, %v]: want finite min < max", l.ClipMin, l.ClipMax)
		}
	default:
		return fmt.Errorf("unknown activation %q", l.Activation)
	}
	if l.Activation != Linear && l.Kind != Activate && !kinds[l.Kind].fusesActivation {
		return fmt.Errorf("%s layers take no activation", l.Kind)
	}
	return nil
}

// activate applies the layer's activation function.
func activate(x *graph.Node, l Layer) *graph.Node {
	alpha := l.Alpha
	switch l.Activation {
	case Clip:
		return graph.ClipScalar(x, l.ClipMin, l.ClipMax)
	case ReLU:
		return graph.Max(x, graph.ZerosLike(x))
	case LeakyReLU:
		return graph.Where(graph.GreaterThan(x, graph.ZerosLike(x)), x, graph.MulScalar(x, alpha))
	case Sigmoid:
		return graph.Logistic(x)
	case Tanh:
		return graph.Tanh(x)
	case HardSigmoid:
		return graph.ClipScalar(graph.AddScalar(graph.MulScalar(x, l.Alpha), l.Beta), 0, 1)
	case HardSwish:
		return graph.Mul(x, graph.ClipScalar(graph.AddScalar(graph.MulScalar(x, 1.0/6), 0.5), 0, 1))
	case GELU:
		return graph.Mul(graph.MulScalar(x, 0.5), graph.OnePlus(graph.Erf(graph.MulScalar(x, 1/math.Sqrt2))))
	case GELUTanh:
		inner := graph.MulScalar(graph.Add(x, graph.MulScalar(graph.Mul(x, graph.Square(x)), 0.044715)), math.Sqrt(2/math.Pi))
		return graph.Mul(graph.MulScalar(x, 0.5), graph.OnePlus(graph.Tanh(inner)))
	case Erf:
		return graph.Erf(x)
	case Sqrt:
		return graph.Sqrt(x)
	case Exp:
		return graph.Exp(x)
	case Log:
		return graph.Log(x)
	case Neg:
		return graph.Neg(x)
	case Abs:
		return graph.Abs(x)
	case Reciprocal:
		return graph.Reciprocal(x)
	case Pow:
		return graph.Pow(x, graph.Scalar(x.Graph(), x.DType(), l.Exponent))
	case Softplus: // max(x, 0) + log(1 + e^-|x|), stable for large |x|
		return graph.Add(graph.Max(x, graph.ZerosLike(x)), graph.Log1P(graph.Exp(graph.Neg(graph.Abs(x)))))
	case ELU:
		return graph.Where(graph.GreaterThan(x, graph.ZerosLike(x)), x, graph.MulScalar(graph.AddScalar(graph.Exp(graph.Min(x, graph.ZerosLike(x))), -1), alpha))
	default:
		return x
	}
}

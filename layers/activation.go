package layers

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// activationKind applies its Activation on its own (conv, dense and add layers fuse one).
type activationKind struct {
	oneInput
	noVariables
}

func init() { register(Activate, activationKind{}, false) }

func (activationKind) outShape(l Layer, in [][]int) ([]int, error) {
	if l.Activation == Linear {
		return nil, fmt.Errorf("activation layer needs an activation (relu, leakyrelu, sigmoid, tanh, clip)")
	}
	return single(in), nil
}

func (activationKind) flops(_ Layer, _ [][]int, out []int) int64 { return int64(prod(out)) }

func (activationKind) build(_ *buildCtx, l Layer, in []*graph.Node) *graph.Node {
	return activate(in[0], l)
}

// checkActivation validates the activation and that the layer may carry one.
func (l Layer) checkActivation() error {
	switch l.Activation {
	case Linear, ReLU, Sigmoid, Tanh:
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
	default:
		return x
	}
}

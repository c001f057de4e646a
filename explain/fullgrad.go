package explain

import (
	"fmt"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// FullGrad adds up the gradient's parts (Srinivas and Fleuret, 2019): |gradient × input|
// at the input and, at every convolution and batch norm, |bias × gradient| at its output
// (a batch norm's bias is β − mean·γ/√(var + ε)). As pytorch-grad-cam's FullGrad, each
// channel's map is scaled to [0, 1] on its own, resized to the input bilinearly and summed.
// The input is the normalised image the first layer reads.
type FullGrad struct{}

func (FullGrad) Name() string { return "fullgrad" }

func (f FullGrad) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	plan, err := fullGradPlan(ex.Model)
	if err != nil {
		return nil, err
	}
	exec, err := ex.fullGradExec(plan)
	if err != nil {
		return nil, err
	}
	n, H, W := images.Shape[0], images.Shape[1], images.Shape[2]
	out := nd.New(n, H, W)
	err = ex.eachChunk(images, targets, ex.MaxBatch, func(start, k int, batch, onehot *tensors.Tensor) error {
		var res []*tensors.Tensor
		err := layers.Safe("fullgrad", func() error {
			var err error
			res, err = exec.Exec(batch, onehot)
			return err
		})
		if err != nil {
			return err
		}
		for _, t := range res { // each part: its channels scaled and summed, [B, h, w]
			part, err := layers.ToArray(t)
			if err != nil {
				return err
			}
			h, w := part.Shape[1], part.Shape[2]
			for i := 0; i < k; i++ {
				m := part.Sub(i)
				if h != H || w != W {
					m = nd.ResizeBilinear(m, H, W)
				}
				dst := out.Data[(start+i)*H*W : (start+i+1)*H*W]
				for p, v := range m.Data {
					dst[p] += v
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Maps{Method: f.Name(), Pixels: out, Targets: targets}, nil
}

// scaledChannelSum is Σ_k (v_k − min v_k) / (max v_k − min v_k + 1e-7) over the channels
// of v [B, h, w, K], each scaled over its positions as pytorch-grad-cam does: [B, h, w].
// The channels are summed before the resize to the input, which is linear.
func scaledChannelSum(v *graph.Node) *graph.Node {
	lo := graph.ReduceAndKeep(v, graph.ReduceMin, 1, 2)
	hi := graph.ReduceAndKeep(v, graph.ReduceMax, 1, 2)
	scaled := graph.Div(graph.Sub(v, lo), graph.AddScalar(graph.Sub(hi, lo), 1e-7))
	return graph.ReduceSum(scaled, 3)
}

// fullGradLayers are the layers FullGrad takes gradients at: their names, taps (the
// output before any activation) and whether each is a batch norm.
type fullGradLayers struct {
	layers, taps []string
	batchNorm    []bool
	epsilon      []float64
}

func fullGradPlan(m *layers.Model) (*fullGradLayers, error) {
	t, err := m.Spec.Topology()
	if err != nil {
		return nil, err
	}
	p := &fullGradLayers{}
	for _, n := range t.Nodes {
		if len(n.OutShape) != 3 || (n.Kind != layers.Conv2D && n.Kind != layers.BatchNorm) {
			continue
		}
		tap := n.Name
		if n.HasActivation() {
			tap += layers.PreSuffix
		}
		eps := n.Epsilon
		if eps <= 0 {
			eps = layers.BatchNormEpsilon
		}
		p.layers, p.taps = append(p.layers, n.Name), append(p.taps, tap)
		p.batchNorm, p.epsilon = append(p.batchNorm, n.Kind == layers.BatchNorm), append(p.epsilon, eps)
	}
	return p, nil
}

func (ex *Explainer) fullGradExec(p *fullGradLayers) (*context.Exec, error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if e, ok := ex.execs["fullgrad"]; ok {
		return e, nil
	}
	m := ex.Model
	var exec *context.Exec
	err := layers.Safe("compiling FullGrad", func() error {
		var err error
		exec, err = context.NewExec(m.Backend, m.Ctx, func(ctx *context.Context, x, onehot *graph.Node) []*graph.Node {
			f := m.Build(ctx, x, false)
			wrt := []*graph.Node{x}
			for _, name := range p.taps {
				tap, ok := f.Taps[name]
				if !ok {
					panic(fmt.Errorf("FullGrad: no tap %q", name))
				}
				wrt = append(wrt, tap)
			}
			grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(f.Logits, onehot)), wrt...)
			variable := func(layer, name string) *graph.Node {
				v := ctx.GetVariableByScopeAndName(layers.Scope(layer), name)
				if v == nil {
					panic(fmt.Errorf("FullGrad: layer %q has no variable %q", layer, name))
				}
				return v.ValueGraph(x.Graph())
			}
			// The input: |x̂ ⊙ ∂/∂x̂| = |(x − mean) ⊙ ∂/∂x|, each channel scaled on its own.
			c := m.Spec.Chans
			mean := make([]float32, c)
			if len(m.Spec.InputStd) > 0 {
				for i := range mean {
					mean[i] = float32(m.Spec.InputMean.At(i))
				}
			}
			centred := graph.Sub(x, graph.ConvertDType(graph.Reshape(graph.Const(x.Graph(), mean), 1, 1, 1, c), x.DType()))
			out := []*graph.Node{scaledChannelSum(graph.Abs(graph.Mul(centred, grads[0])))}
			for i, layer := range p.layers {
				var bias *graph.Node
				if p.batchNorm[i] { // β − mean·γ/√(var + ε)
					scale := graph.Div(variable(layer, layers.VarGamma),
						graph.Sqrt(graph.AddScalar(variable(layer, layers.VarMovingVar), p.epsilon[i])))
					bias = graph.Sub(variable(layer, layers.VarBeta), graph.Mul(variable(layer, layers.VarMovingMean), scale))
				} else {
					bias = variable(layer, layers.VarBiases)
				}
				k := bias.Shape().Dimensions[0]
				g := grads[i+1]
				v := graph.Abs(graph.Mul(g, graph.ConvertDType(graph.Reshape(bias, 1, 1, 1, k), g.DType())))
				out = append(out, scaledChannelSum(v))
			}
			return out
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	ex.execs["fullgrad"] = exec
	return exec, nil
}

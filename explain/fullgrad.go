package explain

import (
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
	nodes, err := fullGradLayers(ex.Model.Spec)
	if err != nil {
		return nil, err
	}
	exec, err := ex.fullGradExec(nodes)
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

// fullGradLayers are the layers FullGrad takes gradients at: every convolution and batch
// norm with an image output.
func fullGradLayers(s *layers.Spec) ([]layers.Node, error) {
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	var out []layers.Node
	for _, n := range t.Nodes {
		if len(n.OutShape) == 3 && (n.Kind == layers.Conv2D || n.Kind == layers.BatchNorm) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (ex *Explainer) fullGradExec(nodes []layers.Node) (*context.Exec, error) {
	m := ex.Model
	return compiled(ex, "fullgrad", "FullGrad", func(ctx *context.Context, x, onehot *graph.Node) []*graph.Node {
		f := m.Build(ctx, x, false)
		wrt := []*graph.Node{x}
		for _, n := range nodes { // each layer's output before any activation
			tap := n.Name
			if n.HasActivation() {
				tap += layers.PreSuffix
			}
			wrt = append(wrt, f.Taps[tap])
		}
		grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(f.Logits, onehot)), wrt...)
		// The input: |x̂ ⊙ ∂/∂x̂| = |(x − mean) ⊙ ∂/∂x|, each channel scaled on its own.
		out := []*graph.Node{scaledChannelSum(graph.Abs(graph.Mul(centredInput(m.Spec, x), grads[0])))}
		for i, n := range nodes {
			var bias *graph.Node
			if n.Kind == layers.BatchNorm { // β − mean·γ/√(var + ε)
				_, bias = batchNormAffine(ctx, x.Graph(), n)
			} else {
				bias = variableNode(ctx, x.Graph(), n.Name, layers.VarBiases)
			}
			g := grads[i+1]
			out = append(out, scaledChannelSum(graph.Abs(graph.Mul(g, alongLastAxis(bias, g)))))
		}
		return out
	})
}

package explain

import (
	"fmt"
	"math"

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
	s := ex.Model.Spec
	n, H, W, C := images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3]
	mean := make([]float64, C)
	if len(s.InputStd) > 0 {
		for c := range mean {
			mean[c] = s.InputMean.At(c)
		}
	}
	out := nd.New(n, H, W)
	chunk := min(max(ex.MaxBatch, 1), n)
	size := H * W * C
	classes := s.Classes
	for start := 0; start < n; start += chunk {
		k := min(chunk, n-start)
		batch := make([]float32, chunk*size)
		copy(batch, images.Data[start*size:(start+k)*size])
		onehot := make([]float32, chunk*classes)
		for i := 0; i < k; i++ {
			onehot[i*classes+targets[start+i]] = 1
		}
		var res []*tensors.Tensor
		err := layers.Safe("fullgrad", func() error {
			var err error
			res, err = exec.Exec(tensors.FromFlatDataAndDimensions(batch, append([]int{chunk}, images.Shape[1:]...)...),
				tensors.FromFlatDataAndDimensions(onehot, chunk, classes))
			return err
		})
		if err != nil {
			return nil, err
		}
		grads := make([]nd.Array, len(res))
		for j, t := range res {
			if grads[j], err = layers.ToArray(t); err != nil {
				return nil, err
			}
		}
		for i := 0; i < k; i++ {
			dst := out.Data[(start+i)*H*W : (start+i+1)*H*W]
			// The input: |x̂ ⊙ ∂/∂x̂| = |(x − mean) ⊙ ∂/∂x|, each channel scaled on its own.
			img, g := images.Sub(start+i).Data, grads[0].Sub(i).Data
			part := make([]float64, H*W*C)
			for p := 0; p < H*W; p++ {
				for c := 0; c < C; c++ {
					part[p*C+c] = math.Abs((float64(img[p*C+c]) - mean[c]) * float64(g[p*C+c]))
				}
			}
			addScaledChannels(dst, part, H, W, C, H, W)
			for j, bias := range plan.biases {
				g := grads[j+1].Sub(i)
				h, w, K := g.Shape[0], g.Shape[1], g.Shape[2]
				part := make([]float64, h*w*K)
				for p := 0; p < h*w; p++ {
					for c := 0; c < K; c++ {
						part[p*K+c] = math.Abs(bias[c] * float64(g.Data[p*K+c]))
					}
				}
				addScaledChannels(dst, part, h, w, K, H, W)
			}
		}
	}
	return &Maps{Method: f.Name(), Pixels: out, Targets: targets}, nil
}

// addScaledChannels adds to dst ([H, W]) the sum of part's channels ([h, w, K]), each
// scaled to [0, 1] as pytorch-grad-cam does ((v − min) / (max − min + 1e-7)), resized
// bilinearly to H×W; the channels are summed before the resize, which is linear.
func addScaledChannels(dst []float32, part []float64, h, w, K, H, W int) {
	sum := nd.New(h, w)
	for c := 0; c < K; c++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for p := 0; p < h*w; p++ {
			lo, hi = math.Min(lo, part[p*K+c]), math.Max(hi, part[p*K+c])
		}
		for p := 0; p < h*w; p++ {
			sum.Data[p] += float32((part[p*K+c] - lo) / (hi - lo + 1e-7))
		}
	}
	if h != H || w != W {
		sum = nd.ResizeBilinear(sum, H, W)
	}
	for p, v := range sum.Data {
		dst[p] += v
	}
}

// fullGradLayers are the taps FullGrad takes gradients at, and their biases.
type fullGradLayers struct {
	taps   []string
	biases [][]float64
}

func fullGradPlan(m *layers.Model) (*fullGradLayers, error) {
	t, err := m.Spec.Topology()
	if err != nil {
		return nil, err
	}
	p := &fullGradLayers{}
	for _, n := range t.Nodes {
		if len(n.OutShape) != 3 {
			continue
		}
		switch n.Kind {
		case layers.Conv2D:
			b, err := m.Variable(n.Name, layers.VarBiases)
			if err != nil {
				return nil, err
			}
			tap := n.Name
			if n.HasActivation() {
				tap += layers.PreSuffix
			}
			p.taps, p.biases = append(p.taps, tap), append(p.biases, floats(b.Data))
		case layers.BatchNorm:
			v, err := m.LayerVariables(n.Name)
			if err != nil {
				return nil, err
			}
			eps := n.Epsilon
			if eps <= 0 {
				eps = layers.BatchNormEpsilon
			}
			gamma, beta, mu, variance := v[layers.VarGamma], v[layers.VarBeta], v[layers.VarMovingMean], v[layers.VarMovingVar]
			b := make([]float64, len(beta.Data))
			for c := range b {
				b[c] = float64(beta.Data[c]) - float64(mu.Data[c])*float64(gamma.Data[c])/math.Sqrt(float64(variance.Data[c])+eps)
			}
			p.taps, p.biases = append(p.taps, n.Name), append(p.biases, b)
		}
	}
	return p, nil
}

func floats(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
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
			return graph.Gradient(graph.ReduceAllSum(graph.Mul(f.Logits, onehot)), wrt...)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	ex.execs["fullgrad"] = exec
	return exec, nil
}

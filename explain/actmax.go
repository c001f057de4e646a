package explain

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ActivationMaximization synthesises an input that excites one channel of a layer (the
// mean of that channel over positions) or one class logit, by gradient ascent from a
// grey image with small noise, regularised as in Yosinski et al. (2015): random jitter
// (translation) each step, L2 decay and a periodic Gaussian blur.
type ActivationMaximization struct {
	// Layer and Channel select a channel to excite; when Layer is "", Class is excited.
	Layer   string
	Channel int
	Class   int
	// Steps of gradient ascent (default 200) with step size LR (default 0.05 of the value range per unit gradient norm).
	Steps int
	LR    float64
	// Jitter is the largest random shift in pixels (default 2); L2 the weight decay per step
	// (default 0.01); BlurEvery and BlurSigma blur the image every that many steps (default 4, 0.5).
	Jitter    int
	L2        float64
	BlurEvery int
	BlurSigma float64
	// Lo and Hi bound pixel values (default 0 and 1).
	Lo, Hi float32
	Seed   uint64
}

// Visualization is a synthesised input and the objective along the way.
type Visualization struct {
	Image     nd.Array  // [H, W, C]
	Objective []float64 // per step
}

// Generate runs the optimisation.
func (a ActivationMaximization) Generate(ex *Explainer) (*Visualization, error) {
	a = a.withDefaults()
	if err := a.validate(ex.Model.Spec); err != nil {
		return nil, err
	}
	exec, err := a.compile(ex.Model)
	if err != nil {
		return nil, err
	}
	s := ex.Model.Spec
	rng := rand.New(rand.NewPCG(a.Seed, 0xac7))
	img := nd.New(1, s.Height, s.Width, s.Chans)
	mid := (a.Lo + a.Hi) / 2
	for i := range img.Data {
		img.Data[i] = mid + float32(rng.NormFloat64()*0.01)*(a.Hi-a.Lo)
	}
	vis := &Visualization{}
	for step := 0; step < a.Steps; step++ {
		obj, err := a.ascend(exec, img, rng, step)
		if err != nil {
			return nil, err
		}
		vis.Objective = append(vis.Objective, obj)
		if a.BlurEvery > 0 && (step+1)%a.BlurEvery == 0 && step+1 < a.Steps {
			img = blur(img, a.BlurSigma, max(1, int(math.Ceil(2*a.BlurSigma))))
		}
	}
	vis.Image = img.Sub(0)
	return vis, nil
}

func (a ActivationMaximization) withDefaults() ActivationMaximization {
	if a.Steps == 0 {
		a.Steps = 200
	}
	if a.LR == 0 {
		a.LR = 0.05
	}
	if a.Jitter == 0 {
		a.Jitter = 2
	}
	if a.L2 == 0 {
		a.L2 = 0.01
	}
	if a.BlurEvery == 0 {
		a.BlurEvery = 4
	}
	if a.BlurSigma == 0 {
		a.BlurSigma = 0.5
	}
	if a.Lo == 0 && a.Hi == 0 {
		a.Hi = 1
	}
	return a
}

func (a ActivationMaximization) validate(s *layers.Spec) error {
	if a.Steps < 1 || a.Steps > 100000 || a.Jitter < 0 || a.Jitter > min(s.Height, s.Width)/2 || !(a.Hi > a.Lo) ||
		math.IsInf(float64(a.Hi-a.Lo), 0) {
		return fmt.Errorf("activation maximisation: steps %d, jitter %d, range [%v, %v]", a.Steps, a.Jitter, a.Lo, a.Hi)
	}
	// The blur kernel spans about 4σ: keep it within the image (and memory).
	if !(a.LR > 0 && a.LR < 1e6) || !(a.L2 >= 0 && a.L2 < 1) || a.BlurEvery < 0 || !(a.BlurSigma > 0 && a.BlurSigma <= float64(max(s.Height, s.Width))) {
		return fmt.Errorf("activation maximisation: step size %v (want (0, 1e6)), L2 %v (want [0, 1)), blur every %d, blur sigma %v (want (0, %d])",
			a.LR, a.L2, a.BlurEvery, a.BlurSigma, max(s.Height, s.Width))
	}
	if a.Layer == "" {
		if a.Class < 0 || a.Class >= s.Classes {
			return fmt.Errorf("activation maximisation: class %d outside [0, %d)", a.Class, s.Classes)
		}
		return nil
	}
	shape, err := s.TapShape(a.Layer)
	if err != nil {
		return err
	}
	if ch := shape[len(shape)-1]; a.Channel < 0 || a.Channel >= ch {
		return fmt.Errorf("activation maximisation: channel %d outside [0, %d) of layer %q", a.Channel, ch, a.Layer)
	}
	return nil
}

// compile builds the executable returning the objective (the class logit, or the channel's
// mean) and its gradient with respect to the input.
func (a ActivationMaximization) compile(m *layers.Model) (*context.Exec, error) {
	var exec *context.Exec
	err := layers.Safe("activation maximisation", func() error {
		var err error
		exec, err = context.NewExec(m.Backend, m.Ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
			f := m.Build(ctx, x, false)
			// A one-hot mask selects the class or channel: Slice's gradient needs Pad,
			// which SimpleGo lacks.
			t, idx := f.Logits, a.Class
			if a.Layer != "" {
				t, idx = f.Taps[a.Layer], a.Channel
			}
			dims := t.Shape().Dimensions
			k := dims[len(dims)-1]
			mask := graph.OneHot(graph.Const(x.Graph(), []int32{int32(idx)}), k, t.DType()) // [1, k]
			positions := t.Shape().Size() / k
			obj := graph.DivScalar(graph.ReduceAllSum(graph.Mul(graph.Reshape(t, -1, k), mask)), float64(positions))
			return []*graph.Node{obj, graph.Gradient(obj, x)[0]}
		})
		return err
	})
	return exec, err
}

// ascend takes one normalised gradient step on a randomly shifted copy of img (in place)
// with L2 decay towards the middle of the range, and returns the objective.
func (a ActivationMaximization) ascend(exec *context.Exec, img nd.Array, rng *rand.Rand, step int) (float64, error) {
	dy, dx := rng.IntN(2*a.Jitter+1)-a.Jitter, rng.IntN(2*a.Jitter+1)-a.Jitter
	shifted := roll(img, dy, dx)
	var outs []*tensors.Tensor
	err := layers.Safe("activation maximisation step", func() error {
		var err error
		outs, err = exec.Exec(layers.ImagesTensor(shifted))
		return err
	})
	if err != nil {
		return 0, err
	}
	obj, err := layers.ToArray(outs[0])
	if err != nil {
		return 0, err
	}
	grad, err := layers.ToArray(outs[1])
	if err != nil {
		return 0, err
	}
	grad = roll(grad, -dy, -dx)
	norm := 0.0
	for _, g := range grad.Data {
		norm += float64(g) * float64(g)
	}
	if step == 0 && norm == 0 {
		return 0, fmt.Errorf("activation maximisation: the objective has no gradient at the start (a dead channel?); try the pre-activation tap %q", trimPre(a.Layer)+layers.PreSuffix)
	}
	norm = math.Sqrt(norm/float64(len(grad.Data))) + 1e-8
	scale := float32(a.LR * float64(a.Hi-a.Lo) / norm)
	mid := (a.Lo + a.Hi) / 2
	for i := range img.Data {
		v := img.Data[i] + scale*grad.Data[i] - float32(a.L2)*(img.Data[i]-mid)
		img.Data[i] = min(max(v, a.Lo), a.Hi)
	}
	return float64(obj.Data[0]), nil
}

func trimPre(name string) string {
	if len(name) > len(layers.PreSuffix) && name[len(name)-len(layers.PreSuffix):] == layers.PreSuffix {
		return name[:len(name)-len(layers.PreSuffix)]
	}
	return name
}

// roll shifts a [1,H,W,C] image by (dy, dx) with wrap-around.
func roll(a nd.Array, dy, dx int) nd.Array {
	h, w, c := a.Shape[1], a.Shape[2], a.Shape[3]
	out := nd.Array{Shape: a.Shape, Data: make([]float32, len(a.Data))}
	for y := 0; y < h; y++ {
		yy := ((y+dy)%h + h) % h
		for x := 0; x < w; x++ {
			xx := ((x+dx)%w + w) % w
			copy(out.Data[(yy*w+xx)*c:(yy*w+xx+1)*c], a.Data[(y*w+x)*c:(y*w+x+1)*c])
		}
	}
	return out
}

// blur applies a separable Gaussian of sigma, truncated at r pixels, to one image, [H,W,C]
// or [1,H,W,C] (edges repeated).
func blur(a nd.Array, sigma float64, r int) nd.Array {
	kernel := make([]float64, 2*r+1)
	sum := 0.0
	for i := range kernel {
		d := float64(i - r)
		kernel[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += kernel[i]
	}
	for i := range kernel {
		kernel[i] /= sum
	}
	rank := len(a.Shape)
	h, w, c := a.Shape[rank-3], a.Shape[rank-2], a.Shape[rank-1]
	pass := func(src nd.Array, vertical bool) nd.Array {
		out := nd.Array{Shape: src.Shape, Data: make([]float32, len(src.Data))}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					v := 0.0
					for i, k := range kernel {
						yy, xx := y, x
						if vertical {
							yy = min(max(y+i-r, 0), h-1)
						} else {
							xx = min(max(x+i-r, 0), w-1)
						}
						v += k * float64(src.Data[(yy*w+xx)*c+ch])
					}
					out.Data[(y*w+x)*c+ch] = float32(v)
				}
			}
		}
		return out
	}
	return pass(pass(a, false), true)
}

package explain_test

import (
	"math"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// Every CAM method equals its formula computed by hand on a 1×1 conv of two filters feeding
// a dense layer, where dS/dA[p,k] is the dense weight D[p,k,target], on both backends.
func TestCAMFamilyMatchesHandComputation(t *testing.T) {
	for bname, b := range testutil.Both(t) {
		spec := layers.NewSpec("tiny", 3, 3, 1, 2).
			Conv("conv", 2, 1, layers.WithActivation(layers.ReLU)).
			Flatten("flat").Dense("logits", 2)
		m, err := layers.New(spec, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		cw, cb := []float32{1, -0.5}, []float32{0, 0.6}
		m.SetVariable("conv", layers.VarWeights, nd.Array{Shape: []int{1, 1, 1, 2}, Data: cw})
		m.SetVariable("conv", layers.VarBiases, nd.Array{Shape: []int{2}, Data: cb})
		dense := testutil.RandomArray(8, -1, 1, 18, 2)
		m.SetVariable("logits", layers.VarWeights, dense)
		img := nd.Array{Shape: []int{1, 3, 3, 1}, Data: []float32{0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.8, 0.4, 0.6}}
		const target = 1
		act := func(p, k int) float64 { return math.Max(0, float64(cw[k]*img.Data[p]+cb[k])) }
		grad := func(p, k int) float64 { return float64(dense.Data[(p*2+k)*2+target]) }
		var mean, xw, pp [2]float64 // Grad-CAM's, XGrad-CAM's and Grad-CAM++'s channel weights
		for k := 0; k < 2; k++ {
			num, sumA := 0.0, 0.0
			for p := 0; p < 9; p++ {
				mean[k] += grad(p, k) / 9
				num += grad(p, k) * act(p, k)
				sumA += act(p, k)
			}
			xw[k] = num / (sumA + 1e-7)
			for p := 0; p < 9; p++ {
				if g := grad(p, k); g > 0 {
					pp[k] += g * g / (2*g*g + sumA*g*g*g + 1e-6) * g
				}
			}
		}
		// ScoreCAM: each channel's map (3×3 as the input: no resize) scaled to [0, 1] masks the
		// input; the target logit of each masked input, softmaxed over the channels, weighs it.
		bias, _ := m.Variable("logits", layers.VarBiases)
		var sw [2]float64
		for k := 0; k < 2; k++ {
			lo, hi := math.Inf(1), math.Inf(-1)
			for p := 0; p < 9; p++ {
				lo, hi = math.Min(lo, act(p, k)), math.Max(hi, act(p, k))
			}
			score := float64(bias.Data[target])
			for p := 0; p < 9; p++ {
				x := float64(img.Data[p]) * (act(p, k) - lo) / (hi - lo + 1e-8)
				for j := 0; j < 2; j++ {
					score += grad(p, j) * math.Max(0, float64(cw[j])*x+float64(cb[j]))
				}
			}
			sw[k] = score
		}
		m0 := math.Max(sw[0], sw[1])
		e0, e1 := math.Exp(sw[0]-m0), math.Exp(sw[1]-m0)
		sw[0], sw[1] = e0/(e0+e1), e1/(e0+e1)
		channels := func(w [2]float64) func(p int) float64 {
			return func(p int) float64 { return w[0]*act(p, 0) + w[1]*act(p, 1) }
		}
		for _, c := range []struct {
			method explain.Method
			at     func(p int) float64
		}{
			{explain.GradCAM{Layer: "conv"}, channels(mean)},
			{explain.GradCAMPlusPlus{Layer: "conv"}, channels(pp)},
			{explain.HiResCAM{Layer: "conv"}, func(p int) float64 { return grad(p, 0)*act(p, 0) + grad(p, 1)*act(p, 1) }},
			{explain.LayerCAM{Layer: "conv"}, func(p int) float64 {
				return math.Max(grad(p, 0), 0)*act(p, 0) + math.Max(grad(p, 1), 0)*act(p, 1)
			}},
			{explain.XGradCAM{Layer: "conv"}, channels(xw)},
			{explain.ScoreCAM{Layer: "conv", Batch: 1}, channels(sw)},
		} {
			maps, err := c.method.Attribute(explain.New(m), img, []int{target})
			if err != nil {
				t.Fatal(err)
			}
			for p := 0; p < 9; p++ {
				want := math.Max(0, c.at(p))
				if got := float64(maps.Pixels.Data[p]); math.Abs(got-want) > 1e-5 {
					t.Errorf("%s %s: map[%d] = %.6f, by hand %.6f", bname, c.method.Name(), p, got, want)
				}
			}
		}
	}
}

// Every CAM method resolves its layer in one place and refuses a non-spatial one.
func TestCAMFamilyChecksItsLayer(t *testing.T) {
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	ex := explain.New(m)
	for _, name := range []string{"gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam"} {
		method, err := explain.MethodByName(name, "fc1")
		if err != nil {
			t.Fatal(err)
		}
		if explain.CAMLayer(method) != "fc1" {
			t.Errorf("%s: CAMLayer %q", name, explain.CAMLayer(method))
		}
		if err := ex.Check(method); err == nil {
			t.Errorf("%s accepts the dense layer fc1", name)
		}
	}
	all, err := explain.Methods("all", "conv2")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if _, costly := m.(explain.ScoreCAM); costly {
			t.Error(`"all" includes ScoreCAM, a forward pass per channel and image`)
		}
	}
	if len(all) != len(explain.MethodNames)-1 {
		t.Errorf(`"all" has %d methods, want every one but ScoreCAM (%d)`, len(all), len(explain.MethodNames)-1)
	}
}

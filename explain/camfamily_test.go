package explain_test

import (
	"math"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// tinyCAMModel is a 1×1 convolution of two filters (weights cw, biases cb, ReLU) on a 3×3
// gray image feeding a dense layer of random weights D: dS/dA[p,k] is D[p,k,target]. It
// returns the model, D and the image.
func tinyCAMModel(t *testing.T, b *backend.Backend, cw, cb []float32) (*layers.Model, nd.Array, nd.Array) {
	t.Helper()
	spec := layers.NewSpec("tiny", 3, 3, 1, 2).
		Conv("conv", 2, 1, layers.WithActivation(layers.ReLU)).
		Flatten("flat").Dense("logits", 2)
	m, err := layers.New(spec, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.SetVariable("conv", layers.VarWeights, nd.Array{Shape: []int{1, 1, 1, 2}, Data: cw})
	m.SetVariable("conv", layers.VarBiases, nd.Array{Shape: []int{2}, Data: cb})
	dense := testutil.RandomArray(8, -1, 1, 18, 2)
	m.SetVariable("logits", layers.VarWeights, dense)
	img := nd.Array{Shape: []int{1, 3, 3, 1}, Data: []float32{0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.8, 0.4, 0.6}}
	return m, dense, img
}

// Every CAM method equals its formula computed by hand on a 1×1 conv of two filters feeding
// a dense layer, where dS/dA[p,k] is the dense weight D[p,k,target], on both backends.
func TestCAMFamilyMatchesHandComputation(t *testing.T) {
	for bname, b := range testutil.Both(t) {
		cw, cb := []float32{1, -0.5}, []float32{0, 0.6}
		m, dense, img := tinyCAMModel(t, b, cw, cb)
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
		// AblationCAM: the score lost without channel k, Σ_p g_k(p)A_k(p), over the score.
		var aw [2]float64
		y := float64(bias.Data[target])
		for p := 0; p < 9; p++ {
			for k := 0; k < 2; k++ {
				aw[k] += grad(p, k) * act(p, k)
				y += grad(p, k) * act(p, k)
			}
		}
		aw[0], aw[1] = aw[0]/y, aw[1]/y
		// EigenCAM: the centred activations projected on the top eigenvector of their 2×2
		// scatter matrix, signed so that the largest value outweighs the most negative.
		var mu [2]float64
		for p := 0; p < 9; p++ {
			mu[0], mu[1] = mu[0]+act(p, 0)/9, mu[1]+act(p, 1)/9
		}
		var sxx, sxy, syy float64
		for p := 0; p < 9; p++ {
			dx, dy := act(p, 0)-mu[0], act(p, 1)-mu[1]
			sxx, sxy, syy = sxx+dx*dx, sxy+dx*dy, syy+dy*dy
		}
		top := (sxx+syy)/2 + math.Sqrt((sxx-syy)*(sxx-syy)/4+sxy*sxy)
		ev := [2]float64{sxy, top - sxx}
		if math.Abs(sxy) < 1e-12 {
			ev = [2]float64{1, 0}
			if syy > sxx {
				ev = [2]float64{0, 1}
			}
		}
		norm := math.Hypot(ev[0], ev[1])
		eigen := make([]float64, 9)
		lo, hi := math.Inf(1), math.Inf(-1)
		for p := range eigen {
			eigen[p] = ((act(p, 0)-mu[0])*ev[0] + (act(p, 1)-mu[1])*ev[1]) / norm
			lo, hi = math.Min(lo, eigen[p]), math.Max(hi, eigen[p])
		}
		if math.Abs(lo) > math.Abs(hi) {
			for p := range eigen {
				eigen[p] = -eigen[p]
			}
		}
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
			{explain.AblationCAM{Layer: "conv"}, channels(aw)},
			{explain.EigenCAM{Layer: "conv"}, func(p int) float64 { return eigen[p] }},
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
	for _, name := range []string{"gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigencam", "scorecam", "ablationcam"} {
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
		switch m.(type) {
		case explain.ScoreCAM, explain.AblationCAM:
			t.Errorf(`"all" includes %s, a forward pass per channel and image`, m.Name())
		}
	}
	if len(all) != len(explain.MethodNames)-3 {
		t.Errorf(`"all" has %d methods, want every one but ScoreCAM, AblationCAM and LRP (%d)`, len(all), len(explain.MethodNames)-3)
	}
	withLRP, err := explain.MethodsFor(m.Spec, "all", "conv2")
	if err != nil || len(withLRP) != len(all)+1 || withLRP[len(all)].Name() != "lrp" {
		t.Errorf(`"all" for LeNet: %d methods, %v; want LRP added`, len(withLRP), err)
	}
}

// ScoreCAM scores a channel whose map is constant (dead after its ReLU) on the image masked
// away entirely, as pytorch-grad-cam does; such channels share one forward pass.
func TestScoreCAMDeadChannels(t *testing.T) {
	spec := layers.NewSpec("dead", 3, 3, 1, 2).
		Conv("conv", 3, 1, layers.WithActivation(layers.ReLU)).
		Flatten("flat").Dense("logits", 2)
	m, err := layers.New(spec, testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	cw, cb := []float32{1, -1, -2}, []float32{0, -0.1, -0.3} // channels 1 and 2 never fire on x ≥ 0
	m.SetVariable("conv", layers.VarWeights, nd.Array{Shape: []int{1, 1, 1, 3}, Data: cw})
	m.SetVariable("conv", layers.VarBiases, nd.Array{Shape: []int{3}, Data: cb})
	img := nd.Array{Shape: []int{1, 3, 3, 1}, Data: []float32{0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.8, 0.4, 0.6}}
	const target = 1
	masked := nd.New(1, 3, 3, 1) // channel 0's map scaled to [0, 1] times the image
	lo, hi := float32(0.1), float32(0.9)
	for p, v := range img.Data {
		masked.Data[p] = v * (v - lo) / (hi - lo + 1e-8)
	}
	logits := func(x nd.Array) float64 {
		l, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		return float64(l.Data[target])
	}
	s0, dead := logits(masked), logits(nd.New(1, 3, 3, 1))
	w0 := 1 / (1 + 2*math.Exp(dead-s0))
	maps, err := explain.ScoreCAM{Layer: "conv"}.Attribute(explain.New(m), img, []int{target})
	if err != nil {
		t.Fatal(err)
	}
	for p, v := range img.Data {
		if want := w0 * float64(v); math.Abs(float64(maps.Pixels.Data[p])-want) > 1e-5 {
			t.Errorf("map[%d] = %.6f, want %.6f", p, maps.Pixels.Data[p], want)
		}
	}
}

// FullGrad is |x·∂S/∂x| plus, per channel of the convolution, |b_k · ∂S/∂z_k| scaled to
// [0, 1], computed by hand on the 1×1 convolution before a dense layer, on both backends.
func TestFullGradMatchesHandComputation(t *testing.T) {
	for bname, b := range testutil.Both(t) {
		cw, cb := []float32{1, -0.5}, []float32{0.2, 0.6}
		m, dense, img := tinyCAMModel(t, b, cw, cb)
		const target = 1
		gz := func(p, k int) float64 { // ∂S/∂z_k(p): the dense weight where the ReLU passes
			if float64(cw[k]*img.Data[p]+cb[k]) <= 0 {
				return 0
			}
			return float64(dense.Data[(p*2+k)*2+target])
		}
		scaled := func(v []float64) []float64 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			out := make([]float64, len(v))
			for i, x := range v {
				out[i] = (x - lo) / (hi - lo + 1e-7)
			}
			return out
		}
		in := make([]float64, 9)
		for p := range in {
			in[p] = math.Abs(float64(img.Data[p]) * (gz(p, 0)*float64(cw[0]) + gz(p, 1)*float64(cw[1])))
		}
		want := scaled(in)
		for k := 0; k < 2; k++ {
			ch := make([]float64, 9)
			for p := range ch {
				ch[p] = math.Abs(float64(cb[k]) * gz(p, k))
			}
			for p, v := range scaled(ch) {
				want[p] += v
			}
		}
		maps, err := explain.FullGrad{}.Attribute(explain.New(m), img, []int{target})
		if err != nil {
			t.Fatal(err)
		}
		for p := range want {
			if got := float64(maps.Pixels.Data[p]); math.Abs(got-want[p]) > 1e-4 {
				t.Errorf("%s: map[%d] = %.6f, by hand %.6f", bname, p, got, want[p])
			}
		}
	}
}

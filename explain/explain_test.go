package explain_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
)

func allMethods(layer string) []explain.Method {
	return []explain.Method{
		explain.Saliency{},
		explain.GradientXInput{},
		explain.SmoothGrad{Base: explain.Saliency{}, Samples: 4, Seed: 1},
		explain.SmoothGrad{Base: explain.IntegratedGradients{Steps: 8}, Samples: 2, Seed: 1},
		explain.IntegratedGradients{Steps: 16},
		explain.GradCAM{Layer: layer},
		explain.GradCAMPlusPlus{Layer: layer},
		explain.Occlusion{Patch: 4, Stride: 4},
	}
}

// Every method runs on both backends with the same call shape, returns one finite map per
// image at input resolution, and agrees across backends: on LeNet (gray) and on the ResNet
// preset (colour, skip connections, batch norm; CAM on a residual merge).
func TestEveryMethodOnBothBackends(t *testing.T) {
	cases := []struct {
		name  string
		spec  *layers.Spec
		layer string
	}{
		{"lenet", layers.LeNet(), "conv2"},
		{"resnet", layers.ResNet(16, 16, 3, 10), "block2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, w, ch := c.spec.Height, c.spec.Width, c.spec.Chans
			images := testutil.RandomArray(5, 0, 1, 3, h, w, ch)
			targets := []int{1, 4, 7}
			results := map[string]map[string]*explain.Maps{}
			for bname, b := range testutil.Both(t) {
				m, err := layers.New(c.spec, b, 11)
				if err != nil {
					t.Fatal(err)
				}
				ex := explain.New(m)
				ex.MaxBatch = 16 // forces internal batching for IG and occlusion
				results[bname] = map[string]*explain.Maps{}
				for _, method := range allMethods(c.layer) {
					maps, err := method.Attribute(ex, images, targets)
					if err != nil {
						t.Fatalf("%s/%s: %v", bname, method.Name(), err)
					}
					if got := maps.Pixels.Shape; len(got) != 3 || got[0] != 3 || got[1] != h || got[2] != w {
						t.Errorf("%s/%s: map shape %v", bname, method.Name(), got)
					}
					if err := nd.CheckFinite(method.Name(), maps.Pixels.Data); err != nil {
						t.Error(err)
					}
					results[bname][method.Name()] = maps
				}
			}
			if x, g := results["xla"], results["go"]; x != nil {
				for name, mx := range x {
					if d := testutil.MaxRelDiff(mx.Pixels.Data, g[name].Pixels.Data); d > 1e-3 {
						t.Errorf("%s: xla and go maps differ by %g", name, d)
					}
				}
			}
		})
	}
}

// Integrated gradients are complete on a graph model with colour input too (untrained: a
// fine integration grid, since its many ReLU kinks sit close together).
func TestIntegratedGradientsCompletenessResNet(t *testing.T) {
	m, err := layers.New(layers.ResNet(16, 16, 3, 4), testutil.XLA(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	checkCompleteness(t, explain.New(m), testutil.RandomArray(8, 0, 1, 4, 16, 16, 3), 1024, 1e-4)
}

// checkCompleteness asserts that integrated gradients sum to f(x) − f(0) within 2 % (plus slack).
func checkCompleteness(t *testing.T, ex *explain.Explainer, images nd.Array, steps int, slack float64) {
	t.Helper()
	maps, err := explain.IntegratedGradients{Steps: steps}.Attribute(ex, images, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := images.Shape[0]
	zero := nd.New(images.Shape...)
	fx, _ := ex.Scores(images, maps.Targets)
	f0, _ := ex.Scores(zero, maps.Targets)
	for i := 0; i < n; i++ {
		var sum float64
		for _, v := range maps.Raw.Sub(i).Data {
			sum += float64(v)
		}
		want := float64(fx[i] - f0[i])
		if math.Abs(sum-want) > 0.02*math.Abs(want)+slack {
			t.Errorf("image %d: attributions sum to %.5f, f(x)−f(0) = %.5f", i, sum, want)
		}
	}
}

// handModel outputs logit 0 = Σ over region R (rows 1-3, columns 4-6) of ReLU(x - 0.2),
// logit 1 = 0: the output depends on that region only.
func handModel(t *testing.T, b *backend.Backend) *layers.Model {
	spec := layers.NewSpec("hand", 8, 8, 1, 2).
		Conv("conv", 1, 1, layers.WithActivation(layers.ReLU)).
		Flatten("flat").
		Dense("logits", 2)
	m, err := layers.New(spec, b, 1)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.SetVariable("conv", layers.VarWeights, nd.Array{Shape: []int{1, 1, 1, 1}, Data: []float32{1}}))
	must(m.SetVariable("conv", layers.VarBiases, nd.Array{Shape: []int{1}, Data: []float32{-0.2}}))
	w := nd.New(64, 2)
	for y := 1; y <= 3; y++ {
		for x := 4; x <= 6; x++ {
			w.Data[(y*8+x)*2] = 1
		}
	}
	must(m.SetVariable("logits", layers.VarWeights, w))
	return m
}

func inRegion(p int) bool { y, x := p/8, p%8; return y >= 1 && y <= 3 && x >= 4 && x <= 6 }

// On a model whose output depends only on a known region, at least 90 % of the positive
// attribution mass of saliency, integrated gradients, occlusion and Grad-CAM is inside it.
func TestAttributionStaysInTheRegionThatMatters(t *testing.T) {
	images := testutil.RandomArray(3, 0, 0.15, 2, 8, 8, 1) // background below the 0.2 threshold
	for i := 0; i < 2; i++ {
		for p := 0; p < 64; p++ {
			if inRegion(p) {
				images.Data[i*64+p] = 0.6 + 0.4*images.Data[i*64+p]/0.15
			}
		}
	}
	for bname, b := range testutil.Both(t) {
		ex := explain.New(handModel(t, b))
		for _, method := range []explain.Method{explain.Saliency{}, explain.IntegratedGradients{}, explain.Occlusion{Patch: 1, Stride: 1}, explain.GradCAM{Layer: "conv"}} {
			maps, err := method.Attribute(ex, images, []int{0, 0})
			if err != nil {
				t.Fatalf("%s/%s: %v", bname, method.Name(), err)
			}
			for i := 0; i < 2; i++ {
				var in, total float64
				for p, v := range maps.Image(i).Data {
					if v > 0 {
						total += float64(v)
						if inRegion(p) {
							in += float64(v)
						}
					}
				}
				if total == 0 || in/total < 0.9 {
					t.Errorf("%s/%s image %d: %.1f%% of positive mass in the region", bname, method.Name(), i, 100*in/total)
				}
			}
		}
	}
}

func trainedLeNet(t *testing.T, b *backend.Backend, steps int) (*layers.Model, *data.Dataset) {
	t.Helper()
	train, err := data.LoadMNIST("", data.Train)
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.LoadMNIST("", data.Test)
	if err != nil {
		t.Fatal(err)
	}
	spec := layers.LeNet()
	nz := train.ComputeNormalization()
	spec.InputMean, spec.InputStd = nz.Mean, nz.Std
	m, err := layers.New(spec, b, 3)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: steps, Batch: 64, StatsEvery: -1, EvalEvery: -1, EvalExamples: 500})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained LeNet: %d steps, test accuracy %.3f", steps, res.TestAccuracy)
	return m, test
}

// Integrated gradients are complete: attributions sum to f(x) − f(baseline) within 2 %.
func TestIntegratedGradientsCompleteness(t *testing.T) {
	m, test := trainedLeNet(t, testutil.XLA(t), 300)
	checkCompleteness(t, explain.New(m), test.Batch(0, 8), 128, 0)
}

// On a trained LeNet, randomising every layer destroys Grad-CAM and saliency maps
// (Spearman < 0.5), and the cascade reports one step per parameter layer.
func TestModelRandomizationOnTrainedLeNet(t *testing.T) {
	m, test := trainedLeNet(t, testutil.XLA(t), 300)
	ex := explain.New(m)
	images := nd.Array{Shape: []int{16, 28, 28, 1}, Data: test.Images[:16*784]}
	res, err := explain.ModelRandomization(ex, []explain.Method{explain.Saliency{}, explain.GradCAM{Layer: "conv2"}}, images, nil, 99)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if len(r.Steps) != 5 || r.Steps[0] != "logits" || !strings.HasSuffix(r.Steps[4], "conv1") {
			t.Errorf("%s: steps %v", r.Method, r.Steps)
		}
		last := r.Similarity[len(r.Similarity)-1]
		t.Logf("%s: %v", r.Method, r.Similarity)
		if last >= 0.5 || r.Flagged {
			t.Errorf("%s: Spearman %.3f after randomising all layers (want < 0.5)", r.Method, last)
		}
	}
	// A method that ignores the model (the input itself as the "map") is flagged.
	res, err = explain.ModelRandomization(ex, []explain.Method{inputAsMap{}}, images, nil, 99)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Flagged {
		t.Errorf("a model-independent method was not flagged: %v", res[0].Similarity)
	}
}

// inputAsMap returns the image itself: the edge detector of Adebayo et al.'s paper.
type inputAsMap struct{}

func (inputAsMap) Name() string { return "input" }
func (inputAsMap) Attribute(ex *explain.Explainer, images nd.Array, targets []int) (*explain.Maps, error) {
	n, h, w := images.Shape[0], images.Shape[1], images.Shape[2]
	return &explain.Maps{Method: "input", Pixels: nd.Array{Shape: []int{n, h, w}, Data: images.Data}, Targets: targets}, nil
}

func TestSpearman(t *testing.T) {
	for _, c := range []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 2, 3, 4}, []float32{10, 20, 30, 40}, 1},
		{[]float32{1, 2, 3, 4}, []float32{4, 3, 2, 1}, -1},
		{[]float32{1, 2, 3, 4, 5}, []float32{2, 1, 4, 3, 5}, 0.8},
		{[]float32{1, 1, 2}, []float32{1, 1, 2}, 1},
	} {
		got, err := explain.Spearman(c.a, c.b)
		if err != nil || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Spearman(%v, %v) = %v, %v; want %v", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := explain.Spearman([]float32{1}, []float32{1, 2}); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestActivationMaximizationRaisesItsObjective(t *testing.T) {
	for bname, b := range testutil.Both(t) {
		m, err := layers.New(layers.LeNet(), b, 5)
		if err != nil {
			t.Fatal(err)
		}
		ex := explain.New(m)
		for _, am := range []explain.ActivationMaximization{{Layer: "conv2.pre", Channel: 3, Steps: 30}, {Class: 7, Steps: 30}} {
			vis, err := am.Generate(ex)
			if err != nil {
				t.Fatalf("%s: %v", bname, err)
			}
			first, last := vis.Objective[0], vis.Objective[len(vis.Objective)-1]
			if !(last > first) || len(vis.Image.Shape) != 3 {
				t.Errorf("%s %+v: objective %.4f → %.4f", bname, am.Layer, first, last)
			}
			for _, v := range vis.Image.Data {
				if v < 0 || v > 1 {
					t.Fatalf("pixel %v outside [0, 1]", v)
				}
			}
		}
	}
}

func TestBadInputsGiveClearErrors(t *testing.T) {
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	ex := explain.New(m)
	good := testutil.RandomArray(1, 0, 1, 2, 28, 28, 1)
	nan := testutil.RandomArray(1, 0, 1, 2, 28, 28, 1)
	nan.Data[5] = float32(math.NaN())
	for _, c := range []struct {
		name    string
		method  explain.Method
		images  nd.Array
		targets []int
		want    string
	}{
		{"unknown layer", explain.GradCAM{Layer: "conv9"}, good, nil, `unknown layer "conv9"`},
		{"dense layer for CAM", explain.GradCAM{Layer: "fc1"}, good, nil, "spatial"},
		{"no layer", explain.GradCAMPlusPlus{}, good, nil, "no layer"},
		{"target out of range", explain.Saliency{}, good, []int{0, 10}, "outside [0, 10)"},
		{"targets count", explain.Saliency{}, good, []int{0}, "1 targets for 2 images"},
		{"empty batch", explain.Saliency{}, nd.Array{Shape: []int{0, 28, 28, 1}}, nil, "dimension 0"},
		{"NaN image", explain.IntegratedGradients{}, nan, nil, "NaN"},
		{"wrong shape", explain.Occlusion{}, testutil.RandomArray(1, 0, 1, 1, 32, 32, 3), nil, "does not match"},
		{"bad occlusion", explain.Occlusion{Patch: 40}, good, nil, "patch"},
		{"smoothgrad without base", explain.SmoothGrad{}, good, nil, "no base"},
	} {
		_, err := c.method.Attribute(ex, c.images, c.targets)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := (explain.ActivationMaximization{Layer: "conv1", Channel: 99}).Generate(ex); err == nil {
		t.Error("channel out of range: no error")
	}
	for name, a := range map[string]explain.ActivationMaximization{
		"huge blur": {BlurSigma: 1e9}, "NaN blur": {BlurSigma: math.NaN()}, "NaN step": {LR: math.NaN()}, "Inf step": {LR: math.Inf(1)},
	} {
		if _, err := a.Generate(ex); err == nil || !strings.Contains(err.Error(), "activation maximisation") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if r, err := explain.Spearman([]float32{1, float32(math.NaN()), 3}, []float32{1, 2, 3}); err == nil || !math.IsNaN(r) {
		t.Errorf("spearman with NaN: %v %v", r, err)
	}
	// One place validates every method's layer, before any work.
	for _, c := range []struct {
		methods []explain.Method
		want    string
	}{
		{[]explain.Method{explain.Saliency{}, explain.GradCAMPlusPlus{Layer: "fc1"}}, "spatial"},
		{[]explain.Method{explain.SmoothGrad{Base: explain.GradCAM{Layer: "conv9"}}}, `unknown layer "conv9"`},
		{[]explain.Method{explain.GradCAMPlusPlus{Layer: "conv2.pre"}}, "ill-conditioned"},
	} {
		if err := ex.Check(c.methods...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("check %v: %v (want %q)", c.methods, err, c.want)
		}
	}
	if err := ex.Check(explain.GradCAM{Layer: "conv2.pre"}, explain.GradCAMPlusPlus{Layer: "pool2"}); err != nil {
		t.Errorf("valid layers refused: %v", err)
	}
}

// SmoothGrad's noise is seeded per image: an image's map is the same alone or in a batch.
func TestSmoothGradNoiseIsPerImage(t *testing.T) {
	m, err := layers.New(layers.LeNet(), testutil.XLA(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	ex := explain.New(m)
	three := testutil.RandomArray(4, 0, 1, 3, 28, 28, 1)
	sg := explain.SmoothGrad{Base: explain.Saliency{}, Samples: 5, Seed: 9}
	batch, err := sg.Attribute(ex, three, []int{2, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := sg.Attribute(ex, nd.Array{Shape: []int{1, 28, 28, 1}, Data: three.Data[:784]}, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	if d := testutil.MaxRelDiff(alone.Raw.Data, batch.Raw.Sub(0).Data); d > 1e-5 {
		t.Errorf("image 0's map differs by %g alone and in a batch of 3", d)
	}
}

// The data randomisation test gives 1 for a model compared with itself and less for a
// differently initialised one.
func TestDataRandomization(t *testing.T) {
	b := testutil.Go(t)
	m1, _ := layers.New(layers.LeNet(), b, 1)
	m2, _ := layers.New(layers.LeNet(), b, 2)
	images := testutil.RandomArray(3, 0, 1, 4, 28, 28, 1)
	methods := []explain.Method{explain.Saliency{}, explain.GradCAM{Layer: "conv2"}}
	same, err := explain.DataRandomization(explain.New(m1), explain.New(m1), methods, images, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	other, err := explain.DataRandomization(explain.New(m1), explain.New(m2), methods, images, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range methods {
		if math.Abs(same[i]-1) > 1e-9 || !(other[i] < 0.9) {
			t.Errorf("%s: self %.3f, other model %.3f", methods[i].Name(), same[i], other[i])
		}
	}
}

// A bounded cascade randomises the top layers one at a time, then growing blocks, and
// always ends with every layer.
func TestRandomizationCascade(t *testing.T) {
	for _, c := range []struct {
		layers, max int
		want        []int
	}{
		{5, 0, []int{1, 2, 3, 4, 5}}, {5, 8, []int{1, 2, 3, 4, 5}}, {54, 8, []int{1, 2, 3, 5, 10, 17, 30, 54}}, {9, 4, []int{1, 2, 3, 9}},
	} {
		if got := explain.CascadeForTest(c.layers, c.max); !slices.Equal(got, c.want) {
			t.Errorf("%d layers, %d steps: %v, want %v", c.layers, c.max, got, c.want)
		}
	}
}

package explain_test

import (
	"math"
	"strings"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// lrpNet is a small CNN of the kinds LRP routes (conv, max and average pooling, a residual
// sum, a concatenation, dense), its biases zero so that the rules conserve relevance.
func lrpNet(t *testing.T, name string) *layers.Model {
	t.Helper()
	spec := layers.NewSpec("lrpnet", 8, 8, 2, 3).
		Conv("c1", 4, 3, layers.WithActivation(layers.ReLU)).
		Conv("c2", 4, 3, layers.WithActivation(layers.ReLU), layers.WithPadding(layers.Same)).
		Add("sum", []string{"c1", "c2"}, layers.WithActivation(layers.ReLU)).
		Concat("cat", []string{"sum", "c1"}).
		MaxPool("mp", 2).
		AvgPool("ap", 2).
		Flatten("flat").Dense("fc", 6, layers.WithActivation(layers.ReLU)).Dense("logits", 3)
	m, err := layers.New(spec, testutil.Both(t)[name], 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"c1", "c2", "fc", "logits"} {
		b, _ := m.Variable(l, layers.VarBiases)
		m.SetVariable(l, layers.VarBiases, nd.New(b.Shape...))
	}
	return m
}

// Without biases, z⁺, flat and the sums' and pools' Norm conserve relevance: the input's
// relevance adds up to the target's, 1. Both backends give the same maps.
func TestLRPConservesRelevance(t *testing.T) {
	images := testutil.RandomArray(9, 0, 1, 3, 8, 8, 2)
	var maps []*explain.Maps
	for _, name := range []string{"go", "xla"} {
		if _, ok := testutil.Both(t)[name]; !ok {
			continue
		}
		m := lrpNet(t, name)
		got, err := explain.LRP{}.Attribute(explain.New(m), images, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < 3; i++ {
			var sum float64
			for _, v := range got.Raw.Sub(i).Data {
				sum += float64(v)
			}
			if math.Abs(sum-1) > 1e-3 {
				t.Errorf("%s image %d: relevance sums to %.5f, want 1", name, i, sum)
			}
		}
		maps = append(maps, got)
	}
	if len(maps) == 2 {
		if d := maxAbsDiff(maps[0].Raw.Data, maps[1].Raw.Data); d > 1e-5 {
			t.Errorf("SimpleGo and XLA differ by %.3g", d)
		}
	}
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// With ε = 0 everywhere on a ReLU network without biases, LRP is gradient × input (over the
// target's logit, Zennit's start of 1): an identity of Bach et al. checked against the
// explainer's own gradient.
func TestLRPZeroIsGradientTimesInput(t *testing.T) {
	m := lrpNet(t, "go")
	images := testutil.RandomArray(4, 0, 1, 2, 8, 8, 2)
	eps := explain.Rule{Name: explain.RuleEpsilon, Epsilon: 1e-12}
	lrp, err := explain.LRP{Composite: explain.Composite{Name: "epsilon", Conv: eps, Dense: eps}}.Attribute(explain.New(m), images, []int{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	gx, err := explain.GradientXInput{}.Attribute(explain.New(m), images, []int{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(images)
	for i, target := range []int{0, 2} {
		z := logits.Sub(i).Data[target]
		want := gx.Raw.Sub(i).Data
		got := lrp.Raw.Sub(i).Data
		for j := range want {
			if d := math.Abs(float64(got[j] - want[j]/z)); d > 1e-4*math.Abs(float64(want[j]/z))+1e-6 {
				t.Fatalf("image %d value %d: LRP-0 %.6g, gradient × input / logit %.6g", i, j, got[j], want[j]/z)
			}
		}
	}
}

// Every layer kind has an LRP behaviour, refused kinds give a clear error, and rules that
// only a first layer may use, or with bad parameters, are refused.
func TestLRPKindsAndRules(t *testing.T) {
	for _, k := range layers.KindNames() {
		if !explain.LRPHasEntryForTest(layers.Kind(k)) {
			t.Errorf("kind %s has no LRP behaviour", k)
		}
	}
	spec := layers.NewSpec("soft", 4, 4, 1, 2).Conv("c", 2, 3).Flatten("f").Dense("d", 2).Softmax("p")
	m, err := layers.New(spec, testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = explain.LRP{}.Attribute(explain.New(m), nd.New(1, 4, 4, 1), nil)
	if err == nil || !strings.Contains(err.Error(), `no relevance rule for layer "p" (softmax)`) {
		t.Errorf("softmax: %v", err)
	}
	net := lrpNet(t, "go")
	images := testutil.RandomArray(5, 0, 1, 1, 8, 8, 2)
	for _, c := range []struct {
		composite explain.Composite
		want      string
	}{
		{explain.Composite{Name: "flat-everywhere", Conv: explain.Rule{Name: explain.RuleFlat}, Dense: explain.Rule{Name: explain.RuleEpsilon}}, "only to the first layer"},
		{explain.Composite{Name: "ab", Conv: explain.Rule{Name: explain.RuleAlphaBeta, Alpha: 2, Beta: 2}, Dense: explain.Rule{Name: explain.RuleEpsilon}}, "α − β = 1"},
		{explain.Composite{Name: "box", Conv: explain.Rule{Name: explain.RuleZPlus}, Dense: explain.Rule{Name: explain.RuleEpsilon},
			First: &explain.Rule{Name: explain.RuleZBox, Low: 1, High: 0}}, "Low < High"},
	} {
		_, err := explain.LRP{Composite: c.composite}.Attribute(explain.New(net), images, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.composite.Name, err, c.want)
		}
	}
	for _, name := range []string{"lrp", "lrp-epsilon-gamma-box", "lrp-epsilon-alpha2-beta1"} {
		if _, err := explain.MethodByName(name, ""); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := explain.MethodByName("lrp-nothing", ""); err == nil || !strings.Contains(err.Error(), "composite") {
		t.Errorf("lrp-nothing: %v", err)
	}
}

// LRP runs on every preset (batch norm merged into the ResNet's convolutions) and, with
// EpsilonPlusFlat, keeps the relevance finite; a preset without a rule for a layer would
// make "all" leave LRP out.
func TestLRPOnEveryPreset(t *testing.T) {
	for _, name := range layers.PresetNames() {
		h, w, c := 32, 32, 3
		if name == "lenet" {
			h, w, c = 28, 28, 1
		}
		spec, err := layers.Preset(name, h, w, c, 10)
		if err != nil {
			t.Fatal(err)
		}
		m, err := layers.New(spec, testutil.Go(t), 1)
		if err != nil {
			t.Fatal(err)
		}
		maps, err := explain.LRP{}.Attribute(explain.New(m), testutil.RandomArray(3, 0, 1, 2, h, w, c), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := nd.CheckFinite(name, maps.Raw.Data); err != nil {
			t.Error(err)
		}
		all, _ := explain.MethodsFor(spec, "all", "")
		if all[len(all)-1].Name() != "lrp" {
			t.Errorf("%s: \"all\" leaves LRP out", name)
		}
	}
}

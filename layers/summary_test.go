package layers_test

import (
	"slices"
	"testing"

	"github.com/convlens/convlens/layers"
)

// LeNet's figures, computed by hand (FLOPs: 2 per multiply-add, +1 per output for the
// bias, +1 per output for an activation, kernel² per pooled output).
func TestLeNetSummaryMatchesHandComputedFigures(t *testing.T) {
	sum, err := layers.LeNet().Summarize()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		shape  []int
		params int
		flops  int64
	}{
		{"conv1", []int{28, 28, 6}, 5*5*1*6 + 6, 2*25*4704 + 4704 + 4704},
		{"pool1", []int{14, 14, 6}, 0, 4 * 1176},
		{"conv2", []int{10, 10, 16}, 5*5*6*16 + 16, 2*150*1600 + 1600 + 1600},
		{"pool2", []int{5, 5, 16}, 0, 4 * 400},
		{"flatten", []int{400}, 0, 0},
		{"fc1", []int{120}, 400*120 + 120, 2*48000 + 120 + 120},
		{"fc2", []int{84}, 120*84 + 84, 2*10080 + 84 + 84},
		{"logits", []int{10}, 84*10 + 10, 2*840 + 10},
	}
	if len(sum.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(sum.Layers), len(want))
	}
	for i, w := range want {
		got := sum.Layers[i]
		if got.Name != w.name || !slices.Equal(got.OutShape, w.shape) || got.Params != w.params || got.FLOPs != w.flops {
			t.Errorf("layer %d: got %s %v params %d flops %d, want %s %v %d %d", i, got.Name, got.OutShape, got.Params, got.FLOPs, w.name, w.shape, w.params, w.flops)
		}
	}
	if sum.TotalParams != 61706 {
		t.Errorf("total params %d, want 61706", sum.TotalParams)
	}
	if sum.TotalFLOPs != 852370 {
		t.Errorf("total FLOPs %d, want 852370", sum.TotalFLOPs)
	}
}

func TestTinyVGGSummary(t *testing.T) {
	sum, err := layers.TinyVGG(64, 64, 3, 10).Summarize()
	if err != nil {
		t.Fatal(err)
	}
	// conv_1_1: 3*3*3*10+10; three more convs 3*3*10*10+10; dense 13*13*10*10+10.
	if want := 280 + 3*910 + 16910; sum.TotalParams != want {
		t.Errorf("TinyVGG params %d, want %d", sum.TotalParams, want)
	}
	if got := sum.Layers[len(sum.Layers)-2].OutShape; !slices.Equal(got, []int{1690}) {
		t.Errorf("flatten shape %v, want [1690]", got)
	}
}

func TestInvalidSpecsGiveClearErrors(t *testing.T) {
	cases := map[string]*layers.Spec{
		"no layers":            layers.NewSpec("x", 8, 8, 1, 2),
		"dense before flatten": layers.NewSpec("x", 8, 8, 1, 2).Dense("d", 2),
		"conv after flatten":   layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Conv("c", 2, 3).Dense("d", 2),
		"kernel too big":       layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 9).Flatten("f").Dense("d", 2),
		"huge channels":        layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 1<<20, 3).Flatten("f").Dense("d", 2),
		"duplicate names":      layers.NewSpec("x", 8, 8, 1, 2).Flatten("d").Dense("d", 2),
		"hostile name":         layers.NewSpec("x", 8, 8, 1, 2).Flatten("</script><img onerror=alert(1)>").Dense("d", 2),
		"wrong logits":         layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 3),
		"activated logits":     layers.NewSpec("x", 8, 8, 1, 2).Flatten("f").Dense("d", 2, layers.WithActivation(layers.ReLU)),
		"bad dropout":          layers.NewSpec("x", 8, 8, 1, 2).Dropout("p", 1.5).Flatten("f").Dense("d", 2),
		"bad activation":       layers.NewSpec("x", 8, 8, 1, 2).Act("a", "swish").Flatten("f").Dense("d", 2),
		"pool activation":      layers.NewSpec("x", 8, 8, 1, 2).MaxPool("p", 2, layers.WithActivation(layers.ReLU)).Flatten("f").Dense("d", 2),
		"zero input":           layers.NewSpec("x", 0, 8, 1, 2).Flatten("f").Dense("d", 2),
		"stride zero":          layers.NewSpec("x", 8, 8, 1, 2).Conv("c", 2, 3, layers.WithStride(0)).Flatten("f").Dense("d", 2),
	}
	for name, s := range cases {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := layers.Preset("resnet", 28, 28, 1, 10); err == nil {
		t.Error("unknown preset: no error")
	}
	if _, err := layers.ParseSpec([]byte(`{"name":"x","height":8,"width":8,"channels":1,"classes":2,"layers":[{"name":"f","kind":"flatten"},{"name":"d","kind":"dense","units":2}],"bogus":1}`)); err == nil {
		t.Error("unknown JSON field: no error")
	}
}

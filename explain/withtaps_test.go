package explain_test

import (
	"math"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
)

// One pass gives what Taps and GradCAM give apart: the same taps and logits, and the same
// map for a given class and for the predicted one, on a residual model, on both backends.
func TestGradCAMWithTapsEqualsTapsAndGradCAM(t *testing.T) {
	for _, b := range []*backend.Backend{testutil.Go(t), testutil.XLA(t)} {
		t.Run(b.Kind, func(t *testing.T) { gradCAMWithTaps(t, b) })
	}
}

func gradCAMWithTaps(t *testing.T, b *backend.Backend) {
	m, err := layers.New(layers.ResNet(16, 16, 3, 4), b, 3)
	if err != nil {
		t.Fatal(err)
	}
	ex := explain.New(m)
	images := testutil.RandomArray(5, 0, 1, 3, 16, 16, 3)
	layer := explain.LastConvLayer(m.Spec)
	names := []string{"stem", "block2", layer}
	maps, taps, err := ex.GradCAMWithTaps(images, []int{2, -1, 0}, layer, names)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Taps(images, names...)
	if err != nil {
		t.Fatal(err)
	}
	close := func(what string, a, b []float32, tol float64) {
		t.Helper()
		scale := 1e-9
		for _, v := range b {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for i := range b {
			if d := math.Abs(float64(a[i]-b[i])) / scale; d > tol {
				t.Fatalf("%s: value %d differs by %.2g of the largest", what, i, d)
			}
		}
	}
	close("logits", taps.Logits.Data, want.Logits.Data, 1e-6)
	for _, n := range names {
		close(n, taps.Outputs[n].Data, want.Outputs[n].Data, 1e-6)
	}
	pred := layers.ArgMax(want.Logits)
	targets := []int{2, pred[1], 0}
	for i, c := range maps.Targets {
		if c != targets[i] {
			t.Errorf("image %d explained class %d, want %d", i, c, targets[i])
		}
	}
	ref, err := explain.GradCAM{Layer: layer}.Attribute(ex, images, targets)
	if err != nil {
		t.Fatal(err)
	}
	close("grad-cam", maps.Pixels.Data, ref.Pixels.Data, 1e-5)
	if _, _, err := ex.GradCAMWithTaps(images, []int{0, 9, 0}, layer, nil); err == nil {
		t.Error("a target outside the classes accepted")
	}
	if _, _, err := ex.GradCAMWithTaps(images, []int{0, 0, 0}, layer, []string{"nope"}); err == nil {
		t.Error("an unknown tap accepted")
	}
}

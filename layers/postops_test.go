package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
)

// A convolution followed by a long unbroken chain of adds and activations (as a fuzzed or
// generated graph has) runs on XLA CPU — oneDNN used to abort the process on such a chain —
// and gives SimpleGo's values.
func TestLongPointwiseChainsAfterAConvolution(t *testing.T) {
	s := layers.NewSpec("chain", 6, 6, 2, 3).Conv("conv", 4, 3, layers.WithPadding(layers.Same))
	prev := "conv"
	for i := 0; i < 30; i++ { // add(x, x) → ReLU → identity → ReLU, as a generated graph has
		a, r1, id, r2 := fmt.Sprintf("a%d", i), fmt.Sprintf("r%d", i), fmt.Sprintf("i%d", i), fmt.Sprintf("s%d", i)
		s.AddLayer(a, []string{prev, prev}, func(l *layers.Layer) { l.Kind = layers.Add })
		s.AddLayer(r1, nil, func(l *layers.Layer) { l.Kind, l.Activation = layers.Activate, layers.ReLU })
		s.AddLayer(id, nil, func(l *layers.Layer) { l.Kind = layers.Identity })
		s.AddLayer(r2, nil, func(l *layers.Layer) { l.Kind, l.Activation = layers.Activate, layers.ReLU })
		prev = r2
	}
	s.GlobalAvgPool("gap").Dense("logits", 3)
	images := testutil.RandomArray(3, 0, 1, 2, 6, 6, 2)
	var logits [][]float32
	for _, b := range []*backend.Backend{testutil.XLA(t), testutil.Go(t)} {
		m, err := layers.New(s, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		taps, err := m.Taps(images) // every layer's output, as explore and report ask
		if err != nil {
			t.Fatal(err)
		}
		logits = append(logits, taps.Logits.Data)
		// The backward pass too: Grad-CAM at the convolution (explore and report run it).
		cam, err := explain.GradCAM{Layer: "conv"}.Attribute(explain.New(m), images, nil)
		if err != nil {
			t.Fatal(err)
		}
		logits = append(logits, cam.Pixels.Data)
	}
	for k, what := range []string{"logits", "Grad-CAM"} {
		xla, sg := logits[k], logits[k+2]
		for i := range xla {
			if d := math.Abs(float64(xla[i] - sg[i])); d > 1e-4*math.Max(1, math.Abs(float64(sg[i]))) {
				t.Fatalf("%s %d: XLA %v, SimpleGo %v", what, i, xla[i], sg[i])
			}
		}
	}
}

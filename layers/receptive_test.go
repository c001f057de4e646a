package layers_test

import (
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The receptive field of an output position is exactly the input pixels its value depends
// on: the pixels where its gradient is not zero (random weights, no activations, average
// pooling), through a strided "same" convolution, a dilated one, reflect padding, pooling
// and two branches of different reach joined by a concatenation.
func TestReceptiveFieldIsWhereTheGradientIs(t *testing.T) {
	spec := layers.NewSpec("rf", 21, 19, 1, 2).
		Conv("c1", 3, 3, layers.WithStride(2), layers.WithPadding(layers.Same)).
		Conv("near", 2, 1, layers.From("c1")).
		Conv("far", 2, 5, layers.From("c1"), layers.WithPadding(layers.Same)).
		Concat("cat", []string{"near", "far"}).
		PadImage("pad", 1, 0, 2, 1, 0, func(l *layers.Layer) { l.Mode = "reflect" }).
		Conv("c2", 3, 3, layers.WithDilation(2)).
		AvgPool("ap", 2).
		Flatten("flat").Dense("logits", 2)
	m, err := layers.New(spec, testutil.XLA(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, layer := range []string{"c1", "far", "cat", "pad", "c2", "ap"} {
		shape, _ := spec.TapShape(layer)
		for _, at := range [][2]int{{0, 0}, {shape[0] / 2, shape[1] - 1}, {shape[0] - 1, shape[1] / 3}} {
			box, err := spec.ReceptiveField(layer, layers.Box{Y0: at[0], X0: at[1], Y1: at[0] + 1, X1: at[1] + 1})
			if err != nil {
				t.Fatal(err)
			}
			grad := unitGradient(t, m, layer, at[0], at[1])
			support := layers.Box{Y0: 1 << 30, X0: 1 << 30}
			for y := 0; y < 21; y++ {
				for x := 0; x < 19; x++ {
					if grad.Data[y*19+x] != 0 {
						support = layers.Box{Y0: min(support.Y0, y), X0: min(support.X0, x), Y1: max(support.Y1, y+1), X1: max(support.X1, x+1)}
					}
				}
			}
			if support != box {
				t.Errorf("%s at %v: receptive field %+v, gradient's support %+v", layer, at, box, support)
			}
		}
	}
	if _, err := spec.ReceptiveField("flat", layers.Box{Y1: 1, X1: 1}); err == nil {
		t.Error("a vector layer has a receptive field")
	}
	if _, err := spec.ReceptiveField("c1", layers.Box{Y0: 0, X0: 0, Y1: 99, X1: 1}); err == nil {
		t.Error("a box outside the output is accepted")
	}
}

// unitGradient is the gradient of the sum over channels of layer's output at (y, x) for
// one random image, with respect to the image ([H, W] of the one channel).
func unitGradient(t *testing.T, m *layers.Model, layer string, y, x int) nd.Array {
	t.Helper()
	shape, _ := m.Spec.TapShape(layer)
	mask := nd.New(1, shape[0], shape[1], shape[2])
	for c := 0; c < shape[2]; c++ {
		mask.Data[(y*shape[1]+x)*shape[2]+c] = 1
	}
	exec, err := context.NewExec(m.Backend, m.Ctx, func(ctx *context.Context, img *graph.Node) *graph.Node {
		f := m.Build(ctx, img, false)
		unit := graph.ReduceAllSum(graph.Mul(f.Taps[layer], graph.Const(img.Graph(), tensors.FromFlatDataAndDimensions(mask.Data, mask.Shape...))))
		return graph.Gradient(unit, img)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	img := testutil.RandomArray(7, 0.5, 1, 1, m.Spec.Height, m.Spec.Width, 1)
	out, err := exec.Exec(layers.ImagesTensor(img))
	if err != nil {
		t.Fatal(err)
	}
	g, err := layers.ToArray(out[0])
	if err != nil {
		t.Fatal(err)
	}
	return g
}

package onnx_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
)

// Faithfulness scores equal their references on the same model, images and maps: deletion
// and insertion curves equal Quantus 0.6.0's PixelFlipping (16 steps, softmax, on a grey
// input so that a Quantus feature is a pixel), and ROAD's MoRF and LeRF equal
// pytorch-grad-cam's (percentiles 10–90, no imputation noise, on its Grad-CAM maps); all
// within 1e-4 of the reference's value. The randomisation test's similarity equals the one
// Quantus's MPRT uses (Spearman's ρ of the absolute maps, ties ranked alike) within 1e-6.
func TestZooFaithfulnessMatchesReferences(t *testing.T) {
	dir := zoo(t)
	xla := testutil.XLA(t)
	// MobileNetV2 with random weights answers the same for every input: no test of a metric.
	for _, key := range []string{"resnet18.dynamo", "resnet18.legacy"} {
		t.Run(key, func(t *testing.T) {
			m, _, err := onnx.Open(filepath.Join(dir, key+".onnx"), xla)
			if err != nil {
				t.Fatal(err)
			}
			read := refReader(t, dir, key)
			nhwc := func(a nd.Array) nd.Array {
				b, err := nd.NCHWToNHWC(a)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			images, grey := nhwc(read("input")), nhwc(read("grey"))
			targets := classIndices(read("targets"))
			ex := explain.New(m)
			rank := read("rank")
			for _, c := range []struct {
				name   string
				curves func() ([][]float64, error)
			}{
				{"deletion", func() ([][]float64, error) {
					return explain.Deletion{Steps: 16}.Curves(ex, grey, targets, rank)
				}},
				{"insertion", func() ([][]float64, error) {
					return explain.Insertion{Steps: 16}.Curves(ex, grey, targets, rank)
				}},
			} {
				got, err := c.curves()
				if err != nil {
					t.Fatal(err)
				}
				want := read(c.name)
				for i := range targets {
					if len(got[i]) != 17 {
						t.Fatalf("%s: %d points, want 17", c.name, len(got[i]))
					}
					for s, w := range want.Sub(i).Data {
						if d := math.Abs(got[i][s+1] - float64(w)); d > 1e-4*math.Abs(float64(w)) {
							t.Errorf("image %d: %s step %d: probability %.6f, Quantus %.6f", i, c.name, s+1, got[i][s+1], w)
						}
					}
				}
			}
			cams, hires := read("gradcam"), read("hirescam")
			sims := read("similarity")
			abs := func(v []float32) []float32 {
				out := make([]float32, len(v))
				for i, x := range v {
					out[i] = float32(math.Abs(float64(x)))
				}
				return out
			}
			var mean float64
			for i := range targets {
				r, err := explain.Spearman(abs(cams.Sub(i).Data), abs(hires.Sub(i).Data))
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(r-float64(sims.Data[i])) > 1e-6 {
					t.Errorf("image %d: Spearman ρ %.7f, Quantus %.7f", i, r, sims.Data[i])
				}
				mean += float64(sims.Data[i]) / float64(len(targets))
			}
			got, err := explain.MapSimilarity(&explain.Maps{Pixels: cams}, &explain.Maps{Pixels: hires})
			if err != nil || math.Abs(got-mean) > 1e-6 {
				t.Errorf("map similarity %.7f (%v), Quantus's mean %.7f", got, err, mean)
			}
			for _, order := range []string{"morf", "lerf"} {
				got, err := explain.ROAD{Order: order, Noise: -1}.Score(ex, images, targets, cams)
				if err != nil {
					t.Fatal(err)
				}
				want := read("road_" + order)
				for i := range targets {
					if w := float64(want.Data[i]); w == 0 || math.Abs(got[i]-w) > 1e-4*math.Abs(w) {
						t.Errorf("image %d: ROAD %s %.6f, pytorch-grad-cam %.6f", i, order, got[i], want.Data[i])
					}
				}
			}
		})
	}
}

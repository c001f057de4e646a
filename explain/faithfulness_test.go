package explain_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// ROAD's imputation solves its equations: every removed pixel is the weighted mean of its
// neighbours inside the image (1/6 beside, 1/12 diagonal), kept pixels untouched.
func TestImputationSolvesTheNeighbourEquations(t *testing.T) {
	const H, W, C = 9, 7, 2
	img := testutil.RandomArray(3, -1, 1, H, W, C)
	rng := rand.New(rand.NewPCG(1, 2))
	keep := make([]bool, H*W)
	for p := range keep {
		keep[p] = rng.Float64() < 0.4
	}
	keep[0], keep[H*W-1] = false, false // corners: five of the eight neighbours are outside
	dst := make([]float32, H*W*C)
	explain.ImputeLinearForTest(dst, img, keep, []float64{0, 0}, rand.New(rand.NewPCG(3, 4)))
	weight := func(dy, dx int) float64 {
		if dy != 0 && dx != 0 {
			return 1.0 / 12
		}
		return 1.0 / 6
	}
	for p := 0; p < H*W; p++ {
		for c := 0; c < C; c++ {
			if keep[p] {
				if dst[p*C+c] != img.Data[p*C+c] {
					t.Fatalf("kept pixel %d changed", p)
				}
				continue
			}
			var sum, wsum float64
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					y, x := p/W+dy, p%W+dx
					if (dy == 0 && dx == 0) || y < 0 || x < 0 || y >= H || x >= W {
						continue
					}
					sum += weight(dy, dx) * float64(dst[(y*W+x)*C+c])
					wsum += weight(dy, dx)
				}
			}
			if d := math.Abs(float64(dst[p*C+c]) - sum/wsum); d > 1e-6 {
				t.Errorf("pixel %d channel %d: %.7f, neighbours' mean %.7f", p, c, dst[p*C+c], sum/wsum)
			}
		}
	}
}

// Percentiles interpolate linearly between ranks, as numpy's default.
func TestPercentileIsNumpys(t *testing.T) {
	v := []float64{4, 1, 3, 2}
	for p, want := range map[float64]float64{0: 1, 50: 2.5, 90: 3.7, 100: 4, 10: 1.3} {
		if got := explain.PercentileForTest(v, p); math.Abs(got-want) > 1e-12 {
			t.Errorf("percentile %g = %g, numpy %g", p, got, want)
		}
	}
}

// A vertical step from 0 to 1 gives the Sobel map (|∂x| + |∂y|)/2 = 2 on the two columns
// beside it and 0 elsewhere; a colour image is weighed as BT.601 luma.
func TestEdgeMapOfAStep(t *testing.T) {
	m, err := layers.New(layers.NewSpec("flat", 5, 6, 3, 2).Flatten("f").Dense("logits", 2), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	img := nd.New(1, 5, 6, 3)
	for y := 0; y < 5; y++ {
		for x := 3; x < 6; x++ {
			for c := 0; c < 3; c++ {
				img.Data[(y*6+x)*3+c] = 1
			}
		}
	}
	maps, err := explain.EdgeMap{}.Attribute(explain.New(m), img, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	for p, v := range maps.Pixels.Data {
		want := 0.0
		if x := p % 6; x == 2 || x == 3 {
			want = 2
		}
		if math.Abs(float64(v)-want) > 1e-5 {
			t.Errorf("pixel (%d, %d): %.4f, want %g", p/6, p%6, v, want)
		}
	}
}

// linearModel's logit for class 1 is Σ_p w_p x_p: gradient × input is each pixel's exact
// share of it.
func linearModel(t *testing.T, b *backend.Backend) (*layers.Model, nd.Array, nd.Array) {
	t.Helper()
	m, err := layers.New(layers.NewSpec("linear", 8, 8, 1, 2).Flatten("f").Dense("logits", 2), b, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := testutil.RandomArray(5, -1, 1, 64, 2)
	for p := 0; p < 64; p++ {
		w.Data[p*2] = 0
	}
	m.SetVariable("logits", layers.VarWeights, w)
	m.SetVariable("logits", layers.VarBiases, nd.Array{Shape: []int{2}, Data: []float32{0, 0}})
	images := testutil.RandomArray(6, 0, 4, 4, 8, 8, 1)
	share := nd.New(4, 8, 8)
	for i := 0; i < 4; i++ {
		for p := 0; p < 64; p++ {
			share.Data[i*64+p] = w.Data[p*2+1] * images.Data[i*64+p]
		}
	}
	return m, images, share
}

// On a linear model, the map of each pixel's exact share of the logit is faithful and its
// negation is not: deletion, insertion and ROAD all rank the true map first, it beats the
// random and edge baselines on every metric, and the negated map beats none.
func TestFaithfulMapsScoreBetter(t *testing.T) {
	m, images, share := linearModel(t, testutil.Go(t))
	ex := explain.New(m)
	targets := []int{1, 1, 1, 1}
	neg := nd.New(share.Shape...)
	for i, v := range share.Data {
		neg.Data[i] = -v
	}
	maps := []*explain.Maps{{Method: "share", Pixels: share, Targets: targets}, {Method: "negated", Pixels: neg, Targets: targets}}
	card, err := explain.Score(ex, images, maps, nil, nil, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(card.Metrics, ","); got != "deletion,insertion,road" {
		t.Fatalf("metrics %s", got)
	}
	if len(card.Rows) != 4 || card.Rows[2].Method != "random" || card.Rows[3].Method != "sobel" || !card.Rows[3].Baseline {
		t.Fatalf("rows %+v", card.Rows)
	}
	if !card.Rows[0].Informative() {
		t.Errorf("the true map does not beat the baselines: %+v", card.Rows)
	}
	for k, name := range card.Metrics {
		if card.Rows[1].Beats[k] {
			t.Errorf("%s: the negated map beats the baselines (%.4f vs random %.4f, sobel %.4f)", name,
				card.Rows[1].Mean[k], card.Rows[2].Mean[k], card.Rows[3].Mean[k])
		}
	}
	if card.Best() != 0 || card.Rows[0].Rank != 1 || card.Rows[1].Rank != 2 {
		t.Errorf("ranks %.2f, %.2f; best %d", card.Rows[0].Rank, card.Rows[1].Rank, card.Best())
	}
}

// Deletion starts at the image's probability and ends at the fill's; insertion the other
// way; the area is the trapezoid rule over the fraction of pixels moved.
func TestDeletionAndInsertionCurves(t *testing.T) {
	m, images, share := linearModel(t, testutil.Go(t))
	ex := explain.New(m)
	targets := []int{1, 1, 1, 1}
	probs := func(x nd.Array) []float64 {
		logits, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, x.Shape[0])
		for i := range out {
			l := logits.Sub(i).Data
			out[i] = 1 / (1 + math.Exp(float64(l[0]-l[1])))
		}
		return out
	}
	zeros := probs(nd.New(images.Shape...)) // the data's mean colour of a model without one
	orig := probs(images)
	del, err := explain.Deletion{Steps: 8}.Curves(ex, images, targets, share)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := explain.Insertion{Steps: 8}.Curves(ex, images, targets, share)
	if err != nil {
		t.Fatal(err)
	}
	areas, err := explain.Deletion{Steps: 8}.Score(ex, images, targets, share)
	if err != nil {
		t.Fatal(err)
	}
	for i := range targets {
		if len(del[i]) != 9 || math.Abs(del[i][0]-orig[i]) > 1e-6 || math.Abs(del[i][8]-zeros[i]) > 1e-6 {
			t.Errorf("image %d: deletion %v, want %.4f … %.4f", i, del[i], orig[i], zeros[i])
		}
		if math.Abs(ins[i][0]-zeros[i]) > 1e-6 || math.Abs(ins[i][8]-orig[i]) > 1e-6 {
			t.Errorf("image %d: insertion %v, want %.4f … %.4f", i, ins[i], zeros[i], orig[i])
		}
		var area float64
		for s := 1; s <= 8; s++ {
			area += (del[i][s-1] + del[i][s]) / 2 / 8
		}
		if math.Abs(area-areas[i]) > 1e-9 {
			t.Errorf("image %d: area %.6f, trapezoid %.6f", i, areas[i], area)
		}
	}
}

// Bad maps get an error, and NaN values rank last instead of breaking the order.
func TestMetricsRefuseBadMaps(t *testing.T) {
	m, images, share := linearModel(t, testutil.Go(t))
	ex := explain.New(m)
	for _, metric := range explain.DefaultMetrics() {
		if _, err := metric.Score(ex, images, nil, nd.New(4, 8, 7)); err == nil {
			t.Errorf("%s accepts maps of the wrong shape", metric.Name())
		}
		nan := nd.Array{Shape: share.Shape, Data: append([]float32(nil), share.Data...)}
		for i := 0; i < len(nan.Data); i += 3 {
			nan.Data[i] = float32(math.NaN())
		}
		s, err := metric.Score(ex, images, nil, nan)
		if err != nil {
			t.Fatalf("%s: %v", metric.Name(), err)
		}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s of a map with NaN: %v", metric.Name(), s)
			}
		}
	}
	if _, err := (explain.ROAD{Percentiles: []float64{120}}).Score(ex, images, nil, share); err == nil {
		t.Error("ROAD accepts the percentile 120")
	}
}

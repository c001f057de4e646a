package vizhtml

import (
	"bytes"
	"testing"

	"github.com/convlens/convlens/nd"
)

// BenchmarkViews measures each view's render time and output size (bytes/op is the
// fragment's size, not allocation).
func BenchmarkViews(b *testing.B) {
	img := ramp(28, 28, 1)
	maps64 := ramp(28, 28, 64)
	var snaps []HistogramAt
	for s := 0; s < 40; s++ {
		_, h := nd.Summarize(ramp(2000).Data[s:], 30)
		snaps = append(snaps, HistogramAt{Step: int64(s * 25), Hist: h})
	}
	var curve nd.Series
	for i := 0; i < 1000; i++ {
		curve.X = append(curve.X, float64(i))
		curve.Y = append(curve.Y, 1/float64(i+1))
	}
	truth, pred := make([]int, 1000), make([]int, 1000)
	for i := range truth {
		truth[i], pred[i] = i%10, (i*7)%10
	}
	classes := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	feats := ramp(1000, 84)
	pts, _, _ := PCA(feats)
	stats, _ := ComputeChannelStats(ramp(1000, 120))
	views := []struct {
		name string
		fn   func() (Fragment, error)
	}{
		{"feature_maps_64ch_28x28", func() (Fragment, error) { return FeatureMaps(img, maps64, FeatureMapOptions{}) }},
		{"filters_5x5x6x16", func() (Fragment, error) { return Filters(ramp(5, 5, 6, 16), FilterOptions{}) }},
		{"kernel_heatmap_5x5", func() (Fragment, error) { return KernelHeatmap(ramp(5, 5), "k") }},
		{"distributions_40_steps", func() (Fragment, error) { return Distributions("w", snaps, 40) }},
		{"percentile_bands_40_steps", func() (Fragment, error) { return PercentileBands("g", snaps) }},
		{"training_curves_1000_steps", func() (Fragment, error) { return TrainingCurves([]nd.Series{curve}, []nd.Series{curve}) }},
		{"architecture_lenet", func() (Fragment, error) {
			return Architecture("lenet", []int{28, 28, 1}, []ArchLayer{{Name: "conv1", Kind: "conv2d", OutShape: []int{28, 28, 6}, Params: 156, FLOPs: 244608}})
		}},
		{"overlay_28x28", func() (Fragment, error) { return Overlay(img, ramp(7, 7), "x", OverlayOptions{}) }},
		{"confusion_10_classes", func() (Fragment, error) { return ConfusionMatrix(truth, pred, classes) }},
		{"pca_1000x84", func() (Fragment, error) { _, _, err := PCA(feats); return Fragment{}, err }},
		{"embedding_scatter_1000", func() (Fragment, error) { return EmbeddingScatter("e", "", pts, truth, classes) }},
		{"activation_stats_120ch", func() (Fragment, error) { return ActivationStats("fc1", stats) }},
	}
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			var size int
			for i := 0; i < b.N; i++ {
				f, err := v.fn()
				if err != nil {
					b.Fatal(err)
				}
				size = len(f.HTML)
			}
			b.ReportMetric(float64(size), "html-bytes")
		})
	}
	b.Run("page_all_views", func(b *testing.B) {
		p := allViews(b)
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if err := p.Render(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "html-bytes")
	})
}

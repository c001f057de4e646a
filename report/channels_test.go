package report_test

import (
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
)

// One streaming pass over more images than a batch finds, for every channel, the same top
// images and per-class means as a search over all the layer's outputs at once; each crop
// is its position's receptive field.
func TestChannelExamplesMatchABruteForceSearch(t *testing.T) {
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Synthetic(600, 28, 28, 1, 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	const layer = "conv2"
	got, err := report.FindChannelExamples(m, ds, layer, report.ChannelExampleOptions{Top: 4})
	if err != nil {
		t.Fatal(err)
	}
	taps, err := report.Taps(m, ds, ds.N, layer)
	if err != nil {
		t.Fatal(err)
	}
	out := taps.Outputs[layer]
	h, w, k := out.Shape[1], out.Shape[2], out.Shape[3]
	for c := 0; c < k; c++ {
		type hit struct {
			img  int
			v    float32
			y, x int
		}
		var all []hit
		sums, counts := make([]float64, 10), make([]float64, 10)
		for i := 0; i < ds.N; i++ {
			best := hit{img: i, v: float32(math.Inf(-1))}
			for p := 0; p < h*w; p++ {
				if v := out.Data[(i*h*w+p)*k+c]; v > best.v {
					best = hit{i, v, p / w, p % w}
				}
			}
			all = append(all, best)
			sums[ds.Labels[i]] += float64(best.v)
			counts[ds.Labels[i]]++
		}
		sort.SliceStable(all, func(a, b int) bool { return all[a].v > all[b].v })
		for r, top := range got.Top[c] {
			if top.Image != all[r].img || top.Value != all[r].v || top.Y != all[r].y || top.X != all[r].x {
				t.Fatalf("channel %d rank %d: %+v, brute force %+v", c, r, top, all[r])
			}
			want, _ := m.Spec.ReceptiveField(layer, layers.Box{Y0: top.Y, X0: top.X, Y1: top.Y + 1, X1: top.X + 1})
			if top.Field != want || top.Field.Y1-top.Field.Y0 > 14 || top.Field.X1-top.Field.X0 > 14 {
				t.Errorf("channel %d rank %d: field %+v, want %+v (at most 14×14 for LeNet's conv2)", c, r, top.Field, want)
			}
		}
		for cl := range sums {
			if want := sums[cl] / counts[cl]; math.Abs(got.ClassMeans[c][cl]-want) > 1e-4 {
				t.Errorf("channel %d class %d: mean %.5f, brute force %.5f", c, cl, got.ClassMeans[c][cl], want)
			}
		}
	}
	sec := report.ChannelExamplesSection(explain.New(m), ds, layer, report.ChannelExampleOptions{Top: 3, Channels: 4, Visualize: true})
	pictures := strings.Count(sec.Body.HTML, "activation maximisation of channel")
	dead := strings.Count(sec.Note, "no synthesised input")
	if sec.Err != nil || strings.Count(sec.Body.HTML, `class="cl-channel-row"`) != 4 || pictures == 0 || pictures < 4 && dead != 1 {
		t.Errorf("section: %v, %d pictures; note %q", sec.Err, pictures, sec.Note)
	}
	if _, err := report.FindChannelExamples(m, ds, "fc1", report.ChannelExampleOptions{}); err == nil {
		t.Error("a dense layer accepted")
	}
}

// BenchmarkChannelExamples times the dataset examples of every channel of TinyVGG's last
// convolution over 10,000 images of 64×64×3 (XLA CPU). Target: ≤ 30 s.
func BenchmarkChannelExamples(b *testing.B) {
	spec := layers.TinyVGG(64, 64, 3, 10)
	m, err := layers.New(spec, testutil.XLA(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	ds, err := data.Synthetic(10_000, 64, 64, 3, 10, 1)
	if err != nil {
		b.Fatal(err)
	}
	layer := explain.LastConvLayer(spec)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := report.FindChannelExamples(m, ds, layer, report.ChannelExampleOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Several layers in one pass find what one pass per layer finds.
func TestChannelExamplesOfSeveralLayersInOnePass(t *testing.T) {
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Synthetic(300, 28, 28, 1, 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"conv1", "pool2"}
	both, err := report.FindChannelExamplesOf(m, ds, names, report.ChannelExampleOptions{Top: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		one, err := report.FindChannelExamples(m, ds, name, report.ChannelExampleOptions{Top: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, both[i]) {
			t.Errorf("%s: one pass for two layers differs from its own pass", name)
		}
	}
	if _, err := report.FindChannelExamplesOf(m, ds, []string{"conv1", "fc1"}, report.ChannelExampleOptions{}); err == nil {
		t.Error("a layer without channels of an image: no error")
	}
}

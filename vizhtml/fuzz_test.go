package vizhtml

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
)

// arrayFrom decodes fuzz bytes: a rank byte, 2-byte dimensions (so shapes can claim far
// more values than exist), then little-endian float32 values (NaN and Inf included).
func arrayFrom(b []byte) (nd.Array, []byte) {
	if len(b) == 0 {
		return nd.Array{}, nil
	}
	rank := int(b[0] % 5)
	b = b[1:]
	var a nd.Array
	for i := 0; i < rank && len(b) >= 2; i++ {
		a.Shape = append(a.Shape, int(binary.LittleEndian.Uint16(b))%6000)
		b = b[2:]
	}
	n := min(len(b)/4, 1<<16)
	for i := 0; i < n; i++ {
		a.Data = append(a.Data, math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return a, b[4*n:]
}

func seedArrays(f *testing.F) {
	enc := func(shape []int, values ...float32) []byte {
		b := []byte{byte(len(shape))}
		for _, d := range shape {
			b = binary.LittleEndian.AppendUint16(b, uint16(d))
		}
		for _, v := range values {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	f.Add(enc([]int{2, 2, 1}, 0, 1, 2, 3))
	f.Add(enc([]int{2, 2, 1}, 0, nan, 2, 3))
	f.Add(enc([]int{2, 2}, inf, 1, -inf, 3))
	f.Add(enc([]int{}))
	f.Add(enc([]int{0, 3, 1}))
	f.Add(enc([]int{5000, 5000, 64}, 1, 2, 3))
	f.Add(enc([]int{3, 3, 3, 2}, make([]float32, 54)...))
	f.Add(enc([]int{1, 1, 1, 1}, 7))
	f.Add([]byte{})
}

func noPanic(t *testing.T, name string, fn func() error) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", name, r)
		}
	}()
	_ = fn()
}

func FuzzFeatureMaps(f *testing.F) {
	seedArrays(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		maps, rest := arrayFrom(b)
		input, _ := arrayFrom(rest)
		noPanic(t, "FeatureMaps", func() error {
			_, err := FeatureMaps(input, maps, FeatureMapOptions{SharedScale: len(b)%2 == 0})
			return err
		})
	})
}

func FuzzImageRenderers(f *testing.F) {
	seedArrays(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, rest := arrayFrom(b)
		h, _ := arrayFrom(rest)
		noPanic(t, "HeatPNG", func() error { _, err := HeatPNG(a, Diverging, RangeOf(a.Data, true)); return err })
		noPanic(t, "ImagePNG", func() error { _, err := ImagePNG(a, Range{0, 1}); return err })
		noPanic(t, "Overlay", func() error { _, err := Overlay(a, h, "x", OverlayOptions{}); return err })
		noPanic(t, "Filters", func() error { _, err := Filters(a, FilterOptions{}); return err })
		noPanic(t, "KernelHeatmap", func() error { _, err := KernelHeatmap(a, "k"); return err })
	})
}

func FuzzStatisticsRenderers(f *testing.F) {
	seedArrays(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, _ := arrayFrom(b)
		noPanic(t, "ComputeChannelStats", func() error {
			s, err := ComputeChannelStats(a)
			if err == nil {
				_, err = ActivationStats("layer", s)
			}
			return err
		})
		noPanic(t, "PCA", func() error {
			p, _, err := PCA(a)
			if err == nil {
				_, err = EmbeddingScatter("e", "", p, make([]int, p.Shape[0]), []string{"a"})
			}
			return err
		})
		noPanic(t, "Distributions", func() error {
			edges := make([]float64, 0, len(a.Data)+1)
			counts := make([]int, 0, len(a.Data))
			for i, v := range a.Data {
				edges = append(edges, float64(v))
				counts = append(counts, i%3-1)
			}
			h := nd.Histogram{Edges: append(edges, 1), Counts: counts}
			_, err1 := Distributions("d", []HistogramAt{{Step: 1, Hist: h}}, len(b)%50)
			_, err2 := PercentileBands("p", []HistogramAt{{Step: 1, Hist: h}})
			if err1 != nil {
				return err1
			}
			return err2
		})
		noPanic(t, "Curves", func() error {
			var s nd.Series
			for i, v := range a.Data {
				s.X = append(s.X, float64(i))
				s.Y = append(s.Y, float64(v))
			}
			if len(a.Shape) > 0 {
				s.X = s.X[:len(s.X)/2]
			}
			_, err := TrainingCurves([]nd.Series{s}, nil)
			return err
		})
		noPanic(t, "Confusion", func() error {
			var tr, pr []int
			for i, v := range a.Data {
				tr = append(tr, int(v))
				pr = append(pr, i%4)
			}
			_, err := ConfusionMatrix(tr, pr, []string{"a", "b", "c"})
			return err
		})
	})
}

// FuzzExplorer mutates a valid explorer model (geometry, shapes, parameters, values,
// names, budget) from the fuzz bytes: no input may panic, and a page that renders keeps
// its data parseable and every name out of the markup.
func FuzzExplorer(f *testing.F) {
	f.Add([]byte{}, "name")
	f.Add([]byte{0, 3, 1, 9, 2, 0, 7, 200}, hostile)
	f.Add([]byte{4, 1, 5, 2, 6, 3, 8, 0, 9, 1}, "</script>")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		m, images := tinyExplorer(2)
		opt := ExplorerOptions{}
		for len(b) >= 2 {
			op, v := b[0]%12, int(b[1])
			b = b[2:]
			l := &m.Layers[v%len(m.Layers)]
			switch op {
			case 0:
				l.Kernel = v%7 - 1
			case 1:
				l.Stride, l.Dilation, l.Groups = v%4-1, v%3, v%5-1
			case 2:
				l.Shape = []int{v%7 - 1, v % 5, v % 3}[:1+v%3]
			case 3:
				l.Name = name
			case 4:
				l.Inputs = []string{name}
			case 5:
				l.Kind = []string{"conv2d", "dense", "maxpool2d", "avgpool2d", "batchnorm", "affine", "concat", name}[v%8]
			case 6:
				a, rest := arrayFrom(b)
				b = rest
				l.Params = map[string]nd.Array{"weights": a, "biases": a}
			case 7:
				a, rest := arrayFrom(b)
				b = rest
				images[v%2].Values[m.Layers[v%len(m.Layers)].Name] = a
			case 8:
				images[v%2].CAMs = []ExplorerCAM{{Class: v%5 - 1, Map: ramp(v%4, 3)}}
			case 9:
				m.Input = []int{v % 6, 5, v % 4}
			case 10:
				opt.MaxBytes = v * 512
			case 11:
				m.Classes, m.Logits, images[0].Caption = []string{name}, name, name
			}
		}
		noPanic(t, "Explorer", func() error {
			fr, err := Explorer(m, images, opt)
			if err != nil {
				return err
			}
			if strings.Contains(fr.HTML, "</script><img") {
				t.Fatal("raw hostile markup")
			}
			parseExplorer(t, fr)
			return nil
		})
	})
}

package vizhtml

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
	"golang.org/x/net/html"
)

const hostile = `</script><img src=x onerror=alert(1)>"'&`

func ramp(shape ...int) nd.Array {
	a := nd.New(shape...)
	for i := range a.Data {
		a.Data[i] = float32(math.Sin(float64(i) * 0.37))
	}
	return a
}

// allViews renders one of every view, with hostile strings in every label.
func allViews(t testing.TB) *Page { return viewsLabelled(t, hostile) }

// viewsLabelled is a page with every view, its names and labels set to label.
func viewsLabelled(t testing.TB, hostile string) *Page {
	p := &Page{Title: "report " + hostile, Subtitle: hostile}
	img := ramp(28, 28, 1)
	for i := range img.Data {
		img.Data[i] = (img.Data[i] + 1) / 2
	}
	f, err := FeatureMaps(img, ramp(28, 28, 8), FeatureMapOptions{Title: hostile})
	p.Add(Section{Title: "Feature maps " + hostile, Note: hostile, Body: f, Err: err})
	f, err = Filters(ramp(5, 5, 1, 6), FilterOptions{Title: hostile})
	p.Add(Section{Title: "Filters", Note: "", Body: f, Err: err})
	f, err = Filters(ramp(3, 3, 3, 4), FilterOptions{})
	p.Add(Section{Title: "RGB filters", Note: "", Body: f, Err: err})
	f, err = KernelHeatmap(ramp(5, 5), hostile)
	p.Add(Section{Title: "Kernel", Note: "", Body: f, Err: err})
	// 80 steps × 40 bins = 3,200 cells: above ECharts' progressive-rendering threshold,
	// which once kept headless Chromium from ever finishing the page.
	var snaps []HistogramAt
	for s := 0; s < 80; s++ {
		_, h := nd.Summarize(ramp(1000).Data[s*10:], 20)
		snaps = append(snaps, HistogramAt{Step: int64(s * 10), Hist: h})
	}
	f, err = Distributions(hostile, snaps, 40)
	p.Add(Section{Title: "Distributions", Note: "", Body: f, Err: err})
	f, err = PercentileBands(hostile, snaps)
	p.Add(Section{Title: "Percentile bands", Note: "", Body: f, Err: err})
	series := []nd.Series{{Name: hostile, X: []float64{0, 1, 2}, Y: []float64{3, 2, 1}}, {Name: "held-out", X: []float64{2}, Y: []float64{1.5}}}
	f, err = TrainingCurves(series, series)
	p.Add(Section{Title: "Curves", Note: "", Body: f, Err: err})
	f, err = GradientFlow(series, "norm")
	p.Add(Section{Title: "Gradient flow", Note: "", Body: f, Err: err})
	f, err = Architecture(hostile, []int{28, 28, 1}, []ArchLayer{{Name: hostile, Kind: "conv2d", Activation: hostile, OutShape: []int{28, 28, 6}, Params: 156, FLOPs: 1000}})
	p.Add(Section{Title: "Architecture", Note: "", Body: f, Err: err})
	f, err = Overlay(img, ramp(7, 7), hostile, OverlayOptions{})
	p.Add(Section{Title: "Overlay", Note: "", Body: f, Err: err})
	classes := []string{hostile, "b", "c"}
	f, err = ConfusionMatrix([]int{0, 1, 2, 2}, []int{0, 2, 2, 1}, classes)
	p.Add(Section{Title: "Confusion", Note: "", Body: f, Err: err})
	f, err = Gallery(hostile, []Example{{Image: img, True: 0, Pred: 1, Confidence: 0.9}}, classes, 0)
	p.Add(Section{Title: "Gallery", Note: "", Body: f, Err: err})
	pts, _, err := PCA(ramp(30, 5))
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int, 30)
	for i := range labels {
		labels[i] = i % 3
	}
	f, err = EmbeddingScatter(hostile, hostile, pts, labels, classes)
	p.Add(Section{Title: "Embedding", Note: "", Body: f, Err: err})
	st, err := ComputeChannelStats(ramp(4, 6, 6, 5))
	if err != nil {
		t.Fatal(err)
	}
	f, err = ActivationStats(hostile, st)
	p.Add(Section{Title: "Activation statistics", Note: "", Body: f, Err: err})
	f, err = ClassProbabilities(hostile, []float32{1, 3, -2}, classes)
	p.Add(Section{Title: "Class probabilities", Note: "", Body: f, Err: err})
	f, err = UnitValues(hostile, []float32{1, 3, -2}, classes)
	p.Add(Section{Title: "Unit values", Note: "", Body: f, Err: err})
	f, err = WorkedConvolution(hostile, img.Channel(0), nd.Array{Shape: []int{3, 3}, Data: []float32{0, 1, 0, 1, -4, 1, 0, 1, 0}}, 0.1, WorkedWindow{Row: 0, Col: 5, Pad: 1}, 0)
	p.Add(Section{Title: "Worked convolution", Note: "", Body: f, Err: err})
	f, err = WorkedPooling(hostile, img.Channel(0), 2, 3, 3, 0.5)
	p.Add(Section{Title: "Worked pooling", Note: "", Body: f, Err: err})
	f, err = StrideAndPadding(hostile, 7, 3, 2, 1)
	p.Add(Section{Title: "Stride and padding", Note: "", Body: f, Err: err})
	for _, s := range p.Sections {
		if s.Err != nil {
			t.Fatalf("section %q: %v", s.Title, s.Err)
		}
	}
	return p
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// The page parses back with every section, one ECharts library, one script per chart
// container, images that decode as PNG, and hostile labels only as text.
func TestPageStructureAndEscaping(t *testing.T) {
	p := allViews(t)
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var sections, charts, libraries, scripts, images int
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "div":
			if strings.Contains(attr(n, "class"), "cl-section") {
				sections++
			}
			if attr(n, "class") == "cl-chart" {
				charts++
			}
		case "script":
			scripts++
			if n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "echarts.apache.org") || n.FirstChild != nil && len(n.FirstChild.Data) > 500000 {
				libraries++
			}
		case "img":
			images++
			if attr(n, "onerror") != "" || attr(n, "src") == "x" {
				t.Errorf("hostile <img> became an element: %v", n.Attr)
			}
			src := attr(n, "src")
			if !strings.HasPrefix(src, "data:image/png;base64,") {
				t.Errorf("image source %.40q is not an inline PNG", src)
			}
		}
	})
	if sections != len(p.Sections) {
		t.Errorf("%d sections in HTML, page has %d", sections, len(p.Sections))
	}
	if charts != p.Charts() || charts < 8 {
		t.Errorf("%d chart containers, page counts %d", charts, p.Charts())
	}
	if libraries != 1 {
		t.Errorf("%d copies of the ECharts library", libraries)
	}
	// 3 library tags + one per chart + one per log/linear toggle (the loss chart's).
	toggles := strings.Count(buf.String(), `-scale" type="button"`)
	if scripts != charts+3+toggles || toggles != 1 {
		t.Errorf("%d scripts for %d charts and %d scale toggles", scripts, charts, toggles)
	}
	if images < 20 {
		t.Errorf("only %d images", images)
	}
	if !strings.Contains(buf.String(), "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("hostile label not found escaped in the text")
	}
	if strings.Count(buf.String(), "</script><img") != 0 {
		t.Error("raw hostile markup in the output")
	}
}

func TestPNGSizesAndColormapEndpoints(t *testing.T) {
	a := nd.Array{Shape: []int{2, 3}, Data: []float32{0, 0.5, 1, 1, 0.5, 0}}
	for _, c := range []struct {
		cmap        Colormap
		lo, mid, hi [3]uint8
	}{
		{Viridis, [3]uint8{68, 1, 84}, [3]uint8{33, 145, 140}, [3]uint8{253, 231, 37}},
		{Gray, [3]uint8{0, 0, 0}, [3]uint8{128, 128, 128}, [3]uint8{255, 255, 255}},
		{Diverging, [3]uint8{33, 102, 172}, [3]uint8{247, 247, 247}, [3]uint8{178, 24, 43}},
	} {
		b, err := HeatPNG(a, c.cmap, Range{0, 1})
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 3 || img.Bounds().Dy() != 2 {
			t.Errorf("%s: size %v", c.cmap, img.Bounds())
		}
		for x, want := range [][3]uint8{c.lo, c.mid, c.hi} {
			r, g, bl, _ := img.At(x, 0).RGBA()
			got := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			if diff(got, want) > 2 {
				t.Errorf("%s at %d: %v, want %v", c.cmap, x, got, want)
			}
		}
	}
	b, err := OverlayPNG(ramp(10, 12, 3), ramp(5, 6), OverlayOptions{Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(b))
	if img.Bounds().Dx() != 24 || img.Bounds().Dy() != 20 {
		t.Errorf("overlay size %v, want 24x20", img.Bounds())
	}
}

func diff(a, b [3]uint8) int {
	d := 0
	for i := range a {
		x := int(a[i]) - int(b[i])
		d = max(d, x, -x)
	}
	return d
}

// A 64-channel 28×28 feature-map grid stays within 150 KB; 500 channels are capped with a note.
func TestFeatureMapSizeBound(t *testing.T) {
	maps := nd.New(28, 28, 64)
	for i := range maps.Data { // realistic, noisy activations
		maps.Data[i] = float32(math.Max(0, math.Sin(float64(i)*1.7)*math.Cos(float64(i%28)*0.3)))
	}
	f, err := FeatureMaps(ramp(28, 28, 1), maps, FeatureMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.HTML) > 150_000 {
		t.Errorf("64-channel grid is %d bytes, bound 150000", len(f.HTML))
	}
	t.Logf("64-channel 28x28 grid: %d bytes", len(f.HTML))
	f, err = FeatureMaps(nd.Array{}, ramp(4, 4, 500), FeatureMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(f.HTML, "<img") != 64 || !strings.Contains(f.HTML, "Showing 64 of 500 channels") {
		t.Error("500 channels were not capped at 64 with a note")
	}
}

func TestBadInputsGiveErrors(t *testing.T) {
	nan := ramp(4, 4, 2)
	nan.Data[3] = float32(math.NaN())
	inf := ramp(4, 4)
	inf.Data[0] = float32(math.Inf(-1))
	checks := map[string]error{}
	_, checks["nan feature maps"] = FeatureMaps(nd.Array{}, nan, FeatureMapOptions{})
	_, checks["bad colormap"] = FeatureMaps(nd.Array{}, ramp(4, 4, 2), FeatureMapOptions{Colormap: "rainbow"})
	_, checks["shape mismatch"] = FeatureMaps(nd.Array{}, nd.Array{Shape: []int{4, 4, 2}, Data: make([]float32, 5)}, FeatureMapOptions{})
	_, checks["inf heat"] = HeatPNG(inf, Viridis, Range{0, 1})
	_, checks["huge image"] = HeatPNG(nd.New(5000, 2), Viridis, Range{0, 1})
	_, checks["filters rank"] = Filters(ramp(3, 3, 3), FilterOptions{})
	_, checks["empty distributions"] = Distributions("x", nil, 10)
	_, checks["confusion out of range"] = ConfusionMatrix([]int{0, 5}, []int{0, 1}, []string{"a", "b"})
	_, checks["confusion lengths"] = ConfusionMatrix([]int{0}, []int{0, 1}, []string{"a", "b"})
	_, checks["curves mismatch"] = TrainingCurves([]nd.Series{{X: []float64{1, 2}, Y: []float64{1}}}, nil)
	_, _, checks["pca tiny"] = PCA(ramp(2, 2))
	_, checks["overlay alpha"] = OverlayPNG(ramp(4, 4, 1), ramp(4, 4), OverlayOptions{Alpha: 3})
	_, checks["stats rank"] = ComputeChannelStats(ramp(4, 4, 4))
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A NaN or infinite x is a gap in a line chart, as a NaN y is; the chart's data parse back.
func TestLineChartGapsForNonFiniteX(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	f, err := LineChart("curve", "step", "loss", []nd.Series{{Name: "a", X: []float64{0, nan, 2, inf}, Y: []float64{1, 2, nan, 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.HTML, "NaN") || strings.Contains(f.HTML, "Inf") {
		t.Errorf("non-finite values reached the chart: %s", f.HTML)
	}
	if !strings.Contains(f.HTML, "[null,null]") || !strings.Contains(f.HTML, "[2,null]") || !strings.Contains(f.HTML, "[0,1]") {
		t.Errorf("want points [0,1], gaps [null,null] for x NaN/Inf and [2,null] for y NaN: %s", f.HTML)
	}
}

// The static picture is drawn from the chart's own option: decoded back, a flat series at
// y = 0.5 on a [0, 1] axis lies on the row the axis maps 0.5 to, in the series colour;
// a heatmap's cells take its colour scale's ends.
// decodeStatic returns the first static chart picture of f.
func decodeStatic(t *testing.T, f Fragment) image.Image {
	t.Helper()
	i := strings.Index(f.HTML, `class="chart-static"><img src="data:image/png;base64,`)
	if i < 0 {
		t.Fatalf("no static picture in %.200s", f.HTML)
	}
	rest := f.HTML[i+len(`class="chart-static"><img src="data:image/png;base64,`):]
	b, err := base64.StdEncoding.DecodeString(rest[:strings.IndexByte(rest, '"')])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestStaticPictureDrawsTheData(t *testing.T) {
	decode := func(f Fragment) image.Image { return decodeStatic(t, f) }
	f, err := LineChart("flat", "step", "value", []nd.Series{
		{Name: "half", X: []float64{0, 10}, Y: []float64{0.5, 0.5}},
		{Name: "ends", X: []float64{0, 10}, Y: []float64{0, 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(f)
	if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 322 {
		t.Errorf("picture %v, want 900×322 (the chart's 340 px less the hint)", b)
	}
	// The plot spans y 72 (value 1) to 280 (value 0) and x 64 (0) to 876 (10); at x = 2.5
	// "half" is at 0.5 and "ends" at 0.25.
	x := int(math.Round(64 + 0.25*(876-64)))
	for _, c := range []struct {
		v      float64
		colour string
	}{{0.5, "#5470c6"}, {0.25, "#91cc75"}} {
		y := int(math.Round(280 - c.v*(280-72)))
		got := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
		// Antialiased: within a few percent of the series colour, far from the other.
		want := parseColor(c.colour)
		if d := math.Abs(float64(got.R)-float64(want.R)) + math.Abs(float64(got.G)-float64(want.G)) + math.Abs(float64(got.B)-float64(want.B)); d > 90 {
			t.Errorf("pixel (%d, %d) for value %v is %v, want the series colour %v", x, y, c.v, got, want)
		}
	}
	if r, _, _, _ := img.At(x, int(280-0.75*(280-72))).RGBA(); r>>8 < 200 {
		t.Errorf("at value 0.75, where no series is, the picture is not background: %v", img.At(x, int(280-0.75*(280-72))))
	}
	hm, err := KernelHeatmap(nd.Array{Shape: []int{2, 2}, Data: []float32{-1, 1, 1, -1}}, "k")
	if err != nil {
		t.Fatal(err)
	}
	himg := decode(hm)
	lo, hi := parseColor(Diverging.Stops(9)[0]), parseColor(Diverging.Stops(9)[8])
	hb := himg.Bounds()
	// Top-left cell is kernel row 0 (drawn at the top), column 0: −1, the low end.
	c := color.RGBAModel.Convert(himg.At(64+10, 72+10)).(color.RGBA)
	if c != lo && c != hi {
		t.Errorf("heatmap cell colour %v is neither end of the scale (%v, %v); picture %v", c, lo, hi, hb)
	}
}

// A fragment's charts stack into one picture (a notebook output carries one image/png).
func TestFragmentPictureStacksCharts(t *testing.T) {
	a, err := LineChart("a", "x", "y", []nd.Series{{Name: "s", X: []float64{0, 1}, Y: []float64{0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := KernelHeatmap(nd.Array{Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, "k")
	if err != nil {
		t.Fatal(err)
	}
	j := Join(a, Fragment{HTML: "<p>text</p>"}, b)
	if len(j.Pictures) != 2 {
		t.Fatalf("%d pictures for 2 charts", len(j.Pictures))
	}
	pic, err := j.Picture()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	ia, _ := png.Decode(bytes.NewReader(a.Pictures[0]))
	ib, _ := png.Decode(bytes.NewReader(b.Pictures[0]))
	if got, want := img.Bounds().Dy(), ia.Bounds().Dy()+ib.Bounds().Dy(); got != want {
		t.Errorf("stacked height %d, want %d", got, want)
	}
	if p, _ := (Fragment{HTML: "x"}).Picture(); p != nil {
		t.Error("a fragment without charts has a picture")
	}
}

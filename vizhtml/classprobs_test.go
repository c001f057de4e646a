package vizhtml

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
)

var setOptionRE = regexp.MustCompile(`c\.setOption\((\{.*?\})\);`)

// The bars are the softmax of the logits (computed independently here), one per class name,
// the most likely class named in the subtitle; the chart has its static picture.
func TestClassProbabilitiesAreTheSoftmax(t *testing.T) {
	logits := []float32{2, -1, 0.5, 7, 7.25}
	classes := []string{"zero", hostile, "two", "three", "four"}
	f, err := ClassProbabilities("scores", logits, classes)
	if err != nil {
		t.Fatal(err)
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil || !strings.Contains(f.HTML, `class="chart-static"`) || strings.Contains(f.HTML, hostile) {
		t.Fatal("no option, no static picture, or an unescaped class name")
	}
	var opt struct {
		Title  struct{ Subtext string }  `json:"title"`
		XAxis  []struct{ Data []string } `json:"xAxis"`
		Series []struct {
			Data []struct{ Value float64 } `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(m[1]), &opt); err != nil {
		t.Fatal(err)
	}
	den := 0.0
	for _, v := range logits {
		den += math.Exp(float64(v))
	}
	sum := 0.0
	for i, d := range opt.Series[0].Data {
		want := math.Exp(float64(logits[i])) / den
		if math.Abs(d.Value-want) > 1e-4 {
			t.Errorf("class %d: bar %v, softmax %v", i, d.Value, want)
		}
		sum += d.Value
	}
	if len(opt.Series[0].Data) != 5 || math.Abs(sum-1) > 1e-3 || strings.Join(opt.XAxis[0].Data, ",") != strings.Join(classes, ",") {
		t.Errorf("%d bars summing to %v over %v", len(opt.Series[0].Data), sum, opt.XAxis[0].Data)
	}
	if want := fmt.Sprintf("most likely: four (%.1f%%", 100*math.Exp(7.25)/den); !strings.HasPrefix(opt.Title.Subtext, want) {
		t.Errorf("subtitle %q", opt.Title.Subtext)
	}
	if p := Softmax([]float32{1000, 0}); math.IsNaN(p[0]) || p[0] != 1 {
		t.Errorf("softmax of large logits: %v", p)
	}
	for _, bad := range [][]float32{{1, float32(math.NaN()), 0, 0, 0}, {1, 2}, nil} {
		if _, err := ClassProbabilities("", bad, classes[:min(len(classes), 5)]); err == nil {
			t.Errorf("logits %v accepted", bad)
		}
	}
}

// Every heatmap of every view names both its axes.
func TestHeatmapsNameTheirAxes(t *testing.T) {
	heatmaps := 0
	for _, s := range allViews(t).Sections {
		for _, m := range setOptionRE.FindAllStringSubmatch(s.Body.HTML, -1) {
			var opt struct {
				XAxis  []struct{ Name string } `json:"xAxis"`
				YAxis  []struct{ Name string } `json:"yAxis"`
				Series []struct{ Type string } `json:"series"`
			}
			if err := json.Unmarshal([]byte(m[1]), &opt); err != nil {
				t.Fatal(err)
			}
			if len(opt.Series) == 0 || opt.Series[0].Type != "heatmap" {
				continue
			}
			heatmaps++
			if len(opt.XAxis) == 0 || len(opt.YAxis) == 0 || opt.XAxis[0].Name == "" || opt.YAxis[0].Name == "" {
				t.Errorf("section %q: a heatmap without axis names", s.Title)
			}
		}
	}
	if heatmaps < 3 {
		t.Errorf("%d heatmaps checked, want the kernel, distribution and confusion heatmaps", heatmaps)
	}
}

// Tiles on one scale get one colour bar with that scale's ends; tiles on their own scales
// each say their range.
func TestTileGridsShowTheirScales(t *testing.T) {
	maps := ramp(6, 6, 3)
	shared, err := FeatureMaps(nd.Array{}, maps, FeatureMapOptions{SharedScale: true, Colormap: Diverging})
	if err != nil {
		t.Fatal(err)
	}
	r := RangeOf(maps.Data, true)
	m := regexp.MustCompile(`class="cl-scale" data-lo="([^"]+)" data-hi="([^"]+)"`).FindAllStringSubmatch(shared.HTML, -1)
	if len(m) != 1 || m[0][1] != fmt.Sprintf("%g", r.Lo) || m[0][2] != fmt.Sprintf("%g", r.Hi) {
		t.Errorf("shared scale bars %v, want one from %g to %g", m, r.Lo, r.Hi)
	}
	own, err := FeatureMaps(nd.Array{}, maps, FeatureMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 3; c++ {
		cr := RangeOf(maps.Channel(c).Data, false)
		if !strings.Contains(own.HTML, scaleLabel(cr.Lo)+" … "+scaleLabel(cr.Hi)+"</span>") {
			t.Errorf("channel %d's range %v … %v is not under its tile", c, cr.Lo, cr.Hi)
		}
	}
	if strings.Contains(own.HTML, "cl-scale") {
		t.Error("per-channel tiles got a shared colour bar")
	}
	filters, err := Filters(ramp(3, 3, 1, 4), FilterOptions{})
	if err != nil || strings.Count(filters.HTML, `class="cl-scale"`) != 1 {
		t.Errorf("filters: %v, %d colour bars", err, strings.Count(filters.HTML, `class="cl-scale"`))
	}
}

// The confusion matrix colours the mistakes only: off-diagonal counts as cells on a scale
// up to the largest mistake, the diagonal blank and stated in the row labels.
func TestConfusionMatrixShowsTheMistakes(t *testing.T) {
	truth := []int{0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2}
	pred := []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0}
	f, err := ConfusionMatrix(truth, pred, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	var opt struct {
		YAxis     []struct{ Data []string } `json:"yAxis"`
		VisualMap []struct{ Max float64 }   `json:"visualMap"`
		Series    []struct {
			Data []struct{ Value []any } `json:"data"`
		} `json:"series"`
	}
	if m == nil || json.Unmarshal([]byte(m[1]), &opt) != nil {
		t.Fatal("no chart option")
	}
	cells := map[[2]int]any{}
	for _, d := range opt.Series[0].Data {
		x, y := int(d.Value[0].(float64)), 2-int(d.Value[1].(float64)) // row 0 is drawn at the top
		cells[[2]int{y, x}] = d.Value[2]
	}
	want := map[[2]int]any{{0, 1}: 1.0, {0, 2}: 0.0, {1, 0}: 0.0, {1, 2}: 1.0, {2, 0}: 2.0, {2, 1}: 0.0}
	for k, v := range want {
		if cells[k] != v {
			t.Errorf("true %d, predicted %d: %v, want %v", k[0], k[1], cells[k], v)
		}
	}
	for c := 0; c < 3; c++ {
		if cells[[2]int{c, c}] != nil {
			t.Errorf("diagonal cell %d coloured: %v", c, cells[[2]int{c, c}])
		}
	}
	if opt.VisualMap[0].Max != 2 || strings.Join(opt.YAxis[0].Data, "|") != "c (3 of 5 right, 60%)|b (2 of 3 right, 67%)|a (3 of 4 right, 75%)" {
		t.Errorf("scale up to %v, rows %q", opt.VisualMap[0].Max, opt.YAxis[0].Data)
	}
}

// The activation statistics' legend names the red (dead) bars, in their colour, without
// adding bars.
func TestActivationStatsLegendNamesDeadChannels(t *testing.T) {
	st := ChannelStats{Mean: []float64{0.5, 0, 0.2}, Sparsity: []float64{0.4, 1, 0.6}, Dead: []bool{false, true, false}}
	f, err := ActivationStats("conv1", st)
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Series []struct {
			Name, Type string
			ItemStyle  struct{ Color string } `json:"itemStyle"`
		} `json:"series"`
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil || json.Unmarshal([]byte(m[1]), &opt) != nil {
		t.Fatal("no chart option")
	}
	var types []string
	for _, s := range opt.Series {
		types = append(types, s.Type)
	}
	if len(opt.Series) != 3 || strings.Join(types, ",") != "bar,bar,line" || opt.Series[2].ItemStyle.Color != "#d62728" || !strings.Contains(opt.Series[2].Name, "dead") {
		t.Errorf("series %+v", opt.Series)
	}
}

// Mean activation and share ≤ 0 have their own axes (the share on the right, 0 to 1), in
// the live chart and its static picture: a share of 1 reaches the top of the plot while
// the largest mean (0.5) stays at its own axis' scale.
func TestActivationStatsShareHasItsOwnAxis(t *testing.T) {
	st := ChannelStats{Mean: []float64{0.5, 0, 0.2}, Sparsity: []float64{0.4, 1, 0.6}, Dead: []bool{false, true, false}}
	f, err := ActivationStats("conv1", st)
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		YAxis []struct {
			Name     string
			Position string
			Max      float64
		} `json:"yAxis"`
		Series []struct {
			Name       string
			YAxisIndex int `json:"yAxisIndex"`
		} `json:"series"`
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil || json.Unmarshal([]byte(m[1]), &opt) != nil {
		t.Fatal("no chart option")
	}
	if len(opt.YAxis) != 2 || opt.YAxis[1].Position != "right" || opt.YAxis[1].Max != 1 || opt.Series[0].YAxisIndex != 0 || opt.Series[1].YAxisIndex != 1 {
		t.Fatalf("axes %+v, series %+v", opt.YAxis, opt.Series)
	}
	// Static picture (300 px chart: plot from y 72 to 240): channel 1's share bar (red,
	// value 1) reaches the top; channel 0's mean (0.5 on a 0…0.5 axis) too; channel 2's
	// mean (0.2) stays below half way.
	img := decodeStatic(t, f)
	band := (float64(img.Bounds().Dx()-24-36) - 64) / 3
	colourAt := func(channel, series int, v float64) color.RGBA {
		x := 64 + band*(float64(channel)+0.15) + band*0.35*(float64(series)+0.5)
		return color.RGBAModel.Convert(img.At(int(x), int(240-v*(240-72)))).(color.RGBA)
	}
	red, blue := parseColor("#d62728"), parseColor("#5470c6")
	if got := colourAt(1, 1, 0.97); got != red {
		t.Errorf("dead channel's share bar near the top: %v, want %v", got, red)
	}
	if got := colourAt(0, 0, 0.97); got != blue {
		t.Errorf("largest mean near the top: %v, want %v", got, blue)
	}
	if got := colourAt(2, 0, 0.6); got == blue || colourAt(2, 0, 0.3) != blue {
		t.Errorf("mean 0.2 of 0.5 reaches 60 %% of the plot: %v", got)
	}
}

// A given range puts two layers on one scale: the same value has the same colour in both
// grids (though their own ranges differ), and both colour bars show that range.
func TestFeatureMapsShareAGivenRange(t *testing.T) {
	pre := nd.Array{Shape: []int{1, 2, 1}, Data: []float32{-2, 1}}
	post := nd.Array{Shape: []int{1, 2, 1}, Data: []float32{0, 1}}
	r := Range{-2, 2}
	firstTile := func(f Fragment) image.Image {
		t.Helper()
		m := regexp.MustCompile(`<div class="cl-tile"><img src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(f.HTML)
		if m == nil {
			t.Fatal("no tile")
		}
		b, _ := base64.StdEncoding.DecodeString(m[1])
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	var tiles []image.Image
	for _, maps := range []nd.Array{pre, post} {
		f, err := FeatureMaps(nd.Array{}, maps, FeatureMapOptions{Colormap: Diverging, Range: r})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(f.HTML, `class="cl-scale" data-lo="-2" data-hi="2"`) {
			t.Errorf("colour bar lacks the given range: %.300s", f.HTML)
		}
		tiles = append(tiles, firstTile(f))
	}
	right := func(img image.Image) color.Color { b := img.Bounds(); return img.At(b.Max.X-1, 0) }
	if a, b := color.RGBAModel.Convert(right(tiles[0])), color.RGBAModel.Convert(right(tiles[1])); a != b {
		t.Errorf("value 1 is %v before and %v after the ReLU on one scale", a, b)
	}
	if _, err := FeatureMaps(nd.Array{}, pre, FeatureMapOptions{Range: Range{math.NaN(), 1}}); err == nil {
		t.Error("a NaN range was accepted")
	}
}

// A dense layer's outputs as bars: values and signs kept, the strongest units named, and
// in the static picture a negative unit's bar hangs below the zero line in blue.
func TestUnitValuesAreSignedBars(t *testing.T) {
	f, err := UnitValues("fc2", []float32{1, -2, 0, 0.5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Title  struct{ Subtext string } `json:"title"`
		Series []struct {
			Data []struct {
				Name      string
				Value     float64
				ItemStyle struct{ Color string } `json:"itemStyle"`
			} `json:"data"`
		} `json:"series"`
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil || json.Unmarshal([]byte(m[1]), &opt) != nil || len(opt.Series) != 1 {
		t.Fatal("no chart option")
	}
	var got []string
	for _, d := range opt.Series[0].Data {
		got = append(got, fmt.Sprintf("%s=%g:%s", d.Name, d.Value, d.ItemStyle.Color))
	}
	if want := "0=1:#d6604d 1=-2:#4393c3 2=0:#d6604d 3=0.5:#d6604d"; strings.Join(got, " ") != want {
		t.Errorf("bars %s, want %s", strings.Join(got, " "), want)
	}
	if want := "strongest: 1 (-2), 0 (1), 3 (0.5); 1 of 4 exactly 0"; opt.Title.Subtext != want {
		t.Errorf("subtitle %q, want %q", opt.Title.Subtext, want)
	}
	// 260 px chart, 320 px wide: plot y 72 (1) … 200 (−2), zero at 114.7; x 64…296.
	img := decodeStatic(t, f)
	x := int(64 + (296-64.0)/4*1.5)
	if c := color.RGBAModel.Convert(img.At(x, 185)).(color.RGBA); c != parseColor("#4393c3") {
		t.Errorf("below zero at unit 1: %v, want blue", c)
	}
	if c := color.RGBAModel.Convert(img.At(x, 95)).(color.RGBA); c == parseColor("#4393c3") {
		t.Errorf("unit 1's bar reaches above zero")
	}
	for _, bad := range []struct {
		v []float32
		l []string
	}{{nil, nil}, {[]float32{float32(math.NaN())}, nil}, {[]float32{1, 2}, []string{"a"}}} {
		if _, err := UnitValues("x", bad.v, bad.l); err == nil {
			t.Errorf("UnitValues(%v, %v) gave no error", bad.v, bad.l)
		}
	}
}

// A channel that is one value everywhere (dead, or all-zero filters) says so, not "0 … 0"
// or "-0 … 0".
func TestConstantTilesSayTheirValue(t *testing.T) {
	f, err := FeatureMaps(nd.Array{}, nd.New(4, 4, 2), FeatureMapOptions{Colormap: Diverging})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Filters(nd.New(3, 3, 1, 2), FilterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{f.HTML, g.HTML} {
		if strings.Contains(h, "0 … 0") || strings.Contains(h, "-0") || !strings.Contains(h, "all 0") {
			t.Errorf("constant tiles: %q", regexp.MustCompile(`<span[^>]*>[^<]*</span>|scale [^<]*`).FindAllString(h, -1))
		}
	}
}

// Only visible probabilities get a label, as a percentage (tiny ones would overlap).
func TestClassProbabilityLabels(t *testing.T) {
	f, err := ClassProbabilities("p", []float32{10, 0, 5}, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Series []struct {
			Data []struct {
				Label struct {
					Show      bool
					Formatter string
				}
			} `json:"data"`
		} `json:"series"`
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil || json.Unmarshal([]byte(m[1]), &opt) != nil {
		t.Fatal("no chart option")
	}
	var got []string
	for _, d := range opt.Series[0].Data {
		got = append(got, fmt.Sprintf("%v:%s", d.Label.Show, d.Label.Formatter))
	}
	// softmax(10, 0, 5) = 99.3 %, 0.0045 %, 0.669 %
	if want := "true:99.3% false:0.00451% true:0.669%"; strings.Join(got, " ") != want {
		t.Errorf("labels %s, want %s", strings.Join(got, " "), want)
	}
}

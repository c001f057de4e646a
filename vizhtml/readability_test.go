package vizhtml

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
)

// A series that runs on top of an earlier one (LeakyReLU over ReLU for x > 0) is dashed,
// so both stay visible; one that differs everywhere keeps a solid line.
func TestCoincidingSeriesAreDashed(t *testing.T) {
	relu, leaky, tanh := nd.Series{Name: "ReLU"}, nd.Series{Name: "LeakyReLU"}, nd.Series{Name: "Tanh"}
	for i := -50; i <= 50; i++ {
		x := float64(i) / 10
		relu.X, relu.Y = append(relu.X, x), append(relu.Y, math.Max(x, 0))
		leaky.X, leaky.Y = append(leaky.X, x), append(leaky.Y, math.Max(x, 0.1*x))
		tanh.X, tanh.Y = append(tanh.X, x), append(tanh.Y, math.Tanh(x)+3)
	}
	f, err := LineChart("activations", "x", "y", []nd.Series{relu, leaky, tanh})
	if err != nil {
		t.Fatal(err)
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil {
		t.Fatal("no chart option")
	}
	var opt struct {
		Series []struct {
			Name      string `json:"name"`
			LineStyle struct {
				Type string `json:"type"`
			} `json:"lineStyle"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(m[1]), &opt); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ReLU": "", "LeakyReLU": "dashed", "Tanh": ""}
	if len(opt.Series) != 3 {
		t.Fatalf("%d series", len(opt.Series))
	}
	for _, s := range opt.Series {
		if s.LineStyle.Type != want[s.Name] {
			t.Errorf("%s drawn %q, want %q", s.Name, s.LineStyle.Type, want[s.Name])
		}
	}
	// The static picture draws it too (TestDashesCoverTheirShare checks the dashes).
	if _, err := f.Picture(); err != nil {
		t.Fatal(err)
	}
}

func TestDashesCoverTheirShare(t *testing.T) {
	run := [][2]float64{{0, 0}, {30, 0}, {30, 40}} // 70 px long
	dashes := dashed([][][2]float64{run}, 8, 6)
	drawn := 0.0
	for _, d := range dashes {
		for k := 1; k < len(d); k++ {
			drawn += math.Hypot(d[k][0]-d[k-1][0], d[k][1]-d[k-1][1])
		}
	}
	// 70 = 5 × (8 + 6): five dashes of 8.
	if len(dashes) != 5 || math.Abs(drawn-40) > 1e-9 {
		t.Errorf("%d dashes, %.3f px drawn; want 5 and 40", len(dashes), drawn)
	}
	// A dash turns the corner at (30, 0): the third dash runs from (28, 0) through it.
	if d := dashes[2]; len(d) != 3 || d[1] != [2]float64{30, 0} {
		t.Errorf("third dash %v does not follow the corner", d)
	}
}

// A colour scale of ±0.476 reads "0.476" and "-0.476" at its ends, never "0" / "-0".
func TestColourScaleEndsKeepTheirDigits(t *testing.T) {
	k := nd.Array{Shape: []int{2, 2}, Data: []float32{0.476, -0.476, 0.1, 0}}
	f, err := KernelHeatmap(k, "small weights")
	if err != nil {
		t.Fatal(err)
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	var opt struct {
		VisualMap []struct {
			Calculable bool     `json:"calculable"`
			Text       []string `json:"text"`
		} `json:"visualMap"`
	}
	if m == nil || json.Unmarshal([]byte(m[1]), &opt) != nil || len(opt.VisualMap) != 1 {
		t.Fatalf("no visual map in %q", f.HTML[:min(300, len(f.HTML))])
	}
	v := opt.VisualMap[0]
	if v.Calculable || len(v.Text) != 2 || v.Text[0] != "0.476" || v.Text[1] != "-0.476" {
		t.Errorf("visual map: calculable %v (handles labelled as integers), ends %q", v.Calculable, v.Text)
	}
}

var imgSrcRE = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`)

// A signed map is drawn on its own (zero is white even on a black background, where a
// blend would show the image), an unsigned one over its image; a constant map says so; the
// last row holds each column's colour scale.
func TestAttributionGridDrawsSignedMapsApart(t *testing.T) {
	img := nd.New(4, 4, 1) // black
	signed := nd.New(4, 4)
	signed.Data[0], signed.Data[15] = 1, -1
	blank := nd.New(4, 4)
	f, err := AttributionGrid([]nd.Array{img}, []string{"a <b>"}, []AttributionColumn{
		{Method: "gradient×input", Maps: []nd.Array{signed}, Signed: true},
		{Method: "grad-cam", Maps: []nd.Array{blank}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srcs := imgSrcRE.FindAllStringSubmatch(f.HTML, -1)
	if len(srcs) < 5 { // image, two maps, two legend strips
		t.Fatalf("%d images", len(srcs))
	}
	raw, _ := base64.StdEncoding.DecodeString(srcs[1][1])
	pic, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b := pic.Bounds()
	at := func(x, y int) [3]uint32 {
		r, g, bl, _ := pic.At(b.Min.X+x*b.Dx()/4, b.Min.Y+y*b.Dy()/4).RGBA()
		return [3]uint32{r >> 8, g >> 8, bl >> 8}
	}
	if c := at(1, 1); c[0] < 240 || c[1] < 240 || c[2] < 240 {
		t.Errorf("a zero of the signed map is %v on a black image, want white", c)
	}
	if c := at(0, 0); !(c[0] > c[2]+60) {
		t.Errorf("the positive corner is %v, want red", c)
	}
	if c := at(3, 3); !(c[2] > c[0]+60) {
		t.Errorf("the negative corner is %v, want blue", c)
	}
	if !strings.Contains(f.HTML, "blank: 0 everywhere") || strings.Count(f.HTML, `class="cl-legend"`) != 2 {
		t.Error("the blank map is not marked, or the colour row is missing")
	}
	if strings.Contains(f.HTML, "<b>") {
		t.Error("a row label is not escaped")
	}
}

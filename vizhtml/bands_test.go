package vizhtml

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
)

// Percentile bands: each series carries its percentile (read from a uniform histogram,
// p% of the way from −1 to 1), the upper ones painted first, and the static picture shades
// the middle band darker than the outer one, white outside, with the median drawn.
func TestPercentileBandsCarryThePercentiles(t *testing.T) {
	counts := make([]int, 10)
	edges := make([]float64, 11)
	for i := range edges {
		edges[i] = -1 + 0.2*float64(i)
	}
	for i := range counts {
		counts[i] = 10
	}
	h := nd.Histogram{Edges: edges, Counts: counts}
	f, err := PercentileBands("g", []HistogramAt{{Step: 0, Hist: h}, {Step: 10, Hist: h}})
	if err != nil {
		t.Fatal(err)
	}
	m := setOptionRE.FindStringSubmatch(f.HTML)
	if m == nil {
		t.Fatal("no option")
	}
	var opt struct {
		Series []struct {
			Name, Stack string
			Data        [][2]float64
		}
	}
	if err := json.Unmarshal([]byte(m[1]), &opt); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range opt.Series {
		order = append(order, s.Name)
		var p float64
		if _, err := fmt.Sscanf(s.Name, "p%g", &p); err != nil {
			t.Fatalf("series %q", s.Name)
		}
		if want := -1 + 2*p/100; s.Stack != "" || math.Abs(s.Data[1][1]-want) > 1e-6 {
			t.Errorf("series %s: stack %q, value %.4f, want %.4f unstacked", s.Name, s.Stack, s.Data[1][1], want)
		}
	}
	if got := strings.Join(order, " "); got != "p100 p93 p84 p69 p50 (median) p31 p16 p7 p0" {
		t.Errorf("series order %s", got)
	}
	img := decodeStatic(t, f)
	// The 320 px chart: plot from y 260 (value −1) to 72 (1), x 64 (step 0) to 876 (10).
	y := func(v float64) int { return int(math.Round(260 - (v+1)/2*188)) }
	x := int(math.Round(64 + 0.5*(876-64)))
	at := func(v float64) color.RGBA { return color.RGBAModel.Convert(img.At(x, y(v))).(color.RGBA) }
	lum := func(c color.RGBA) int { return int(c.R) + int(c.G) + int(c.B) }
	outer, middle, median, outside := at(-0.93), at(-0.2), at(0), at(1.2)
	if !(lum(middle) < lum(outer) && lum(outer) < 3*250 && lum(outside) >= 3*250) {
		t.Errorf("shades: middle %v, outer %v, beyond p100 %v; want middle darker than outer, outer shaded, beyond white", middle, outer, outside)
	}
	if want := parseColor(medianColour); lum(median) > lum(want)+60 {
		t.Errorf("median pixel %v, want about %v", median, want)
	}
}

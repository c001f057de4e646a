package vizhtml

import (
	"encoding/json"
	"math"
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

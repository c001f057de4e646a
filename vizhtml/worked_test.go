package vizhtml

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
	"golang.org/x/net/html"
)

// workedTables returns each number table's data-v values and the worked element's data
// attributes.
func workedTables(t *testing.T, h string) ([][]float64, map[string]float64) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(h))
	if err != nil {
		t.Fatal(err)
	}
	var tables [][]float64
	attrs := map[string]float64{}
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if n.Data == "table" && attr(n, "class") == "cl-num" {
			var vals []float64
			walk(n, func(c *html.Node) {
				if c.Type == html.ElementNode && c.Data == "td" {
					v, err := strconv.ParseFloat(attr(c, "data-v"), 64)
					if err != nil {
						t.Fatal(err)
					}
					vals = append(vals, v)
				}
			})
			tables = append(tables, vals)
		}
		if attr(n, "class") == "cl-worked" {
			for _, a := range n.Attr {
				if k, ok := strings.CutPrefix(a.Key, "data-"); ok {
					attrs[k], _ = strconv.ParseFloat(a.Val, 64)
				}
			}
		}
	})
	return tables, attrs
}

// The worked convolution shows the image's window (zeros in the padding), the kernel, their
// products, and a sum that is the convolution computed independently here.
func TestWorkedConvolutionAddsUp(t *testing.T) {
	img := ramp(6, 7)
	kernel := nd.Array{Shape: []int{3, 3}, Data: []float32{-1, 0, 1, -2, 0, 2, -1, 0, 1}}
	for _, at := range []WorkedWindow{{Row: 2, Col: 3, Pad: 1}, {Row: 0, Col: 0, Pad: 1}, {Row: 1, Col: 2, Stride: 2}, {Row: 3, Col: 4}} {
		f, err := WorkedConvolution(hostile, img, kernel, 0.25, at, 1.5)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f.HTML, hostile) {
			t.Fatal("title not escaped")
		}
		tables, a := workedTables(t, f.HTML)
		if len(tables) != 3 {
			t.Fatalf("%d number tables, want window, kernel, products", len(tables))
		}
		stride := max(at.Stride, 1)
		want := 0.25
		for i := 0; i < 9; i++ {
			y, x := at.Row*stride-at.Pad+i/3, at.Col*stride-at.Pad+i%3
			px := 0.0
			if y >= 0 && x >= 0 && y < 6 && x < 7 {
				px = float64(img.Data[y*7+x])
			}
			if tables[0][i] != px || tables[1][i] != float64(kernel.Data[i]) || math.Abs(tables[2][i]-px*float64(kernel.Data[i])) > 1e-12 {
				t.Fatalf("%+v cell %d: window %v kernel %v product %v; want %v, %v, %v", at, i, tables[0][i], tables[1][i], tables[2][i], px, kernel.Data[i], px*float64(kernel.Data[i]))
			}
			want += px * float64(kernel.Data[i])
		}
		if math.Abs(a["sum"]-want) > 1e-9 || a["model"] != 1.5 {
			t.Errorf("%+v: sum %v, want %v; model %v", at, a["sum"], want, a["model"])
		}
	}
	bad := []struct {
		img, kernel nd.Array
		at          WorkedWindow
		bias        float64
	}{
		{img, kernel, WorkedWindow{Row: 5, Col: 0}, 0},                                   // below a valid output (4 rows)
		{img, kernel, WorkedWindow{Row: -1}, 0},                                          // negative
		{img, kernel, WorkedWindow{Pad: 3}, 0},                                           // padding as large as the kernel
		{ramp(2, 3, 4), kernel, WorkedWindow{}, 0},                                       // not one channel
		{img, nd.Array{Shape: []int{2, 3}, Data: make([]float32, 6)}, WorkedWindow{}, 0}, // not square
		{nd.Array{Shape: []int{2, 2}, Data: []float32{0, float32(math.NaN()), 0, 0}}, nd.Array{Shape: []int{1, 1}, Data: []float32{1}}, WorkedWindow{}, 0},
		{img, kernel, WorkedWindow{}, math.Inf(1)},
	}
	for i, c := range bad {
		if _, err := WorkedConvolution("", c.img, c.kernel, c.bias, c.at, 0); err == nil {
			t.Errorf("bad case %d accepted", i)
		}
	}
}

// The worked pooling window is the right block of the maps, its max and mean are those of
// the block, and the largest value is outlined.
func TestWorkedPoolingSummaries(t *testing.T) {
	maps := ramp(6, 8)
	f, err := WorkedPooling("pool", maps, 2, 1, 3, math.NaN())
	if err != nil {
		t.Fatal(err)
	}
	tables, a := workedTables(t, f.HTML)
	block := []float64{float64(maps.Data[2*8+6]), float64(maps.Data[2*8+7]), float64(maps.Data[3*8+6]), float64(maps.Data[3*8+7])}
	mx, mean := math.Inf(-1), 0.0
	for i, v := range block {
		if tables[0][i] != v {
			t.Fatalf("cell %d is %v, want %v", i, tables[0][i], v)
		}
		mx, mean = math.Max(mx, v), mean+v/4
	}
	if a["max"] != mx || math.Abs(a["mean"]-mean) > 1e-9 || !math.IsNaN(a["model"]) || strings.Contains(f.HTML, "the model's value") {
		t.Errorf("max %v mean %v model %v; want %v, %v, none", a["max"], a["mean"], a["model"], mx, mean)
	}
	if strings.Count(f.HTML, "2px solid #d62728") != 1 {
		t.Error("the largest value is not outlined exactly once")
	}
	if _, err := WorkedPooling("", maps, 2, 3, 0, 0); err == nil {
		t.Error("a window below the maps was accepted")
	}
}

// The stride-and-padding grid has the padded size, one window corner per output position,
// and states the output size of the usual formula (computed here by counting positions).
func TestStrideAndPaddingCountsPositions(t *testing.T) {
	for _, c := range [][4]int{{7, 3, 1, 0}, {7, 3, 1, 1}, {7, 3, 2, 1}, {8, 5, 3, 2}, {5, 5, 1, 0}, {6, 2, 2, 0}} {
		n, k, s, p := c[0], c[1], c[2], c[3]
		f, err := StrideAndPadding(hostile, n, k, s, p)
		if err != nil {
			t.Fatal(err)
		}
		positions := 0 // window starts that fit in the padded image, along one side
		for start := 0; start+k <= n+2*p; start += s {
			positions++
		}
		doc, err := html.Parse(strings.NewReader(f.HTML))
		if err != nil {
			t.Fatal(err)
		}
		cells, corners, out := 0, 0, ""
		walk(doc, func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "td" {
				cells++
				if attr(n, "data-corner") == "true" {
					corners++
				}
			}
			if n.Type == html.ElementNode && attr(n, "class") == "cl-stride" {
				out = attr(n, "data-out")
			}
		})
		if cells != (n+2*p)*(n+2*p) || corners != positions*positions || out != strconv.Itoa(positions) || strings.Contains(f.HTML, hostile) {
			t.Errorf("%v: %d cells, %d corners, output %s; want %d, %d, %d", c, cells, corners, out, (n+2*p)*(n+2*p), positions*positions, positions)
		}
	}
	for _, c := range [][4]int{{0, 3, 1, 0}, {17, 3, 1, 0}, {3, 5, 1, 0}, {7, 3, 0, 0}, {7, 3, 1, 3}, {7, 3, 1, -1}} {
		if _, err := StrideAndPadding("", c[0], c[1], c[2], c[3]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

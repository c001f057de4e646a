package vizhtml

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
)

// tinyExplorer is a conv → flatten → dense model on 5×5×1 input with hostile names,
// and n images whose values are distinct ramps.
func tinyExplorer(n int) (ExplorerModel, []ExplorerImage) {
	m := ExplorerModel{Name: "model " + hostile, Classes: []string{hostile, "b", ""}, Input: []int{5, 5, 1},
		Layers: []ExplorerLayer{
			{Name: "conv " + hostile, Kind: "conv2d", Inputs: []string{ExplorerInput}, Shape: []int{3, 3, 2}, Activation: "relu",
				Kernel: 3, Params: map[string]nd.Array{"weights": ramp(3, 3, 1, 2), "biases": ramp(2)}},
			{Name: "flat", Kind: "flatten", Inputs: []string{"conv " + hostile}, Shape: []int{18}},
			{Name: "logits", Kind: "dense", Inputs: []string{"flat"}, Shape: []int{3},
				Params: map[string]nd.Array{"weights": ramp(18, 3), "biases": ramp(3)}},
		}}
	var images []ExplorerImage
	for i := 0; i < n; i++ {
		img := ExplorerImage{Caption: "image " + hostile, Pixels: ramp(5, 5, 1), Values: map[string]nd.Array{}}
		for name, shape := range map[string][]int{ExplorerInput: {5, 5, 1}, "conv " + hostile: {3, 3, 2}, "flat": {18}, "logits": {3}} {
			a := ramp(shape...)
			for j := range a.Data {
				a.Data[j] += float32(i)
			}
			img.Values[name] = a
		}
		img.CAMs = []ExplorerCAM{{Class: 1, Map: ramp(3, 3)}}
		images = append(images, img)
	}
	return m, images
}

var explorerData = regexp.MustCompile(`<script type="application/json" id="[^"]+-data">(.*?)</script>`)

// parseExplorer reads back the JSON the page's script reads.
func parseExplorer(t *testing.T, f Fragment) explorerJSON {
	t.Helper()
	found := explorerData.FindAllStringSubmatch(f.HTML, -1)
	if len(found) != 1 {
		t.Fatalf("%d data scripts", len(found))
	}
	var p explorerJSON
	if err := json.Unmarshal([]byte(found[0][1]), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every value and parameter reaches the page bit for bit, names survive as data, and no
// name can break out of the data script.
func TestExplorerPayloadRoundTrip(t *testing.T) {
	m, images := tinyExplorer(2)
	f, err := Explorer(m, images, ExplorerOptions{CAMLayer: "conv", Note: hostile})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.HTML, "</script><img") || strings.Contains(f.HTML, "<img src=x") {
		t.Fatal("raw hostile markup in the explorer")
	}
	p := parseExplorer(t, f)
	if p.Model != m.Name || p.Note != hostile || p.Logits != "logits" || p.CAMLayer != "conv" {
		t.Errorf("header %q %q %q %q", p.Model, p.Note, p.Logits, p.CAMLayer)
	}
	if want := []string{hostile, "b", "class 2"}; strings.Join(p.Classes, "|") != strings.Join(want, "|") {
		t.Errorf("classes %q, want %q", p.Classes, want)
	}
	if len(p.Layers) != 3 || len(p.Images) != 2 {
		t.Fatalf("%d layers, %d images", len(p.Layers), len(p.Images))
	}
	for _, l := range p.Layers {
		src := m.Layers[0]
		for _, ml := range m.Layers {
			if ml.Name == l.Name {
				src = ml
			}
		}
		if l.Kind != src.Kind || l.Stride != 1 || l.Dilation != 1 || l.Groups != 1 {
			t.Errorf("layer %q: kind %q stride %d dilation %d groups %d", l.Name, l.Kind, l.Stride, l.Dilation, l.Groups)
		}
		for name, a := range src.Params {
			got, err := nd.DecodeFloats(l.Params[name].B64)
			if err != nil || !nd.SameBits(got, a.Data) || !slices.Equal(l.Params[name].Shape, a.Shape) {
				t.Errorf("param %s/%s does not round-trip (%v)", l.Name, name, err)
			}
		}
	}
	for i, img := range p.Images {
		if img.Caption != images[i].Caption || len(img.CAMs) != 1 || img.CAMs[0].Class != 1 ||
			!strings.HasPrefix(img.PNG, "data:image/png;base64,") || !strings.HasPrefix(img.CAMs[0].PNG, "data:image/png;base64,") {
			t.Errorf("image %d: caption %q, %d cams", i, img.Caption, len(img.CAMs))
		}
		if len(img.Values) != 4 {
			t.Errorf("image %d: %d value arrays", i, len(img.Values))
		}
		for name, want := range images[i].Values {
			got, err := nd.DecodeFloats(img.Values[name])
			if err != nil || !nd.SameBits(got, want.Data) {
				t.Errorf("image %d values of %q do not round-trip (%v)", i, name, err)
			}
		}
	}
	page, err := ExplorerPage(m, images, ExplorerOptions{})
	if err != nil || len(page.Sections) != 1 || !strings.Contains(page.Title, m.Name) {
		t.Fatalf("page: %v", err)
	}
}

// A budget that holds one image embeds as many as fit and says so; one that holds none
// fails naming the largest layers.
func TestExplorerBudget(t *testing.T) {
	m, images := tinyExplorer(5)
	full, err := Explorer(m, images, ExplorerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	perImage := len(parseExplorer(t, full).Images[0].PNG) + len(parseExplorer(t, full).Images[0].CAMs[0].PNG)
	for _, v := range parseExplorer(t, full).Images[0].Values {
		perImage += len(v)
	}
	base := len(explorerJS) + 4096 + 4*(18+2+54+3)*4/3
	f, err := Explorer(m, images, ExplorerOptions{MaxBytes: base + 2*perImage + perImage/2})
	if err != nil {
		t.Fatal(err)
	}
	p := parseExplorer(t, f)
	if len(p.Images) != 2 || !strings.Contains(p.Note, "2 of 5 images embedded") {
		t.Errorf("%d images embedded, note %q", len(p.Images), p.Note)
	}
	_, err = Explorer(m, images, ExplorerOptions{MaxBytes: base + perImage/2})
	if err == nil || !strings.Contains(err.Error(), "over the") || !strings.Contains(err.Error(), "conv "+hostile+" [3 3 2]") {
		t.Errorf("tiny budget: %v", err)
	}
}

func TestExplorerRejectsInconsistentModels(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*ExplorerModel, []ExplorerImage)
		want string
	}{
		{"bad input", func(m *ExplorerModel, _ []ExplorerImage) { m.Input = []int{5, 5} }, "input shape"},
		{"no layers", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers = nil }, "0 layers"},
		{"duplicate", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Name = m.Layers[0].Name }, "used twice"},
		{"named input", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Name = ExplorerInput }, "bad name"},
		{"later input", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Inputs = []string{"logits"} }, "not an earlier layer"},
		{"no inputs", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Inputs = nil }, "no inputs"},
		{"rank 9", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Shape = []int{1, 1, 1, 1, 1, 1, 1, 3, 6} }, "shape"},
		{"dense on a map", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Shape = []int{3, 6} }, "dense needs vectors"},
		{"huge", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[1].Shape = []int{1 << 25} }, "shape"},
		{"kernel shape", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[0].Params["weights"] = ramp(3, 3, 2, 2) }, "want [3 3 1 2]"},
		{"no bias", func(m *ExplorerModel, _ []ExplorerImage) { delete(m.Layers[2].Params, "biases") }, "missing param biases"},
		{"groups", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[0].Groups = 2 }, "conv geometry"},
		{"NaN alpha", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[0].Alpha = math.NaN() }, "non-finite"},
		{"bad param", func(m *ExplorerModel, _ []ExplorerImage) { m.Layers[0].Params["biases"] = nd.Array{Shape: []int{3}} }, "param biases"},
		{"logits", func(m *ExplorerModel, _ []ExplorerImage) { m.Logits = "conv " + hostile }, "vector output"},
		{"missing values", func(_ *ExplorerModel, im []ExplorerImage) { delete(im[0].Values, "flat") }, `no values for "flat"`},
		{"short values", func(_ *ExplorerModel, im []ExplorerImage) { im[0].Values["flat"] = ramp(17) }, "values of \"flat\""},
		{"cam class", func(_ *ExplorerModel, im []ExplorerImage) { im[0].CAMs[0].Class = 3 }, "outside [0, 3)"},
		{"pixels", func(_ *ExplorerModel, im []ExplorerImage) { im[0].Pixels = ramp(5, 5, 2) }, "image"},
	} {
		m, images := tinyExplorer(1)
		c.edit(&m, images)
		_, err := Explorer(m, images, ExplorerOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	m, _ := tinyExplorer(0)
	if _, err := Explorer(m, nil, ExplorerOptions{}); err == nil || !strings.Contains(err.Error(), "0 images") {
		t.Errorf("no images: %v", err)
	}
}

// The static picture (for outputs without scripts) has one row per spatial value, each
// tile in viridis on its row's scale; the channel after the last stays white.
func TestExplorerStaticPicture(t *testing.T) {
	m, images := tinyExplorer(1)
	f, err := Explorer(m, images, ExplorerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Pictures) != 1 || !strings.Contains(f.HTML, `<img alt="first channels of every layer" src="data:image/png;base64,`) {
		t.Fatalf("%d pictures", len(f.Pictures))
	}
	pic, err := png.Decode(bytes.NewReader(f.Pictures[0]))
	if err != nil {
		t.Fatal(err)
	}
	if h := pic.Bounds().Dy(); h != 2*(pictureTile+pictureGap)+pictureGap {
		t.Errorf("picture height %d, want two rows", h)
	}
	for row, c := range []struct {
		name  string
		chans int
	}{{ExplorerInput, 1}, {"conv " + hostile, 2}} {
		v := images[0].Values[c.name]
		for ch := 0; ch <= c.chans; ch++ {
			want := [3]uint8{255, 255, 255}
			if ch < c.chans {
				want[0], want[1], want[2] = Viridis.RGB(RangeOf(v.Data, false).norm(float64(v.Data[ch])))
			}
			x, y := pictureLabel+ch*(pictureTile+pictureGap)+1, pictureGap+row*(pictureTile+pictureGap)+1
			r, g, b, _ := pic.At(x, y).RGBA()
			if got := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}; got != want {
				t.Errorf("%s channel %d: pixel %v, want %v", c.name, ch, got, want)
			}
		}
	}
}

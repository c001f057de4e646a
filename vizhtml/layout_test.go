package vizhtml

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/nd"
)

// No text of any chart (titles, subtitles, legends, axis names, tick labels, colour-scale
// ends) overlaps another or is cut off by its container, at a notebook's width (900 px)
// and a narrow one (600 px).
func TestChartTextDoesNotOverlap(t *testing.T) {
	browser.Require(t)
	p := viewsLabelled(t, "conv2") // realistic names (hostile ones are checked for safety elsewhere)
	digits := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	logits := []float32{-2, 1, 0.5, 7, -1, 2, 0, 3, 1, -3}
	f, err := ClassProbabilities("logits → softmax probabilities", logits, digits)
	p.Add(Section{Title: "Ten digits", Body: f, Err: err})
	var names []string
	var many []float32
	for i := 0; i < 20; i++ {
		names = append(names, fmt.Sprintf("golden retriever %d", i))
		many = append(many, float32(i%7))
	}
	f, err = ClassProbabilities("twenty long class names", many, names)
	p.Add(Section{Title: "Twenty classes", Body: f, Err: err})
	units := make([]float32, 120)
	for i := range units {
		units[i] = float32(i%9) - 2
	}
	f, err = UnitValues("fc1 (after ReLU), one bar per unit", units, nil)
	p.Add(Section{Title: "Units", Body: f, Err: err})
	var slope nd.Series
	for i := 1; i < 200; i++ {
		x := -5 + float64(i)*0.05
		slope.X, slope.Y = append(slope.X, x), append(slope.Y, 1/(1+math.Exp(-x)))
	}
	slope.Name = "Sigmoid"
	f, err = LineChart("Their slopes (derivatives)", "input", "slope", []nd.Series{slope})
	p.Add(Section{Title: "Slopes", Body: f, Err: err})
	k := nd.Array{Shape: []int{5, 5}, Data: make([]float32, 25)}
	for i := range k.Data {
		k.Data[i] = float32(i%7-3) * 0.121
	}
	k.Data[3] = -0.0000223
	f, err = KernelHeatmap(k, "conv1 filter 0, input channel 0")
	p.Add(Section{Title: "Kernel", Body: f, Err: err})
	steps := []string{"logits", "logits+fc2", "logits+fc2+fc1", "logits+fc2+fc1+conv2", "logits+fc2+fc1+conv2+conv1"}
	var sanity []SanityLine
	for k, m := range []string{"saliency", "gradient×input", "smoothgrad(saliency)", "integrated gradients", "grad-cam", "grad-cam++", "occlusion"} {
		sanity = append(sanity, SanityLine{Method: m, Steps: steps, Similarity: []float64{0.9, 0.5, 0.3, 0.2, float64(k) / 7}, Flagged: k > 3})
	}
	f, err = SanityChart(sanity, 0.5)
	p.Add(Section{Title: "Sanity", Body: f, Err: err})
	truth, predA, predB := make([]int, 200), make([]int, 200), make([]int, 200)
	for i := range truth {
		truth[i], predA[i], predB[i] = i%10, (i*7)%10, (i*3)%10
	}
	f, err = ConfusionDifference("ckpt-00000100.bin", "checkpoint", truth, predA, predB, digits)
	p.Add(Section{Title: "Confusion difference", Body: f, Err: err})
	layerNames := []string{"conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "logits"}
	change := make([][]float64, len(layerNames))
	for i := range change {
		for s := 0; s < 6; s++ {
			change[i] = append(change[i], float64(i*s)*0.0371)
		}
	}
	f, err = LayerSteps("Change since initialisation ‖W − W₀‖ / ‖W₀‖", "per layer and checkpoint", layerNames,
		[]int64{0, 375, 750, 1125, 1500, 1875}, change)
	p.Add(Section{Title: "Layer × step", Body: f, Err: err})
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := browser.Open(t, 2*time.Minute)
	for _, width := range []int{900, 600} {
		page := filepath.Join(dir, "page.html")
		html := bytes.Replace(buf.Bytes(), []byte("<body"), []byte(`<body style="width:`+strconv.Itoa(width)+`px"`), 1)
		if err := os.WriteFile(page, html, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Load(page); err != nil {
			t.Fatal(err)
		}
		problems, err := s.ChartTextProblems()
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range problems {
			t.Errorf("%d px: %s: %s", width, pr.Chart, pr.Problem)
		}
	}
}

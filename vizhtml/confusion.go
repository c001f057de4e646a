package vizhtml

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/convlens/convlens/nd"
)

// ConfusionMatrix draws counts of (true class, predicted class) as a heatmap of the mistakes,
// with each class's right answers and recall in the row labels.
func ConfusionMatrix(trueLabels, predicted []int, classes []string) (Fragment, error) {
	k := len(classes)
	if k == 0 || k > 1000 {
		return Fragment{}, fmt.Errorf("confusion matrix: %d classes (want 1 to 1000)", k)
	}
	if len(trueLabels) != len(predicted) || len(trueLabels) == 0 {
		return Fragment{}, fmt.Errorf("confusion matrix: %d true labels, %d predictions", len(trueLabels), len(predicted))
	}
	counts := make([][]float64, k)
	for i := range counts {
		counts[i] = make([]float64, k)
	}
	for i, t := range trueLabels {
		p := predicted[i]
		if t < 0 || t >= k || p < 0 || p >= k {
			return Fragment{}, fmt.Errorf("confusion matrix: example %d has label %d / prediction %d outside [0, %d)", i, t, p, k)
		}
		counts[t][p]++
	}
	// The diagonal (right answers) is left blank and stated in each row's label, so that the
	// colours span the errors only: a few mistakes stay visible beside thousands of hits.
	xs := make([]string, k)
	ys := make([]string, k)
	values := make([][]float64, k)
	correct, worst := 0.0, 0.0
	for t := 0; t < k; t++ {
		xs[t] = classes[t]
		row := k - 1 - t // true class 0 at the top
		values[row] = append([]float64(nil), counts[t]...)
		values[row][t] = math.NaN()
		total := 0.0
		for p, c := range counts[t] {
			total += c
			if p != t {
				worst = math.Max(worst, c)
			}
		}
		correct += counts[t][t]
		recall := 0.0
		if total > 0 {
			recall = counts[t][t] / total
		}
		ys[row] = fmt.Sprintf("%s (%.0f of %.0f right, %.0f%%)", classes[t], counts[t][t], total, 100*recall)
	}
	sub := fmt.Sprintf("rows: true class; columns: predicted; colours: mistakes only (the diagonal is in the row labels); accuracy %.2f%% of %d",
		100*correct/float64(len(trueLabels)), len(trueLabels))
	hm := heatmapChart("Confusion matrix", sub, "predicted class", "true class", xs, ys, values, Viridis, Range{0, worst}, k <= 20)
	return render(hm, "100%", fmt.Sprintf("%dpx", min(900, 140+32*k)))
}

// Example is one image with its true and predicted class and the predicted probability.
type Example struct {
	Image      nd.Array // [H,W,1|3], pixel values 0..1
	True, Pred int
	Confidence float64
}

// Gallery shows examples as captioned thumbnails ("true → predicted (confidence)"),
// at most maxShown (default 48).
func Gallery(titleText string, examples []Example, classes []string, maxShown int) (Fragment, error) {
	if maxShown <= 0 {
		maxShown = 48
	}
	var b strings.Builder
	if titleText != "" {
		fmt.Fprintf(&b, "<h3>%s</h3>", esc(titleText))
	}
	name := func(c int) string {
		if c >= 0 && c < len(classes) {
			return classes[c]
		}
		return fmt.Sprintf("class %d", c)
	}
	b.WriteString(`<div class="cl-grid">`)
	for i, ex := range examples {
		if i == maxShown {
			break
		}
		png, err := ImagePNG(ex.Image, Range{0, 1})
		if err != nil {
			return Fragment{}, fmt.Errorf("gallery example %d: %w", i, err)
		}
		fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="72" height="72" alt="example %d"><span>%s → %s (%.0f%%)</span></div>`,
			DataURI(png), i, esc(name(ex.True)), esc(name(ex.Pred)), 100*ex.Confidence)
	}
	b.WriteString(`</div>`)
	if len(examples) == 0 {
		b.WriteString(`<p class="cl-note">No examples.</p>`)
	} else if len(examples) > maxShown {
		fmt.Fprintf(&b, `<p class="cl-capnote">Showing %d of %d.</p>`, maxShown, len(examples))
	}
	return Fragment{HTML: b.String()}, nil
}

// CellExample is one image of a confusion-matrix cell, with an explanation map blended
// over it (PNG, optional).
type CellExample struct {
	Image   nd.Array
	Overlay []byte
	Caption string
}

// ConfusionCell is the examples of one (true class, predicted class) cell.
type ConfusionCell struct {
	True, Pred, Count int
	Examples          []CellExample // the first few, most confident first
}

// ConfusionMatrixWithCells is the confusion matrix with each mistaken cell's images below
// it, one collapsible list per cell (the worst three open, so a page without scripts shows
// them); clicking a cell of the live chart opens its list. overlayName names the maps.
func ConfusionMatrixWithCells(trueLabels, predicted []int, classes []string, cells []ConfusionCell, overlayName string) (Fragment, error) {
	f, err := ConfusionMatrix(trueLabels, predicted, classes)
	if err != nil {
		return f, err
	}
	k := len(classes)
	sorted := append([]ConfusionCell(nil), cells...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Count > sorted[b].Count })
	prefix := newID() + "-cell"
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="cl-cells"><p class="cl-note">Mistakes by cell, most first: click a cell of the matrix to open its images (with %s of the predicted class).</p>`, esc(overlayName))
	for rank, c := range sorted {
		if c.True < 0 || c.True >= k || c.Pred < 0 || c.Pred >= k {
			return Fragment{}, fmt.Errorf("confusion cell (%d, %d) outside %d classes", c.True, c.Pred, k)
		}
		open := ""
		if rank < 3 {
			open = " open"
		}
		fmt.Fprintf(&b, `<details class="cl-cell" id="%s-%d-%d" data-true="%d" data-pred="%d" data-count="%d"%s><summary>true %s → predicted %s: %d image%s</summary><div class="cl-grid">`,
			prefix, c.Pred, k-1-c.True, c.True, c.Pred, c.Count, open, esc(classes[c.True]), esc(classes[c.Pred]), c.Count, plural(c.Count))
		for i, ex := range c.Examples {
			img, err := ImagePNG(ex.Image, Range{0, 1})
			if err != nil {
				return Fragment{}, fmt.Errorf("cell example %d: %w", i, err)
			}
			fmt.Fprintf(&b, `<div class="cl-tile"><img src="%s" width="72" height="72" alt="example">`, DataURI(img))
			if ex.Overlay != nil {
				fmt.Fprintf(&b, `<img src="%s" width="72" height="72" alt="%s">`, DataURI(ex.Overlay), esc(overlayName))
			}
			fmt.Fprintf(&b, `<span>%s</span></div>`, esc(ex.Caption))
		}
		b.WriteString(`</div>`)
		if len(c.Examples) < c.Count {
			fmt.Fprintf(&b, `<p class="cl-capnote">Showing %d of %d.</p>`, len(c.Examples), c.Count)
		}
		b.WriteString(`</details>`)
	}
	if len(sorted) == 0 {
		b.WriteString(`<p class="cl-note">No mistakes.</p>`)
	}
	b.WriteString(`</div>`)
	f = onChart(f, fmt.Sprintf(`c.on("click",function(p){var v=p.value;if(!v){return;}var d=document.getElementById(%q+"-"+v[0]+"-"+v[1]);`+
		`if(d){d.open=true;d.scrollIntoView({block:"nearest"});}});`, prefix))
	f.HTML += b.String()
	return f, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

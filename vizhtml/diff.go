package vizhtml

import (
	"fmt"
	"math"
	"strings"
)

// LayerDiff is one layer's comparison of two models: how far its weights moved (relative
// change, correlation; NaN without weights) and how alike its outputs are on the same
// images (linear CKA; NaN where not measured).
type LayerDiff struct {
	Layer, Kind           string
	Relative, Correlation float64
	CKA                   float64
}

// LayerDiffTable draws the per-layer comparison as a table with a bar per value: plain HTML
// and SVG, readable without scripts.
func LayerDiffTable(nameA, nameB string, rows []LayerDiff) (Fragment, error) {
	if len(rows) == 0 {
		return Fragment{}, fmt.Errorf("layer comparison: no layers")
	}
	maxRel := 0.0
	for _, r := range rows {
		if !math.IsNaN(r.Relative) && !math.IsInf(r.Relative, 0) {
			maxRel = math.Max(maxRel, r.Relative)
		}
	}
	if maxRel == 0 {
		maxRel = 1
	}
	var b strings.Builder
	b.WriteString(`<div class="cl-layerdiff" style="overflow-x:auto"><table style="border-collapse:collapse;font-size:13px"><thead><tr>`)
	for _, h := range []string{"layer", "kind", fmt.Sprintf("weights: ‖%s − %s‖ / ‖%s‖", nameB, nameA, nameA), "weights: correlation", "outputs: linear CKA"} {
		fmt.Fprintf(&b, `<th style="text-align:left;padding:4px 8px">%s</th>`, esc(h))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, r := range rows {
		fmt.Fprintf(&b, `<tr class="cl-layerdiff-row" data-layer="%s"><td style="padding:3px 8px;white-space:nowrap">%s</td><td style="padding:3px 8px;color:#57606a">%s</td>`,
			esc(r.Layer), esc(r.Layer), esc(r.Kind))
		for _, c := range []struct {
			name  string
			v, hi float64
			lo    float64
		}{{"relative", r.Relative, maxRel, 0}, {"correlation", r.Correlation, 1, -1}, {"cka", r.CKA, 1, 0}} {
			if math.IsNaN(c.v) {
				fmt.Fprintf(&b, `<td style="padding:3px 8px;color:#57606a" data-%s="">–</td>`, c.name)
				continue
			}
			w := 100 * (math.Max(math.Min(c.v, c.hi), c.lo) - c.lo) / (c.hi - c.lo)
			fmt.Fprintf(&b, `<td style="padding:3px 8px" data-%s="%.6g"><svg width="100" height="12" style="vertical-align:middle;background:#f6f8fa"><rect x="0" y="2" width="%.1f" height="8" fill="#0969da"/></svg><span style="margin-left:6px">%s</span></td>`,
				c.name, c.v, w, formatScore(c.v))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div>`)
	return Fragment{HTML: b.String()}, nil
}

// ConfusionDifference draws, for each (true class, predicted class), how many more examples
// model B puts there than model A, on a diverging scale (red: more under B), the diagonal
// included: more right answers show red on it.
func ConfusionDifference(nameA, nameB string, truth, predA, predB []int, classes []string) (Fragment, error) {
	k := len(classes)
	if k == 0 || k > 1000 {
		return Fragment{}, fmt.Errorf("confusion difference: %d classes (want 1 to 1000)", k)
	}
	if len(predA) != len(truth) || len(predB) != len(truth) || len(truth) == 0 {
		return Fragment{}, fmt.Errorf("confusion difference: %d labels, %d and %d predictions", len(truth), len(predA), len(predB))
	}
	diff := make([][]float64, k)
	for i := range diff {
		diff[i] = make([]float64, k)
	}
	for i, t := range truth {
		a, b := predA[i], predB[i]
		if t < 0 || t >= k || a < 0 || a >= k || b < 0 || b >= k {
			return Fragment{}, fmt.Errorf("confusion difference: example %d has label %d, predictions %d and %d outside [0, %d)", i, t, a, b, k)
		}
		diff[t][a]--
		diff[t][b]++
	}
	xs, ys := make([]string, k), make([]string, k)
	values := make([][]float64, k)
	most := 1.0
	for t := 0; t < k; t++ {
		xs[t] = classes[t]
		row := k - 1 - t
		ys[row] = classes[t]
		values[row] = diff[t]
		for _, v := range diff[t] {
			most = math.Max(most, math.Abs(v))
		}
	}
	sub := fmt.Sprintf("rows: true class; columns: predicted; count under %s minus under %s (red: more under %s)", nameB, nameA, nameB)
	hm := heatmapChart("Confusion matrix: "+nameB+" − "+nameA, sub, "predicted class", "true class", xs, ys, values, Diverging, Range{-most, most}, k <= 20)
	return render(hm, "100%", fmt.Sprintf("%dpx", min(900, 140+32*k)))
}

// LayerSteps draws one value per layer and step (a layer's change since the start at each
// checkpoint, say) as a heatmap: layers down, steps across, one scale from 0 to the
// largest value.
func LayerSteps(titleText, sub string, layers []string, steps []int64, values [][]float64) (Fragment, error) {
	if len(layers) == 0 || len(steps) == 0 || len(values) != len(layers) {
		return Fragment{}, fmt.Errorf("layer × step heatmap: %d layers, %d steps, %d rows", len(layers), len(steps), len(values))
	}
	xs := make([]string, len(steps))
	for i, s := range steps {
		xs[i] = fmt.Sprint(s)
	}
	ys := make([]string, len(layers))
	rows := make([][]float64, len(layers))
	hi := 0.0
	for i, l := range layers {
		if len(values[i]) != len(steps) {
			return Fragment{}, fmt.Errorf("layer × step heatmap: %s has %d values for %d steps", l, len(values[i]), len(steps))
		}
		row := len(layers) - 1 - i // the first layer at the top
		ys[row], rows[row] = l, values[i]
		for _, v := range values[i] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				hi = math.Max(hi, v)
			}
		}
	}
	if hi == 0 {
		hi = 1
	}
	hm := heatmapChart(titleText, sub, "step", "", xs, ys, rows, Viridis, Range{0, hi}, len(steps)*len(layers) <= 120)
	return render(hm, "100%", fmt.Sprintf("%dpx", min(900, 170+28*len(layers))))
}

package report

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
	"github.com/convlens/convlens/vizhtml"
)

// ChangeSinceInit plots, per weighted layer, how far its weights moved from the initial
// ones (relative change) and how much of their pattern they keep (correlation).
func ChangeSinceInit(changes []training.LayerChange) vizhtml.Section {
	const title = "Change since initialisation"
	if len(changes) == 0 {
		return vizhtml.Section{Title: title, Err: fmt.Errorf("no layers to compare")}
	}
	var rel, corr []nd.Series
	for _, c := range changes {
		r, k := nd.Series{Name: c.Layer}, nd.Series{Name: c.Layer}
		for i, s := range c.Steps {
			r.X, r.Y = append(r.X, float64(s)), append(r.Y, c.Relative[i])
			k.X, k.Y = append(k.X, float64(s)), append(k.Y, c.Correlation[i])
		}
		rel, corr = append(rel, r), append(corr, k)
	}
	a, err := vizhtml.LineChart("Relative change ‖W − W₀‖ / ‖W₀‖", "step", "relative change", rel)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	b, err := vizhtml.LineChart("Correlation with the initial weights W₀", "step", "correlation", corr)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	var names []string
	var values [][]float64
	for _, c := range changes {
		names, values = append(names, c.Layer), append(values, c.Relative)
	}
	h, err := vizhtml.LayerSteps("Relative change, layer by checkpoint", "‖W − W₀‖ / ‖W₀‖; a dark row is a layer that barely learned",
		names, changes[0].Steps, values)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	return vizhtml.Section{Title: title, Body: vizhtml.Join(a, b, h),
		Note: "Per layer: how far the weights have moved from their random start, in units of the start's own size, and the correlation of their values with the start (1: the same pattern)."}
}

// FilterChange shows a conv layer's kernels at the start (W₀), now (W) and their
// difference W − W₀, all on one diverging scale so the size of the change is seen.
func FilterChange(initial, now *layers.Model, layer string, tile int) vizhtml.Section {
	title := "Filters: start, now and the change"
	f, rel, corr, err := filterTriple(initial, now, layer, tile,
		[3]string{layer + " at the start (W₀)", layer + " now (W)", layer + ": the change W − W₀"})
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	return vizhtml.Section{Title: title, Body: f,
		Note: fmt.Sprintf("One scale for all three. %s moved by %.2f of its initial size; correlation with the start %.3f.", layer, rel, corr)}
}

// filterTriple draws a layer's kernels in two models and their difference on one scale,
// with the relative change and correlation between them.
func filterTriple(a, b *layers.Model, layer string, tile int, titles [3]string) (vizhtml.Fragment, float64, float64, error) {
	w0, err := a.Variable(layer, layers.VarWeights)
	if err != nil {
		return vizhtml.Fragment{}, 0, 0, err
	}
	w, err := b.Variable(layer, layers.VarWeights)
	if err != nil {
		return vizhtml.Fragment{}, 0, 0, err
	}
	diff, err := nd.Difference(w0, w)
	if err != nil {
		return vizhtml.Fragment{}, 0, 0, fmt.Errorf("layer %s: %w", layer, err)
	}
	m := 0.0
	for _, a := range []nd.Array{w0, w} {
		r := vizhtml.RangeOf(a.Data, true)
		m = math.Max(m, r.Hi)
	}
	scale := vizhtml.Range{Lo: 0 - m, Hi: m}
	var out vizhtml.Fragment
	for i, w := range []nd.Array{w0, w, diff} {
		f, err := vizhtml.Filters(w, vizhtml.FilterOptions{Title: titles[i], TileSize: tile, Scale: scale})
		if err != nil {
			return vizhtml.Fragment{}, 0, 0, err
		}
		out = vizhtml.Join(out, f)
	}
	rel, _ := nd.RelativeChange(w0.Data, w.Data)
	corr, _ := nd.Correlation(w0.Data, w.Data)
	return out, rel, corr, nil
}

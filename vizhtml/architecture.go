package vizhtml

import (
	"fmt"
	"strings"
)

// ArchLayer is one row of a model's architecture.
type ArchLayer struct {
	Name       string
	Kind       string
	Activation string
	OutShape   []int
	Params     int
	FLOPs      int64
	// Inputs names the layers feeding this one ("input" for the image); empty means the previous row.
	Inputs []string
}

// Architecture shows a model as a graph of boxes (name, kind, output shape, parameters;
// branches side by side, merges joined, skip connections as arcs) and as a table of output
// shapes, parameters and FLOPs per layer (rows in topological order), with each layer's
// share of the totals.
func Architecture(model string, input []int, rows []ArchLayer) (Fragment, error) {
	if len(rows) == 0 {
		return Fragment{}, fmt.Errorf("architecture of %q: no layers", model)
	}
	var params int
	var flops int64
	for _, r := range rows {
		if r.Params < 0 || r.FLOPs < 0 {
			return Fragment{}, fmt.Errorf("architecture: layer %q has negative counts", r.Name)
		}
		params += r.Params
		flops += r.FLOPs
	}
	var b strings.Builder
	svg, err := archGraph(input, rows)
	if err != nil {
		return Fragment{}, fmt.Errorf("architecture of %q: %w", model, err)
	}
	b.WriteString(svg)
	b.WriteString(`<table class="cl-table"><tr><th>layer</th><th>inputs</th><th>kind</th><th>output shape</th><th>parameters</th><th>% params</th><th>FLOPs / image</th><th>% FLOPs</th></tr>`)
	share := func(x, total float64) string {
		if total <= 0 {
			return "0.0"
		}
		return fmt.Sprintf("%.1f", 100*x/total)
	}
	for i, r := range rows {
		ps, fs := share(float64(r.Params), float64(params)), share(float64(r.FLOPs), float64(flops))
		kind := esc(r.Kind)
		if r.Activation != "" {
			kind += " + " + esc(r.Activation)
		}
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td><span class="cl-bar" style="width:%spx"></span> %s</td><td>%d</td><td><span class="cl-bar" style="width:%spx"></span> %s</td></tr>`,
			esc(r.Name), esc(strings.Join(inputsOf(rows, i), ", ")), kind, shapeText(r.OutShape), r.Params, ps, ps, r.FLOPs, fs, fs)
	}
	fmt.Fprintf(&b, `<tr><th>total</th><th></th><th></th><th></th><th>%d</th><th>100</th><th>%d</th><th>100</th></tr></table>`, params, flops)
	fmt.Fprintf(&b, `<p class="cl-note">%s: %s parameters, %s FLOPs per image (a multiply-add counts 2).</p>`, esc(model), human(float64(params)), human(float64(flops)))
	return Fragment{HTML: b.String()}, nil
}

func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}

// human writes 1234567 as 1.23M.
func human(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

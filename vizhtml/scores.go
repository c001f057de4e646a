package vizhtml

import (
	"fmt"
	"math"
	"strings"
)

// ScoreRow is one method's (or baseline's) faithfulness scores, one mean per metric.
type ScoreRow struct {
	Label    string
	Baseline bool
	Values   []float64
	// PerImage holds, per metric, each image's score (optional: shown on hover).
	PerImage [][]float64
	// Beats reports, per metric, whether the method beats both baselines.
	Beats []bool
}

// ScoreMetric describes one column of a score panel.
type ScoreMetric struct {
	Name           string
	HigherIsBetter bool
}

// ScorePanel draws a ranked table of faithfulness scores: for each method and metric the
// mean score as a small bar, the two baselines marked on it (random: dashed, edges: solid),
// and a verdict. Rows come in the order given (best first); baselines last. Plain HTML and
// SVG: it reads the same without scripts.
func ScorePanel(metrics []ScoreMetric, rows []ScoreRow, images int) (Fragment, error) {
	if len(metrics) == 0 || len(rows) == 0 {
		return Fragment{}, fmt.Errorf("score panel: %d metrics, %d rows", len(metrics), len(rows))
	}
	var random, edges *ScoreRow
	for i := range rows {
		r := &rows[i]
		if len(r.Values) != len(metrics) {
			return Fragment{}, fmt.Errorf("score panel: %s has %d values for %d metrics", r.Label, len(r.Values), len(metrics))
		}
		if r.Baseline && random == nil {
			random = r
		} else if r.Baseline && edges == nil {
			edges = r
		}
	}
	lo, hi := make([]float64, len(metrics)), make([]float64, len(metrics))
	for k := range metrics {
		for _, r := range rows {
			if v := r.Values[k]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo[k], hi[k] = math.Min(lo[k], v), math.Max(hi[k], v)
			}
		}
		if hi[k] == lo[k] {
			hi[k] = lo[k] + 1
		}
	}
	var b strings.Builder
	b.WriteString(`<div class="cl-scores" style="overflow-x:auto">`)
	b.WriteString(`<table style="border-collapse:collapse;font-size:13px"><thead><tr><th style="text-align:left;padding:4px 8px">#</th><th style="text-align:left;padding:4px 8px">method</th>`)
	for _, m := range metrics {
		dir := "lower is better"
		if m.HigherIsBetter {
			dir = "higher is better"
		}
		fmt.Fprintf(&b, `<th style="text-align:left;padding:4px 8px">%s<br><span style="font-weight:normal;color:#57606a">%s</span></th>`, esc(m.Name), dir)
	}
	b.WriteString(`<th style="text-align:left;padding:4px 8px">verdict</th></tr></thead><tbody>`)
	place := 0
	for _, r := range rows {
		rank := ""
		if !r.Baseline {
			place++
			rank = fmt.Sprint(place)
		}
		style := ""
		if r.Baseline {
			style = ` style="color:#57606a;border-top:1px solid #d0d7de"`
		}
		fmt.Fprintf(&b, `<tr class="cl-score-row" data-method="%s" data-baseline="%t"%s><td style="padding:3px 8px">%s</td><td style="padding:3px 8px;white-space:nowrap">%s</td>`,
			esc(r.Label), r.Baseline, style, rank, esc(r.Label))
		for k, m := range metrics {
			title := ""
			if k < len(r.PerImage) {
				vals := make([]string, len(r.PerImage[k]))
				for i, v := range r.PerImage[k] {
					vals[i] = formatScore(v)
				}
				title = fmt.Sprintf(` title="%s per image: %s"`, esc(m.Name), esc(strings.Join(vals, ", ")))
			}
			fmt.Fprintf(&b, `<td style="padding:3px 8px" data-metric="%s" data-value="%s"%s>%s<span style="margin-left:6px">%s</span></td>`,
				esc(m.Name), formatScore(r.Values[k]), title, scoreBar(r, random, edges, k, lo[k], hi[k]), formatScore(r.Values[k]))
		}
		fmt.Fprintf(&b, `<td style="padding:3px 8px">%s</td></tr>`, esc(verdict(r, metrics)))
	}
	b.WriteString(`</tbody></table>`)
	fmt.Fprintf(&b, `<p style="font-size:12px;color:#57606a;margin:6px 0">Means over %d images. Marks on each bar: `+
		`<svg width="14" height="10"><line x1="7" y1="0" x2="7" y2="10" stroke="#6e7781" stroke-width="2" stroke-dasharray="2,2"/></svg> random map, `+
		`<svg width="14" height="10"><line x1="7" y1="0" x2="7" y2="10" stroke="#bc4c00" stroke-width="2"/></svg> image edges (Sobel). `+
		`A method is informative when it beats both on every metric. Hover a score for each image's.</p></div>`, images)
	return Fragment{HTML: b.String()}, nil
}

// scoreBar is a 120×14 SVG bar from 0 to the row's value on the metric's scale, with the
// baselines' values marked.
func scoreBar(r ScoreRow, random, edges *ScoreRow, k int, lo, hi float64) string {
	const w, h = 120.0, 14.0
	x := func(v float64) float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		return (v - lo) / (hi - lo) * w
	}
	zero, end := x(0), x(r.Values[k])
	colour := "#0969da"
	if r.Baseline {
		colour = "#afb8c1"
	} else if !r.Beats[k] {
		colour = "#d4a72c"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%.0f" height="%.0f" style="vertical-align:middle;background:#f6f8fa">`, w, h)
	fmt.Fprintf(&b, `<rect x="%.1f" y="2" width="%.1f" height="%.0f" fill="%s"/>`, math.Min(zero, end), math.Abs(end-zero), h-4, colour)
	if random != nil {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%.0f" stroke="#6e7781" stroke-width="2" stroke-dasharray="2,2"/>`, x(random.Values[k]), x(random.Values[k]), h)
	}
	if edges != nil {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%.0f" stroke="#bc4c00" stroke-width="2"/>`, x(edges.Values[k]), x(edges.Values[k]), h)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func verdict(r ScoreRow, metrics []ScoreMetric) string {
	if r.Baseline {
		return "baseline"
	}
	var lost []string
	for k, ok := range r.Beats {
		if !ok {
			lost = append(lost, metrics[k].Name)
		}
	}
	if len(lost) == 0 {
		return "informative"
	}
	if len(lost) == len(metrics) {
		return "no better than a baseline"
	}
	return "not better than a baseline on " + strings.Join(lost, ", ")
}

// formatScore writes a score with three decimals (four below 0.01).
func formatScore(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	if math.Abs(v) < 0.01 && v != 0 {
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

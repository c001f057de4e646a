package vizhtml

import (
	"fmt"
	"strings"

	"github.com/convlens/convlens/nd"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// AttributionColumn is one method's maps, one [H,W] map per image.
type AttributionColumn struct {
	Method string
	Maps   []nd.Array
	Signed bool
}

// AttributionGrid shows images in rows and methods in columns. An unsigned map (Grad-CAM,
// saliency) is blended over its image in viridis; a signed map (gradient × input,
// integrated gradients) is drawn on its own on a diverging scale with white at zero, since
// red and blue blended over a white digit would vanish. Each map is scaled to its own
// range, a map that is one value everywhere is marked as such, and the last row is each
// column's colour scale.
func AttributionGrid(images []nd.Array, rowLabels []string, cols []AttributionColumn) (Fragment, error) {
	if len(images) == 0 || len(cols) == 0 {
		return Fragment{}, fmt.Errorf("attribution grid: %d images, %d methods", len(images), len(cols))
	}
	if len(rowLabels) != len(images) {
		return Fragment{}, fmt.Errorf("attribution grid: %d labels for %d images", len(rowLabels), len(images))
	}
	var b strings.Builder
	b.WriteString(`<table class="cl-table"><tr><th>image</th>`)
	for _, c := range cols {
		if len(c.Maps) != len(images) {
			return Fragment{}, fmt.Errorf("attribution grid: %s has %d maps for %d images", c.Method, len(c.Maps), len(images))
		}
		fmt.Fprintf(&b, "<th>%s</th>", esc(c.Method))
	}
	b.WriteString("</tr>")
	for i, img := range images {
		raw, err := ImagePNG(img, Range{0, 1})
		if err != nil {
			return Fragment{}, fmt.Errorf("attribution grid image %d: %w", i, err)
		}
		fmt.Fprintf(&b, `<tr><td><img src="%s" width="96" height="96" alt="image %d"><br>%s</td>`, DataURI(raw), i, esc(rowLabels[i]))
		for _, c := range cols {
			cell, err := attributionCell(img, c.Maps[i], c.Signed)
			if err != nil {
				return Fragment{}, fmt.Errorf("attribution grid %s image %d: %w", c.Method, i, err)
			}
			fmt.Fprintf(&b, `<td>%s</td>`, strings.Replace(cell, `alt=""`, `alt="`+esc(c.Method)+`"`, 1))
		}
		b.WriteString("</tr>")
	}
	b.WriteString(`<tr><td class="cl-capnote">colours</td>`)
	for _, c := range cols {
		if c.Signed {
			b.WriteString(`<td>` + legendStrip(Diverging, "−max", "+max", "0 white") + `</td>`)
		} else {
			b.WriteString(`<td>` + legendStrip(Viridis, "min", "max", "over the image") + `</td>`)
		}
	}
	b.WriteString("</tr></table>")
	b.WriteString(`<p class="cl-note">Each map is scaled to its own range (the colour row: its ends). Signed maps: red raises the class score, blue lowers it.</p>`)
	return Fragment{HTML: b.String()}, nil
}

// attributionCell draws one map of the grid (96 px), with a note when it is constant.
func attributionCell(img, m nd.Array, signed bool) (string, error) {
	r := RangeOf(m.Data, false)
	var png []byte
	var err error
	if signed {
		png, err = HeatPNG(nd.Array{Shape: m.Shape[:2], Data: m.Data}, Diverging, RangeOf(m.Data, true))
	} else {
		png, err = OverlayPNG(img, m, OverlayOptions{Alpha: 0.65, Scale: max(1, 96/max(img.Shape[0], 1))})
	}
	if err != nil {
		return "", err
	}
	cell := fmt.Sprintf(`<img src="%s" width="96" height="96" style="image-rendering:pixelated" alt="">`, DataURI(png))
	if r.Lo == r.Hi {
		cell += fmt.Sprintf(`<br><span class="cl-capnote cl-constant">blank: %s everywhere</span>`, esc(scaleLabel(r.Lo)))
	}
	return cell, nil
}

// legendStrip is a small colour bar with its two end labels and a note.
func legendStrip(cmap Colormap, lo, hi, note string) string {
	strip := nd.New(1, 64)
	for i := range strip.Data {
		strip.Data[i] = float32(i) / 63
	}
	png, err := HeatPNG(strip, cmap, Range{0, 1})
	if err != nil {
		return ""
	}
	return fmt.Sprintf(`<div class="cl-legend" style="font-size:11px;color:#444;white-space:nowrap">%s <img src="%s" width="56" height="8" alt="colour scale" style="vertical-align:middle;border:1px solid #ccc"> %s<br>%s</div>`,
		esc(lo), DataURI(png), esc(hi), esc(note))
}

// SanityLine is one method's similarity to its original maps as layers are randomised.
type SanityLine struct {
	Method     string
	Steps      []string
	Similarity []float64
	Flagged    bool
}

// SanityChart plots the cascading randomisation test: x the randomised layers (top first),
// y the Spearman rank correlation with the original maps. A line that stays high means
// the method does not depend on the weights; flagged methods are named in the subtitle.
func SanityChart(lines []SanityLine, threshold float64) (Fragment, error) {
	if len(lines) == 0 {
		return Fragment{}, fmt.Errorf("sanity chart: no methods")
	}
	steps := lines[0].Steps
	var flagged []string
	line := charts.NewLine()
	for _, l := range lines {
		if len(l.Steps) != len(steps) || len(l.Similarity) != len(steps) {
			return Fragment{}, fmt.Errorf("sanity chart: %s has %d steps and %d values, want %d", l.Method, len(l.Steps), len(l.Similarity), len(steps))
		}
		data := make([]opts.LineData, len(steps))
		for i, v := range l.Similarity {
			data[i] = opts.LineData{Value: finite(round(v, 3))}
		}
		line.AddSeries(l.Method, data)
		if l.Flagged {
			flagged = append(flagged, l.Method)
		}
	}
	sub := fmt.Sprintf("Spearman ρ of |map| with the original maps; above %.2g with every layer random = flagged", threshold)
	if len(flagged) > 0 {
		sub += ". Flagged: " + strings.Join(flagged, ", ")
	}
	// Each step randomises one more layer: label it by that layer (the full cumulative list
	// is in the tooltip's step name), every label shown, tilted.
	labels := make([]string, len(steps))
	for i, st := range steps {
		labels[i] = st
		if j := strings.LastIndex(st, "+"); j >= 0 {
			labels[i] = "+" + st[j+1:]
		}
		if len([]rune(labels[i])) > 18 {
			labels[i] = string([]rune(labels[i])[:17]) + "…"
		}
	}
	line.SetGlobalOptions(title("Model-parameter randomisation (cascading, top layer first)", sub),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: tf(true), Type: "scroll"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: labels, Name: "layers randomised, from the top", NameLocation: "middle",
			NameGap: 62, AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Min: -1, Max: 1, Name: "Spearman ρ"}),
		charts.WithGridOpts(opts.Grid{Top: "90", Bottom: "70", ContainLabel: tf(true)}),
	)
	line.SetXAxis(labels)
	return render(line, "100%", "380px")
}

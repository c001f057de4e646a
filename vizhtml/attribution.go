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

// AttributionGrid shows images in rows and methods in columns, each cell the method's map
// blended over the image (diverging colours for signed maps, viridis otherwise).
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
			png, err := OverlayPNG(img, c.Maps[i], OverlayOptions{Signed: c.Signed, Alpha: 0.65, Scale: max(1, 96/max(img.Shape[0], 1))})
			if err != nil {
				return Fragment{}, fmt.Errorf("attribution grid %s image %d: %w", c.Method, i, err)
			}
			fmt.Fprintf(&b, `<td><img src="%s" width="96" height="96" alt="%s"></td>`, DataURI(png), esc(c.Method))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return Fragment{HTML: b.String()}, nil
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
	line.SetGlobalOptions(title("Model-parameter randomisation (cascading, top layer first)", sub),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: tf(true), Top: "45", Type: "scroll"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: steps, Name: "randomised", NameLocation: "middle", NameGap: 30}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Min: -1, Max: 1, Name: "Spearman ρ"}),
		charts.WithGridOpts(opts.Grid{Top: "90", ContainLabel: tf(true)}),
	)
	line.SetXAxis(steps)
	return render(line, "100%", "380px")
}

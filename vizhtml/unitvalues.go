package vizhtml

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// UnitValues charts one image's dense-layer output (fc units or logits) as a bar per unit,
// labelled by labels (class names for logits) or by unit index when labels is nil; positive
// bars red, negative blue, and the three strongest units named in the subtitle.
func UnitValues(titleText string, values []float32, labels []string) (Fragment, error) {
	k := len(values)
	if k == 0 || k > 4096 {
		return Fragment{}, fmt.Errorf("unit values %q: %d units (want 1 to 4096)", titleText, k)
	}
	if labels == nil {
		labels = make([]string, k)
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
	}
	if len(labels) != k {
		return Fragment{}, fmt.Errorf("unit values %q: %d values for %d labels", titleText, k, len(labels))
	}
	order := make([]int, k)
	for i, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Fragment{}, fmt.Errorf("unit values %q: unit %q is %v", titleText, labels[i], v)
		}
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return math.Abs(float64(values[order[a]])) > math.Abs(float64(values[order[b]])) })
	var strongest []string
	for _, i := range order[:min(3, k)] {
		strongest = append(strongest, fmt.Sprintf("%s (%.3g)", labels[i], values[i]))
	}
	zero := 0
	bars := make([]opts.BarData, k)
	for i, v := range values {
		color := "#d6604d" // diverging red: positive
		if v < 0 {
			color = "#4393c3"
		}
		if v == 0 {
			zero++
		}
		bars[i] = opts.BarData{Name: labels[i], Value: round(float64(v), 4), ItemStyle: &opts.ItemStyle{Color: color}}
	}
	sub := "strongest: " + strings.Join(strongest, ", ")
	if zero > 0 {
		sub += fmt.Sprintf("; %d of %d exactly 0", zero, k)
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(title(titleText, sub),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true)}),
		charts.WithLegendOpts(opts.Legend{Show: tf(false)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "unit", NameLocation: "middle", NameGap: 28, Data: labels,
			AxisLabel: &opts.AxisLabel{Rotate: rotation(k), Interval: fmt.Sprint((k+29)/30 - 1)}}), // at most 30 labels
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "output"}),
		charts.WithGridOpts(opts.Grid{Top: "70", Left: "50", Right: "20", Bottom: "40", ContainLabel: tf(true)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}),
	)
	bar.SetXAxis(labels)
	bar.AddSeries("output", bars)
	return render(bar, fmt.Sprintf("%dpx", min(900, max(320, 60+30*k))), "260px")
}

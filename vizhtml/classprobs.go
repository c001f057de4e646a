package vizhtml

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/nd"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Softmax turns logits into probabilities (nd.Softmax of their float64 values).
func Softmax(logits []float32) []float64 {
	v := make([]float64, len(logits))
	for i, x := range logits {
		v[i] = float64(x)
	}
	return nd.Softmax(v)
}

// ClassProbabilities charts one image's logits as the softmax probability of each class,
// bars labelled by class name, the most likely class highlighted and named in the subtitle.
func ClassProbabilities(titleText string, logits []float32, classes []string) (Fragment, error) {
	k := len(logits)
	if k == 0 || k > 1000 || len(classes) != k {
		return Fragment{}, fmt.Errorf("class probabilities: %d logits for %d class names (want 1 to 1000, one name each)", k, len(classes))
	}
	for i, v := range logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Fragment{}, fmt.Errorf("class probabilities: logit %d of class %q is %v", i, classes[i], v)
		}
	}
	p := Softmax(logits)
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	bars := make([]opts.BarData, k)
	for i := range p {
		color := "#9db7d5"
		if i == best {
			color = "#1f5fa8"
		}
		// A label per bar, as a percentage, for the probabilities one can see (≥ 0.5 %).
		label := &opts.Label{Show: tf(k <= 20 && p[i] >= 0.005), Position: "top", Formatter: fmt.Sprintf("%.3g%%", 100*p[i])}
		bars[i] = opts.BarData{Name: classes[i], Value: round(p[i], 4), ItemStyle: &opts.ItemStyle{Color: color}, Label: label}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(title(titleText, fmt.Sprintf("most likely: %s (%.1f%%, logit %.3g)", classes[best], 100*p[best], logits[best])),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true)}),
		charts.WithLegendOpts(opts.Legend{Show: tf(false)}),
		// The axis name at the right end, with room for it: below rotated labels of
		// unknown length it could fall off the chart.
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "class", NameGap: 8,
			Data: classes, AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: rotation(k)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "softmax probability", Min: 0, Max: 1}),
		charts.WithGridOpts(opts.Grid{Top: "70", Left: "50", Right: "50", Bottom: "30", ContainLabel: tf(true)}),
	)
	bar.SetXAxis(classes)
	bar.AddSeries("probability", bars)
	return render(bar, fmt.Sprintf("%dpx", min(900, max(320, 60+44*k))), "280px")
}

// rotation tilts category labels when there are many.
func rotation(k int) float64 {
	if k > 12 {
		return 45
	}
	return 0
}

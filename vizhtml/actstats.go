package vizhtml

import (
	"fmt"
	"math"

	"github.com/convlens/convlens/nd"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// ChannelStats summarises one layer's activations over a batch, per channel.
type ChannelStats struct {
	Mean     []float64 // mean activation
	Sparsity []float64 // share of values that are exactly zero (or below, for ReLU-like outputs ≤ 0)
	Dead     []bool    // no positive value for any image or position
}

// DeadFraction is the share of dead channels.
func (s ChannelStats) DeadFraction() float64 {
	n := 0
	for _, d := range s.Dead {
		if d {
			n++
		}
	}
	return float64(n) / float64(max(len(s.Dead), 1))
}

// ComputeChannelStats reads activations [N, H, W, C] or [N, D] (channels last).
func ComputeChannelStats(act nd.Array) (ChannelStats, error) {
	if err := act.Validate(); err != nil {
		return ChannelStats{}, fmt.Errorf("activation statistics: %w", err)
	}
	if len(act.Shape) != 2 && len(act.Shape) != 4 {
		return ChannelStats{}, fmt.Errorf("activation statistics: shape %v, want [N H W C] or [N D]", act.Shape)
	}
	if err := nd.CheckFinite("activation statistics", act.Data); err != nil {
		return ChannelStats{}, err
	}
	c := act.Shape[len(act.Shape)-1]
	s := ChannelStats{Mean: make([]float64, c), Sparsity: make([]float64, c), Dead: make([]bool, c)}
	alive := make([]bool, c)
	for i, v := range act.Data {
		ch := i % c
		s.Mean[ch] += float64(v)
		if v <= 0 {
			s.Sparsity[ch]++
		} else {
			alive[ch] = true
		}
	}
	per := float64(len(act.Data) / c)
	for ch := range s.Mean {
		s.Mean[ch] /= per
		s.Sparsity[ch] /= per
		s.Dead[ch] = !alive[ch]
	}
	return s, nil
}

// ActivationStats charts a layer's per-channel mean activation and share of non-positive
// values, and counts dead channels (never positive on the batch) in the subtitle.
func ActivationStats(layer string, s ChannelStats) (Fragment, error) {
	c := len(s.Mean)
	if c == 0 || len(s.Sparsity) != c || len(s.Dead) != c {
		return Fragment{}, fmt.Errorf("activation statistics of %q: inconsistent lengths", layer)
	}
	xs := make([]string, c)
	mean := make([]opts.BarData, c)
	sparse := make([]opts.BarData, c)
	for i := range xs {
		xs[i] = fmt.Sprint(i)
		mean[i] = opts.BarData{Value: finite(round(s.Mean[i], 4))}
		color := "#91cc75" // the legend colour of the second series
		if s.Dead[i] {
			color = "#d62728"
		}
		sparse[i] = opts.BarData{Value: finite(round(s.Sparsity[i], 4)), ItemStyle: &opts.ItemStyle{Color: color}}
	}
	deadCount := int(math.Round(s.DeadFraction() * float64(c)))
	bar := charts.NewBar()
	bar.SetGlobalOptions(title(layer, fmt.Sprintf("%d of %d channels dead (red: never positive on this batch)", deadCount, c)),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: tf(true), Top: "40"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "channel", NameLocation: "middle", NameGap: 25, Data: xs}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "mean activation", Position: "left"}),
		charts.WithGridOpts(opts.Grid{Top: "80", Left: "60", Right: "60", ContainLabel: tf(true)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}),
	)
	// The share is a fraction: its own axis from 0 to 1 on the right, whatever the means' scale.
	bar.ExtendYAxis(opts.YAxis{Type: "value", Name: "share ≤ 0", Position: "right", Min: "0", Max: 1,
		SplitLine: &opts.SplitLine{Show: tf(false)}})
	bar.SetXAxis(xs)
	bar.AddSeries("mean activation", mean)
	bar.AddSeries("share ≤ 0", sparse, charts.WithBarChartOpts(opts.BarChart{YAxisIndex: 1}))
	// A legend entry for the red bars (no data of its own).
	dead := charts.NewLine()
	dead.AddSeries("dead: never positive", []opts.LineData{}, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#d62728"}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: "#d62728"}))
	bar.Overlap(dead)
	return render(bar, "100%", "300px")
}

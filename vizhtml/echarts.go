package vizhtml

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// option is a go-echarts chart whose options we embed ourselves (see chartFragment).
type option interface {
	Validate()
	JSON() map[string]interface{}
}

func render(c option, width, height string) (Fragment, error) {
	c.Validate()
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return Fragment{}, fmt.Errorf("chart option: %w", err)
	}
	var opt map[string]any
	if err := json.Unmarshal(b, &opt); err != nil {
		return Fragment{}, fmt.Errorf("chart option: %w", err)
	}
	// ECharts renders series of 3,000+ items progressively over animation frames; in
	// headless browsers and nbconvert exports that never settles (a 40-bin × 75-step
	// heatmap hung Chromium). Our series are bounded, so draw them in one pass.
	if series, ok := opt["series"].([]any); ok {
		for _, s := range series {
			if m, ok := s.(map[string]any); ok {
				m["progressive"] = 0
			}
		}
	}
	fitHeader(opt)
	if h, err := strconv.Atoi(strings.TrimSuffix(height, "px")); err == nil {
		spaceCategoryLabels(opt, h)
	}
	return chartFragment(opt, width, height)
}

func tf(b bool) *bool { return &b }

func title(t, sub string) charts.GlobalOpts {
	return charts.WithTitleOpts(opts.Title{Title: t, Subtitle: sub})
}

// finite replaces NaN/Inf (which JSON cannot carry) by nil, shown by ECharts as a gap.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// visualMap returns a continuous colour scale over [lo, hi], its ends labelled with three
// significant digits. It has no drag handles: ECharts labels those with integers, so a
// range of ±0.476 would read "0" and "-0".
func visualMap(cmap Colormap, lo, hi float64) opts.VisualMap {
	text := []string{scaleLabel(hi), scaleLabel(lo)}
	if !(hi > lo) { // one value everywhere: say so, and give ECharts a usable span
		text = []string{"all " + scaleLabel(lo), ""}
		hi = lo + 1
	}
	// go-echarts omits zero min/max; nudge them so ECharts receives the intended bounds.
	nz := func(v float64) float32 {
		if v == 0 {
			return float32(math.Copysign(1e-12, v))
		}
		return float32(v)
	}
	return opts.VisualMap{Calculable: tf(false), Min: nz(lo), Max: nz(hi), Orient: "vertical", Right: "0", Top: "middle",
		Text: text, InRange: &opts.VisualMapInRange{Color: cmap.Stops(9)}}
}

// scaleLabel writes a colour-scale end: 3 significant digits, and never "-0".
func scaleLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}

// heatmapChart builds a cells chart: values[y][x] with named category axes.
func heatmapChart(t, sub, xName, yName string, xs, ys []string, values [][]float64, cmap Colormap, rng Range, labels bool) *charts.HeatMap {
	hm := charts.NewHeatMap()
	hm.SetGlobalOptions(title(t, sub),
		charts.WithLegendOpts(opts.Legend{Show: tf(false)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 25, Data: xs, SplitArea: &opts.SplitArea{Show: tf(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: yName, Data: ys, SplitArea: &opts.SplitArea{Show: tf(true)}}),
		charts.WithVisualMapOpts(visualMap(cmap, rng.Lo, rng.Hi)),
		charts.WithGridOpts(opts.Grid{Right: "90", Left: "60", Top: "60", Bottom: "40", ContainLabel: tf(true)}),
	)
	// Values to three digits of the chart's largest magnitude (not of each value): a cell
	// label of -0.0000223 beside -0.364 would run into its neighbours.
	step := 0.0
	if m := math.Max(math.Abs(rng.Lo), math.Abs(rng.Hi)); m > 0 && !math.IsInf(m, 0) {
		step = math.Pow(10, math.Floor(math.Log10(m))-2)
	}
	var data []opts.HeatMapData
	for y, row := range values {
		for x, v := range row {
			if step > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
				v = round(math.Round(v/step)*step, 3)
				if v == 0 {
					v = 0 // never -0
				}
			}
			data = append(data, opts.HeatMapData{Value: [3]any{x, y, finite(v)}})
		}
	}
	hm.SetXAxis(xs)
	hm.AddSeries(t, data, charts.WithLabelOpts(opts.Label{Show: tf(labels)}))
	return hm
}

// lineChart draws named series sharing an x axis, with zoom.
func lineChart(t, sub, xName, yName string, series [][2][]float64, names []string, logY bool) *charts.Line {
	line := charts.NewLine()
	yType := "value"
	if logY {
		yType = "log"
	}
	line.SetGlobalOptions(title(t, sub),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: tf(true), Top: "30", Type: "scroll"}),
		// From the first point to the last; the ends' own labels (-4.95) are left out, as they
		// would run into the round ticks and the y axis' lowest label.
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: xName, NameLocation: "middle", NameGap: 25, Scale: tf(true), Min: "dataMin", Max: "dataMax",
			AxisLabel: &opts.AxisLabel{ShowMinLabel: tf(false), ShowMaxLabel: tf(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: yType, Name: yName, Scale: tf(true)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}, opts.DataZoom{Type: "slider"}),
		charts.WithGridOpts(opts.Grid{Top: "70", Left: "60", Right: "30", Bottom: "70", ContainLabel: tf(true)}),
	)
	for i, s := range series {
		data := make([]opts.LineData, len(s[0]))
		for j := range s[0] {
			y := s[1][j]
			x := round(s[0][j], 7) // float32 inputs: 4.95, not 4.9499998
			if finite(x) == nil {  // no place on the x axis: a gap, as for a NaN y
				data[j] = opts.LineData{Value: []any{nil, nil}}
				continue
			}
			if logY && !(y > 0) {
				data[j] = opts.LineData{Value: []any{x, nil}}
				continue
			}
			data[j] = opts.LineData{Value: []any{x, finite(y)}}
		}
		seriesOpts := []charts.SeriesOpts{charts.WithLineChartOpts(opts.LineChart{ShowSymbol: tf(len(data) < 60)})}
		if coincides(series, i) {
			seriesOpts = append(seriesOpts, charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Width: 2.5}))
		}
		line.AddSeries(names[i], data, seriesOpts...)
	}
	return line
}

// coincides reports whether series i runs on top of an earlier series over at least a
// tenth of its points (as ReLU and LeakyReLU do for x > 0): it is then drawn dashed, so
// that the line under it still shows.
func coincides(series [][2][]float64, i int) bool {
	x, y := series[i][0], series[i][1]
	for j := 0; j < i; j++ {
		xj, yj := series[j][0], series[j][1]
		if len(xj) != len(x) {
			continue
		}
		same := 0
		for k := range x {
			if xj[k] == x[k] && math.Abs(yj[k]-y[k]) <= 1e-9*(1+math.Abs(y[k])) {
				same++
			}
		}
		if same > 0 && same*10 >= len(x) {
			return true
		}
	}
	return false
}

// round keeps sig significant digits, so charts carry short numbers.
func round(v float64, sig int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, float64(sig-1)-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

func checkSeries(what string, x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("%s: %d x values, %d y values", what, len(x), len(y))
	}
	return nil
}

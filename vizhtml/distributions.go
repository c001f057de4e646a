package vizhtml

import (
	"fmt"
	"math"
	"regexp"
	"slices"

	"github.com/convlens/convlens/nd"
)

// HistogramAt is a histogram recorded at a training step.
type HistogramAt struct {
	Step int64
	Hist nd.Histogram
}

// Distributions shows how one tensor's values (weights or gradients of a layer) spread over
// training: a heatmap with training steps across, value bins up, and colour the share of
// values in each bin (TensorBoard's distribution view). Each step's histogram is re-binned
// onto bins equal bins (default 40) over a range that ignores the most extreme tenth of
// steps' minima and maxima (gradients are often far larger in the first steps); values
// beyond it fall in the end bins.
func Distributions(name string, snaps []HistogramAt, bins int) (Fragment, error) {
	if len(snaps) == 0 {
		return Fragment{}, fmt.Errorf("distributions of %q: no histograms", name)
	}
	if bins <= 0 {
		bins = 40
	}
	bins = min(bins, 400)
	var lows, highs []float64
	for _, s := range snaps {
		h := s.Hist
		if len(h.Counts) == 0 {
			continue
		}
		if len(h.Edges) != len(h.Counts)+1 {
			return Fragment{}, fmt.Errorf("distributions of %q: step %d has %d edges for %d bins", name, s.Step, len(h.Edges), len(h.Counts))
		}
		for _, e := range h.Edges {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return Fragment{}, fmt.Errorf("distributions of %q: step %d has a non-finite bin edge", name, s.Step)
			}
		}
		lows, highs = append(lows, h.Edges[0]), append(highs, h.Edges[len(h.Edges)-1])
	}
	if len(lows) == 0 {
		return Fragment{}, fmt.Errorf("distributions of %q: all histograms are empty", name)
	}
	slices.Sort(lows)
	slices.Sort(highs)
	lo, hi := lows[len(lows)/10], highs[len(highs)-1-len(highs)/10]
	if hi == lo {
		hi = lo + 1e-9
	}
	width := (hi - lo) / float64(bins)
	xs := make([]string, len(snaps))
	ys := make([]string, bins)
	for b := range ys {
		ys[b] = fmt.Sprintf("%.3g", lo+(float64(b)+0.5)*width)
	}
	values := make([][]float64, bins)
	for b := range values {
		values[b] = make([]float64, len(snaps))
	}
	for x, s := range snaps {
		xs[x] = fmt.Sprint(s.Step)
		total := 0
		for _, c := range s.Hist.Counts {
			total += c
		}
		if total == 0 {
			continue
		}
		for i, c := range s.Hist.Counts {
			a, z := s.Hist.Edges[i], s.Hist.Edges[i+1]
			spread(values, x, a, z, float64(c)/float64(total), lo, width, bins)
		}
	}
	hm := heatmapChart(name, "share of values per bin; steps across", "step", "value", xs, ys, values, Viridis, Range{0, maxOf(values)}, false)
	return render(hm, "100%", "320px")
}

// spread adds mass, uniform over [a, z], into the bins of column x.
func spread(values [][]float64, x int, a, z, mass, lo, width float64, bins int) {
	if z <= a {
		b := min(max(int((a-lo)/width), 0), bins-1)
		values[b][x] += mass
		return
	}
	first := min(max(int((a-lo)/width), 0), bins-1)
	last := min(max(int((z-lo)/width), 0), bins-1)
	for b := first; b <= last; b++ {
		bl, bh := lo+float64(b)*width, lo+float64(b+1)*width
		overlap := math.Min(z, bh) - math.Max(a, bl)
		if overlap > 0 {
			values[b][x] += mass * overlap / (z - a)
		}
	}
}

func maxOf(values [][]float64) float64 {
	m := 0.0
	for _, row := range values {
		for _, v := range row {
			m = math.Max(m, v)
		}
	}
	return m
}

// GradientFlow plots one series per layer (typically the gradient L2 norm) over training
// steps on a log scale: vanishing or exploding gradients show as layers drifting apart.
func GradientFlow(series []nd.Series, yName string) (Fragment, error) {
	if len(series) == 0 {
		return Fragment{}, fmt.Errorf("gradient flow: no series")
	}
	var xy [][2][]float64
	var names []string
	for _, s := range series {
		if err := checkSeries("gradient flow "+s.Name, s.X, s.Y); err != nil {
			return Fragment{}, err
		}
		xy = append(xy, [2][]float64{s.X, s.Y})
		names = append(names, s.Name)
	}
	return render(lineChart("Gradient flow", "per layer, log scale", "step", yName, xy, names, true), "100%", "380px")
}

// TrainingCurves draws loss and accuracy (train and held-out) against steps, zoomable.
func TrainingCurves(loss, accuracy []nd.Series) (Fragment, error) {
	var out Fragment
	for _, part := range []struct {
		title, y string
		series   []nd.Series
	}{{"Loss", "cross-entropy", loss}, {"Accuracy", "accuracy", accuracy}} {
		if len(part.series) == 0 {
			continue
		}
		var xy [][2][]float64
		var names []string
		for _, s := range part.series {
			if err := checkSeries(part.title+" "+s.Name, s.X, s.Y); err != nil {
				return Fragment{}, err
			}
			xy = append(xy, [2][]float64{s.X, s.Y})
			names = append(names, s.Name)
		}
		// Loss on a log scale (a spike does not flatten the rest), with a button to switch.
		logY := part.title == "Loss" && allPositive(part.series)
		f, err := render(lineChart(part.title, "", "step", part.y, xy, names, logY), "100%", "340px")
		if err != nil {
			return Fragment{}, err
		}
		if logY {
			f.HTML += scaleToggle(f.HTML)
		}
		out = Join(out, f)
	}
	if out.Charts == 0 {
		return Fragment{}, fmt.Errorf("training curves: no series")
	}
	return out, nil
}

// allPositive reports whether every finite y is above zero (a log axis can show them all).
func allPositive(series []nd.Series) bool {
	for _, s := range series {
		for _, y := range s.Y {
			if !math.IsNaN(y) && !math.IsInf(y, 0) && y <= 0 {
				return false
			}
		}
	}
	return true
}

var chartIDRE = regexp.MustCompile(`class="cl-chart" id="([^"]+)"`)

// scaleToggle is a button, shown only where scripts run, that switches the y axis of the
// chart in fragment between log and linear.
func scaleToggle(fragment string) string {
	m := chartIDRE.FindStringSubmatch(fragment)
	if m == nil {
		return ""
	}
	id := m[1]
	return fmt.Sprintf(`<button id="%s-scale" type="button" style="display:none;font-size:11px;margin:2px 0 8px">linear scale</button>`+
		`<script>(function(){var b=document.getElementById("%s-scale"),el=document.getElementById("%s");`+
		`if(!b||!el||!window.echarts){return;}b.style.display="inline-block";`+
		`b.onclick=function(){var ch=echarts.getInstanceByDom(el);if(!ch){return;}`+
		`var log=ch.getOption().yAxis[0].type==="log";ch.setOption({yAxis:{type:log?"value":"log"}});`+
		`b.textContent=log?"log scale":"linear scale";};})();</script>`, id, id, id)
}

// bandPercents are TensorBoard's distribution percentiles (±0, 1, 1.5 and 2 σ, and the median).
var bandPercents = []float64{0, 7, 16, 31, 50, 69, 84, 93, 100}

// bandShades are the opaque fills of the bands, outermost (0–100 %) to innermost (31–69 %):
// #5470c6 at 14, 26, 42 and 62 % over white.
var bandShades = []string{"#e7ebf7", "#d3daf0", "#b7c3e7", "#95a6dc"}

const medianColour = "#1d3178"

// PercentileBands plots, per step, the percentiles of a recorded histogram (0, 7, 16, 31,
// 50, 69, 84, 93, 100 — TensorBoard's distribution bands), read from the histogram by
// linear interpolation within bins, as nested shaded bands around a median line. It suits
// gradients, whose spread shrinks by orders of magnitude during training.
func PercentileBands(name string, snaps []HistogramAt) (Fragment, error) {
	if len(snaps) == 0 {
		return Fragment{}, fmt.Errorf("percentiles of %q: no histograms", name)
	}
	var steps []float64
	pct := make([][]float64, len(bandPercents))
	for _, s := range snaps {
		h := s.Hist
		if len(h.Counts) == 0 {
			continue
		}
		if len(h.Edges) != len(h.Counts)+1 {
			return Fragment{}, fmt.Errorf("percentiles of %q: step %d has %d edges for %d bins", name, s.Step, len(h.Edges), len(h.Counts))
		}
		for i, p := range bandPercents {
			v, err := percentile(h, p)
			if err != nil {
				return Fragment{}, fmt.Errorf("percentiles of %q at step %d: %w", name, s.Step, err)
			}
			pct[i] = append(pct[i], v)
		}
		steps = append(steps, float64(s.Step))
	}
	if len(steps) == 0 {
		return Fragment{}, fmt.Errorf("percentiles of %q: all histograms are empty", name)
	}
	return chartFragment(bandOption(name, "shaded: 0–100, 7–93, 16–84, 31–69 % of values (darkest in the middle); line: median", "step", "value", steps, pct), "100%", "320px")
}

// bandOption is an ECharts option of nested bands around a median (pct[i] is the i-th of
// bandPercents per step), painted without stacking (ECharts stacks the x dimension of
// value-axis lines): from the top, each upper boundary fills down to the axis floor in
// a darker shade than the one before, then each lower boundary fills down in the shade
// of the band below it, the lowest in white. Every series carries its own percentile, so
// the tooltip shows the values themselves.
func bandOption(t, sub, xName, yName string, steps []float64, pct [][]float64) map[string]any {
	n := len(bandPercents)
	mid := n / 2 // the median
	series := []any{}
	add := func(i int, fill string) {
		data := make([]any, len(steps))
		for j, x := range steps {
			data[j] = []any{x, finite(round(pct[i][j], 6))}
		}
		s := map[string]any{"type": "line", "name": fmt.Sprintf("p%g", bandPercents[i]), "data": data, "symbol": "none",
			"lineStyle": map[string]any{"opacity": 0}, "itemStyle": map[string]any{"color": fill}, "progressive": 0,
			"areaStyle": map[string]any{"color": fill, "opacity": 1, "origin": "start"}}
		series = append(series, s)
	}
	for i := n - 1; i > mid; i-- { // p100, p93, p84, p69: darker inwards
		add(i, bandShades[n-1-i])
	}
	data := make([]any, len(steps))
	for j, x := range steps {
		data[j] = []any{x, finite(round(pct[mid][j], 6))}
	}
	series = append(series, map[string]any{"type": "line", "name": "p50 (median)", "data": data, "symbol": "none", "z": 4,
		"lineStyle": map[string]any{"color": medianColour, "width": 2}, "itemStyle": map[string]any{"color": medianColour}, "progressive": 0})
	for i := mid - 1; i >= 0; i-- { // p31, p16, p7 in the shade of the band below them; p0 in white
		fill := "#ffffff"
		if i > 0 {
			fill = bandShades[i-1]
		}
		add(i, fill)
	}
	return map[string]any{
		"title":    map[string]any{"text": t, "subtext": sub},
		"tooltip":  map[string]any{"show": true, "trigger": "axis"},
		"legend":   map[string]any{"show": false},
		"grid":     map[string]any{"top": 70, "left": 60, "right": 30, "bottom": 70, "containLabel": true},
		"xAxis":    []any{map[string]any{"type": "value", "name": xName, "nameLocation": "middle", "nameGap": 25, "scale": true, "min": "dataMin", "max": "dataMax", "z": 3}},
		"yAxis":    []any{map[string]any{"type": "value", "name": yName, "scale": true, "z": 3}}, // grid lines over the fills
		"dataZoom": []any{map[string]any{"type": "inside"}, map[string]any{"type": "slider"}},
		"series":   series,
	}
}

func percentile(h nd.Histogram, p float64) (float64, error) {
	total := 0
	for _, c := range h.Counts {
		if c < 0 {
			return 0, fmt.Errorf("negative count")
		}
		total += c
	}
	if total == 0 {
		return 0, fmt.Errorf("empty histogram")
	}
	target := p / 100 * float64(total)
	cum := 0.0
	for i, c := range h.Counts {
		if c > 0 && cum+float64(c) >= target {
			f := (target - cum) / float64(c)
			return h.Edges[i] + f*(h.Edges[i+1]-h.Edges[i]), nil
		}
		cum += float64(c)
	}
	return h.Edges[len(h.Edges)-1], nil
}

// LineChart draws named series against a shared numeric x axis, zoomable.
func LineChart(titleText, xName, yName string, series []nd.Series) (Fragment, error) {
	return lineChartOf(titleText, xName, yName, series, false)
}

// LogLineChart is LineChart with a logarithmic y axis (values ≤ 0 leave gaps): for losses
// whose spikes would flatten every other curve.
func LogLineChart(titleText, xName, yName string, series []nd.Series) (Fragment, error) {
	return lineChartOf(titleText, xName, yName, series, true)
}

func lineChartOf(titleText, xName, yName string, series []nd.Series, logY bool) (Fragment, error) {
	if len(series) == 0 {
		return Fragment{}, fmt.Errorf("line chart %q: no series", titleText)
	}
	var xy [][2][]float64
	var names []string
	for _, s := range series {
		if err := checkSeries(titleText+" "+s.Name, s.X, s.Y); err != nil {
			return Fragment{}, err
		}
		xy = append(xy, [2][]float64{s.X, s.Y})
		names = append(names, s.Name)
	}
	return render(lineChart(titleText, "", xName, yName, xy, names, logY), "100%", "340px")
}

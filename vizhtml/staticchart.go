package vizhtml

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Static pictures: every chart carries a PNG of itself, drawn in Go from the very option
// the live chart receives (one source of truth: the same title, series, colours, axes and
// colour scale), for viewers that strip scripts (GitHub, nbviewer, untrusted notebooks,
// e-mail). The live chart replaces it when scripts run. It draws the four chart types
// convlens makes (line, bar, scatter, heatmap); interaction (zoom, tooltips) is the live
// chart's.

var (
	fontsOnce    sync.Once
	bold, smallF font.Face
	fontErr      error
)

func loadFonts() error {
	fontsOnce.Do(func() {
		face := func(ttf []byte, size float64) font.Face {
			f, err := opentype.Parse(ttf)
			if err != nil {
				fontErr = err
				return nil
			}
			fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				fontErr = err
			}
			return fc
		}
		bold, smallF = face(gobold.TTF, 15), face(goregular.TTF, 11)
	})
	return fontErr
}

// picture is a chart being drawn.
type picture struct {
	img                      *image.RGBA
	left, right, top, bottom float64 // plot area
	xs, ys, ys2              scale   // ys2: the second y axis, if any
	palette                  []color.RGBA
}

// scale maps data values (or category indices) to pixels.
type scale struct {
	lo, hi   float64
	log      bool
	cats     []string // category axis labels
	from, to float64  // pixels
}

func (s scale) px(v float64) float64 {
	if len(s.cats) > 0 { // band centres
		step := (s.to - s.from) / float64(len(s.cats))
		return s.from + (v+0.5)*step
	}
	lo, hi := s.lo, s.hi
	if s.log {
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if hi == lo {
		return (s.from + s.to) / 2
	}
	return s.from + (v-lo)/(hi-lo)*(s.to-s.from)
}

// staticChartPNG draws an ECharts option as a w×h PNG.
func staticChartPNG(opt map[string]any, w, h int) ([]byte, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	p := &picture{img: image.NewRGBA(image.Rect(0, 0, w, h))}
	draw.Draw(p.img, p.img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, c := range list(opt["color"]) {
		p.palette = append(p.palette, parseColor(str(c)))
	}
	if len(p.palette) == 0 {
		p.palette = []color.RGBA{{84, 112, 198, 255}}
	}
	t := obj(first(opt["title"]))
	p.text(bold, 8, 18, str(t["text"]), color.RGBA{51, 51, 51, 255})
	p.text(smallF, 8, 34, str(t["subtext"]), color.RGBA{110, 110, 110, 255})
	series := list(opt["series"])
	heat := len(series) > 0 && str(obj(series[0])["type"]) == "heatmap"
	p.left, p.right, p.top, p.bottom = 64, float64(w)-24, 72, float64(h)-42
	if heat {
		p.right = float64(w) - 96
	} else if show, hidden := obj(first(opt["legend"]))["show"].(bool); !hidden || show {
		p.legend(series, float64(w))
	}
	xa, ya := obj(first(opt["xAxis"])), obj(first(opt["yAxis"]))
	var ya2 map[string]any // a second value axis, on the right
	if ys := list(opt["yAxis"]); len(ys) > 1 {
		ya2 = obj(ys[1])
		p.right -= 36
	}
	onAxis := func(k int) []any {
		var out []any
		for _, s := range series {
			if i, _ := num(obj(s)["yAxisIndex"]); int(i) == k {
				out = append(out, s)
			}
		}
		return out
	}
	p.xs = axisScale(xa, series, 0, p.left, p.right)
	p.ys = axisScale(ya, onAxis(0), 1, p.bottom, p.top)
	p.grid(xa, ya)
	ys1 := p.ys
	if ya2 != nil {
		p.ys2 = axisScale(ya2, onAxis(1), 1, p.bottom, p.top)
		p.rightAxis(ya2)
	}
	bars := 0
	for _, s := range series {
		if str(obj(s)["type"]) == "bar" {
			bars++
		}
	}
	bar := 0
	for i, s := range series {
		so := obj(s)
		c := p.seriesColour(so, i)
		p.ys = ys1
		if k, _ := num(so["yAxisIndex"]); k == 1 && ya2 != nil {
			p.ys = p.ys2
		}
		switch str(so["type"]) {
		case "line":
			if a := obj(so["areaStyle"]); a != nil {
				p.area(so, a, c)
			}
			p.line(so, c)
		case "scatter":
			p.scatter(so, c)
		case "bar":
			p.bars(so, c, bar, bars)
			bar++
		case "heatmap":
			p.heatmap(so, obj(first(opt["visualMap"])), float64(w))
		}
	}
	p.ys = ys1
	if z, _ := num(ya["z"]); z >= 3 { // the axis above the series (ECharts' z): grid lines over fills
		p.splitLines()
		for i, s := range series { // and lines above the axis again above it
			if sz, _ := num(obj(s)["z"]); sz > z && str(obj(s)["type"]) == "line" {
				p.line(obj(s), p.seriesColour(obj(s), i))
			}
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, p.img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// points returns a series' (x, y) pairs: [x, y] values, or plain values at category index
// x; ok is false for gaps.
func points(s map[string]any, k int) (x, y []float64, ok []bool) {
	for i, d := range list(s["data"]) {
		v := d
		if m, isObj := d.(map[string]any); isObj {
			v = m["value"]
		}
		if arr := list(v); arr != nil {
			if len(arr) > k {
				xv, ok1 := num(arr[0])
				yv, ok2 := num(arr[k])
				x, y, ok = append(x, xv), append(y, yv), append(ok, ok1 && ok2)
				continue
			}
		}
		yv, ok1 := num(v)
		x, y, ok = append(x, float64(i)), append(y, yv), append(ok, ok1)
	}
	return x, y, ok
}

// axisScale derives an axis from its option and the data: categories, a log axis over
// powers of ten, or a value axis with round ends (including 0 for bars).
func axisScale(a map[string]any, series []any, dim int, from, to float64) scale {
	s := scale{from: from, to: to, log: str(a["type"]) == "log"}
	if str(a["type"]) == "category" {
		for _, c := range list(a["data"]) {
			s.cats = append(s.cats, fmt.Sprint(c))
		}
		if len(s.cats) == 0 { // categories implied by the data
			n := 0
			for _, se := range series {
				n = max(n, len(list(obj(se)["data"])))
			}
			for i := 0; i < n; i++ {
				s.cats = append(s.cats, strconv.Itoa(i))
			}
		}
		return s
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	bars := false
	for _, se := range series {
		so := obj(se)
		bars = bars || str(so["type"]) == "bar"
		x, y, ok := points(so, 1)
		vals := y
		if dim == 0 {
			vals = x
		}
		for i, v := range vals {
			if ok[i] && (!s.log || v > 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	if bars {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	if s.log {
		if !(lo > 0) || !(hi > 0) { // nothing positive to show: one decade
			lo, hi = 1, 10
		}
		lo, hi = math.Max(lo, 1e-300), math.Min(hi, 1e300)
		s.lo, s.hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
		if s.hi <= s.lo {
			s.hi = s.lo * 10
		}
		return s
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	step := niceStep((hi - lo) / 5)
	s.lo, s.hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if str(a["min"]) == "dataMin" {
		s.lo = lo
	} else if v, ok := bound(a["min"]); ok {
		s.lo = v
	}
	if str(a["max"]) == "dataMax" {
		s.hi = hi
	} else if v, ok := bound(a["max"]); ok {
		s.hi = v
	}
	if s.hi <= s.lo {
		s.hi = s.lo + 1
	}
	return s
}

// bound reads a fixed axis end: a number, or a number written as a string.
func bound(v any) (float64, bool) {
	if f, ok := num(v); ok {
		return f, true
	}
	f, err := strconv.ParseFloat(str(v), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func niceStep(raw float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*e >= raw {
			return m * e
		}
	}
	return 10 * e
}

// ticks returns tick values of a value or log axis.
func (s scale) ticks() []float64 {
	var out []float64
	if s.log {
		// A tick per decade, or per several when they span many (at most about 10 ticks).
		decades := math.Log10(s.hi / s.lo)
		factor := math.Pow(10, math.Max(1, math.Ceil(decades/10)))
		for v := s.lo; v <= s.hi*1.0001 && v > 0 && len(out) < 64; v *= factor {
			out = append(out, v)
		}
		return out
	}
	step := niceStep((s.hi - s.lo) / 5)
	for i := math.Ceil(s.lo / step); i*step <= s.hi+step*1e-9; i++ {
		out = append(out, i*step) // multiples, so 0 is exactly 0
	}
	return out
}

var gridGrey, axisGrey, labelGrey = color.RGBA{224, 230, 241, 255}, color.RGBA{110, 112, 121, 255}, color.RGBA{110, 112, 121, 255}

// grid draws split lines, tick labels and axis names.
func (p *picture) grid(xa, ya map[string]any) {
	if len(p.ys.cats) == 0 {
		p.splitLines()
		for _, v := range p.ys.ticks() {
			y := p.ys.px(v)
			l := tickLabel(v)
			p.text(smallF, p.left-6-p.width(smallF, l), y+4, l, labelGrey)
		}
	} else {
		fit := max(int((p.bottom-p.top)/13), 1) // labels that fit without overlapping
		every := (len(p.ys.cats) + fit - 1) / fit
		for i, c := range p.ys.cats {
			if i%every == 0 {
				p.text(smallF, p.left-6-p.width(smallF, clip(c, 10)), p.ys.px(float64(i))+4, clip(c, 10), labelGrey)
			}
		}
	}
	if len(p.xs.cats) == 0 {
		for _, v := range p.xs.ticks() {
			x := p.xs.px(v)
			l := tickLabel(v)
			p.text(smallF, x-p.width(smallF, l)/2, p.bottom+15, l, labelGrey)
		}
	} else {
		every := (len(p.xs.cats) + 24) / 25
		for i, c := range p.xs.cats {
			if i%every == 0 {
				l := clip(c, 8)
				p.text(smallF, p.xs.px(float64(i))-p.width(smallF, l)/2, p.bottom+15, l, labelGrey)
			}
		}
	}
	p.stroke([][2]float64{{p.left, p.bottom}, {p.right, p.bottom}}, 1, axisGrey)
	if n := str(xa["name"]); n != "" {
		p.text(smallF, (p.left+p.right)/2-p.width(smallF, n)/2, p.bottom+32, n, labelGrey)
	}
	if n := str(ya["name"]); n != "" {
		p.text(smallF, 8, p.top-10, n, labelGrey)
	}
}

// rightAxis draws the second value axis' tick labels and name on the right (no grid lines).
func (p *picture) rightAxis(a map[string]any) {
	for _, v := range p.ys2.ticks() {
		p.text(smallF, p.right+6, p.ys2.px(v)+4, tickLabel(v), labelGrey)
	}
	if n := str(a["name"]); n != "" {
		p.text(smallF, p.right+30-p.width(smallF, n), p.top-10, n, labelGrey)
	}
}

// splitLines draws a value axis' horizontal grid lines.
func (p *picture) splitLines() {
	if len(p.ys.cats) > 0 {
		return
	}
	for _, v := range p.ys.ticks() {
		y := p.ys.px(v)
		p.stroke([][2]float64{{p.left, y}, {p.right, y}}, 1, gridGrey)
	}
}

func tickLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// seriesColour is a series' own colour (itemStyle.color), else the palette's i-th, as in
// ECharts.
func (p *picture) seriesColour(s map[string]any, i int) color.RGBA {
	if c := str(obj(s["itemStyle"])["color"]); c != "" {
		return parseColor(c)
	}
	return p.palette[i%len(p.palette)]
}

// legend draws each series' colour and name in a row under the title.
func (p *picture) legend(series []any, w float64) {
	x := 70.0
	for i, s := range series {
		name := clip(str(obj(s)["name"]), 28)
		if name == "" {
			continue
		}
		c := p.seriesColour(obj(s), i)
		wd := p.width(smallF, name) + 34
		if x+wd > w-10 {
			p.text(smallF, x, 54, "…", labelGrey)
			return
		}
		p.stroke([][2]float64{{x, 50}, {x + 18, 50}}, 2.5, c)
		p.text(smallF, x+23, 54, name, color.RGBA{51, 51, 51, 255})
		x += wd
	}
}

// area fills between a line and its origin: the axis floor ("start"), its ceiling
// ("end"), or zero (ECharts' default, clamped to the plot).
func (p *picture) area(s map[string]any, area map[string]any, c color.RGBA) {
	if col := str(area["color"]); col != "" {
		c = parseColor(col)
	}
	alpha := 0.7
	if o, ok := num(area["opacity"]); ok {
		alpha = math.Max(0, math.Min(o, 1))
	}
	c = color.RGBA{uint8(float64(c.R) * alpha), uint8(float64(c.G) * alpha), uint8(float64(c.B) * alpha), uint8(255 * alpha)}
	floor := math.Max(p.top, math.Min(p.bottom, p.ys.px(0)))
	switch str(area["origin"]) {
	case "start":
		floor = p.bottom
	case "end":
		floor = p.top
	}
	for _, run := range p.runs(s) {
		if len(run) > 1 {
			p.fill(polygon{append(run, [2]float64{run[len(run)-1][0], floor}, [2]float64{run[0][0], floor})}, c)
		}
	}
}

// runs are a line series' points in pixels, split where a value is missing (or not
// positive on a log axis): ECharts draws no segment across a gap.
func (p *picture) runs(s map[string]any) [][][2]float64 {
	x, y, ok := points(s, 1)
	var out [][][2]float64
	var run [][2]float64
	for i := range x {
		if !ok[i] || (p.ys.log && !(y[i] > 0)) {
			if len(run) > 0 {
				out, run = append(out, run), nil
			}
			continue
		}
		run = append(run, [2]float64{p.xs.px(x[i]), p.ys.px(y[i])})
	}
	if len(run) > 0 {
		out = append(out, run)
	}
	return out
}

func (p *picture) line(s map[string]any, c color.RGBA) {
	ls := obj(s["lineStyle"])
	if o, ok := num(ls["opacity"]); ok && o == 0 {
		return
	}
	width := 1.8
	if w, ok := num(ls["width"]); ok && w == 0 {
		return
	} else if ok && w > 0 {
		width = w
	}
	if col := str(ls["color"]); col != "" {
		c = parseColor(col)
	}
	runs := p.runs(s)
	if str(ls["type"]) == "dashed" {
		runs = dashed(runs, 4*width, 3*width)
	}
	for _, run := range runs {
		if len(run) > 1 {
			p.stroke(run, width, c)
		} else {
			p.dot(run[0][0], run[0][1], 2, c)
		}
	}
}

func (p *picture) scatter(s map[string]any, c color.RGBA) {
	x, y, ok := points(s, 1)
	for i := range x {
		if ok[i] {
			p.dot(p.xs.px(x[i]), p.ys.px(y[i]), 2.5, c)
		}
	}
}

func (p *picture) bars(s map[string]any, c color.RGBA, k, n int) {
	_, y, ok := points(s, 1)
	band := (p.right - p.left) / float64(max(len(p.xs.cats), 1))
	bw := band * 0.7 / float64(n)
	for i, d := range list(s["data"]) {
		if !ok[i] {
			continue
		}
		col := c
		if style := obj(obj(d)["itemStyle"]); style != nil && str(style["color"]) != "" {
			col = parseColor(str(style["color"]))
		}
		x0 := p.left + float64(i)*band + band*0.15 + float64(k)*bw
		y0, y1 := p.ys.px(0), p.ys.px(y[i])
		p.rect(x0, math.Min(y0, y1), bw, math.Abs(y1-y0), col)
	}
}

func (p *picture) heatmap(s map[string]any, vm map[string]any, w float64) {
	lo, _ := num(vm["min"])
	hi, _ := num(vm["max"])
	var stops []color.RGBA
	for _, c := range list(obj(vm["inRange"])["color"]) {
		stops = append(stops, parseColor(str(c)))
	}
	if len(stops) < 2 {
		stops = []color.RGBA{{68, 1, 84, 255}, {253, 231, 37, 255}}
	}
	at := func(v float64) color.RGBA {
		t := 0.0
		if hi > lo {
			t = math.Min(math.Max((v-lo)/(hi-lo), 0), 1)
		}
		f := t * float64(len(stops)-1)
		i := min(int(f), len(stops)-2)
		a, b, u := stops[i], stops[i+1], f-float64(i)
		mix := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*u + 0.5) }
		return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
	}
	cw := (p.right - p.left) / float64(max(len(p.xs.cats), 1))
	ch := (p.bottom - p.top) / float64(max(len(p.ys.cats), 1))
	labels := obj(s["label"])["show"] == true
	for _, d := range list(s["data"]) {
		v := list(obj(d)["value"])
		if len(v) < 3 {
			continue
		}
		xi, _ := num(v[0])
		yi, _ := num(v[1])
		val, ok := num(v[2])
		if !ok {
			continue
		}
		x0, y0 := p.left+xi*cw, p.bottom-(yi+1)*ch
		p.rect(x0, y0, cw+0.5, ch+0.5, at(val))
		if labels && cw > 26 && ch > 14 {
			l := tickLabel(math.Round(val*1000) / 1000)
			txt := color.RGBA{255, 255, 255, 255}
			if c := at(val); int(c.R)+int(c.G)+int(c.B) > 450 {
				txt = color.RGBA{30, 30, 30, 255}
			}
			p.text(smallF, x0+cw/2-p.width(smallF, l)/2, y0+ch/2+4, l, txt)
		}
	}
	// The colour bar with its end values, as the live chart's visual map.
	bx, by, bh := w-70, p.top+10, p.bottom-p.top-20
	for i := 0; i < int(bh); i++ {
		p.rect(bx, by+float64(i), 14, 1.5, at(hi-(hi-lo)*float64(i)/bh))
	}
	texts := list(vm["text"])
	if len(texts) == 2 {
		p.text(smallF, bx, by-4, str(texts[0]), labelGrey)
		p.text(smallF, bx, by+bh+14, str(texts[1]), labelGrey)
	}
}

// Drawing primitives (antialiased).

// polygon is closed paths of points, filled together.
type polygon [][][2]float64

// fill rasterises the polygon within its bounding box only.
func (p *picture) fill(poly polygon, c color.RGBA) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, path := range poly {
		for _, pt := range path {
			x0, y0, x1, y1 = math.Min(x0, pt[0]), math.Min(y0, pt[1]), math.Max(x1, pt[0]), math.Max(y1, pt[1])
		}
	}
	box := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1))+1, int(math.Ceil(y1))+1).Intersect(p.img.Bounds())
	if box.Empty() {
		return
	}
	r := vector.NewRasterizer(box.Dx(), box.Dy())
	ox, oy := float64(box.Min.X), float64(box.Min.Y)
	for _, path := range poly {
		for i, pt := range path {
			if i == 0 {
				r.MoveTo(float32(pt[0]-ox), float32(pt[1]-oy))
			} else {
				r.LineTo(float32(pt[0]-ox), float32(pt[1]-oy))
			}
		}
		r.ClosePath()
	}
	r.Draw(p.img, box, image.NewUniform(c), image.Point{})
}

func (p *picture) stroke(pts [][2]float64, width float64, c color.RGBA) {
	var poly polygon
	for i := 1; i < len(pts); i++ {
		x0, y0, x1, y1 := pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]
		dx, dy := x1-x0, y1-y0
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*width/2, dx/l*width/2
		poly = append(poly, [][2]float64{{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x1 - nx, y1 - ny}, {x0 - nx, y0 - ny}})
	}
	if len(poly) > 0 {
		p.fill(poly, c)
	}
}

// rect fills an axis-aligned rectangle (pixel-snapped: cells and bars need no antialiasing).
func (p *picture) rect(x, y, w, h float64, c color.RGBA) {
	r := image.Rect(int(math.Round(x)), int(math.Round(y)), int(math.Round(x+w)), int(math.Round(y+h)))
	draw.Draw(p.img, r.Intersect(p.img.Bounds()), image.NewUniform(c), image.Point{}, draw.Src)
}

func (p *picture) dot(x, y, rad float64, c color.RGBA) {
	const n = 12
	path := make([][2]float64, n)
	for i := range path {
		a := 2 * math.Pi * float64(i) / n
		path[i] = [2]float64{x + rad*math.Cos(a), y + rad*math.Sin(a)}
	}
	p.fill(polygon{path}, c)
}

// asciiFor stands in for symbols the Go fonts lack.
var asciiFor = strings.NewReplacer("‖", "||", "₂", "2", "≤", "<=", "≥", ">=", "→", "->")

func (p *picture) text(face font.Face, x, y float64, s string, c color.RGBA) {
	if s == "" {
		return
	}
	s = asciiFor.Replace(s)
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(int(x), int(y))}
	d.DrawString(s)
}

func (p *picture) width(face font.Face, s string) float64 {
	return float64(font.MeasureString(face, asciiFor.Replace(s)).Round())
}

// Reading the generic option.

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}

// first returns v, or its first element when v is a list (go-echarts writes axes as lists).
func first(v any) any {
	if l := list(v); l != nil {
		if len(l) == 0 {
			return nil
		}
		return l[0]
	}
	return v
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func parseColor(s string) color.RGBA {
	s = strings.TrimPrefix(s, "#")
	if len(s) == 6 {
		if v, err := strconv.ParseUint(s, 16, 32); err == nil {
			return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
		}
	}
	return color.RGBA{84, 112, 198, 255}
}

// dashed cuts polylines into dashes of length on separated by gaps of length off (pixels).
func dashed(runs [][][2]float64, on, off float64) [][][2]float64 {
	var out [][][2]float64
	for _, run := range runs {
		var dash [][2]float64
		pos, drawing := 0.0, true // distance into the current dash or gap
		if len(run) > 0 {
			dash = append(dash, run[0])
		}
		for k := 1; k < len(run); k++ {
			a, b := run[k-1], run[k]
			seg := math.Hypot(b[0]-a[0], b[1]-a[1])
			done := 0.0
			for done < seg {
				limit := on
				if !drawing {
					limit = off
				}
				step := math.Min(limit-pos, seg-done)
				done += step
				pos += step
				t := done / seg
				pt := [2]float64{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
				if drawing {
					dash = append(dash, pt)
				}
				if pos >= limit {
					if drawing && len(dash) > 1 {
						out = append(out, dash)
					}
					drawing, pos, dash = !drawing, 0, nil
					if drawing {
						dash = [][2]float64{pt}
					}
				}
			}
		}
		if drawing && len(dash) > 1 {
			out = append(out, dash)
		}
	}
	return out
}

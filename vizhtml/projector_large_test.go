package vizhtml

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/nd"
)

// gridProjector is n = side² points on a side×side grid (no two overlap), ten classes,
// every seventh a mistake, each with one of ten 28×28 thumbnails and 8 neighbours.
func gridProjector(tb testing.TB, side int) Fragment {
	tb.Helper()
	n := side * side
	pts := nd.New(n, 2)
	labels, wrong, thumbs, captions, nbrs := make([]int, n), make([]bool, n), make([][]byte, n), make([]string, n), make([][]int, n)
	var pics [][]byte
	for k := 0; k < 10; k++ {
		a := nd.New(28, 28, 1)
		for i := range a.Data {
			a.Data[i] = float32((i*(k+3))%29) / 28
		}
		png, err := ImagePNG(a, Range{0, 1})
		if err != nil {
			tb.Fatal(err)
		}
		pics = append(pics, png)
	}
	for i := 0; i < n; i++ {
		pts.Data[2*i], pts.Data[2*i+1] = float32(i%side), float32(i/side)
		labels[i], wrong[i], thumbs[i], captions[i] = i%10, i%7 == 0, pics[i%10], fmt.Sprintf("#%d", i)
		for j := 1; j <= 8; j++ {
			nbrs[i] = append(nbrs[i], (i+j)%n)
		}
	}
	classes := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	f, err := ProjectorScatter("10,000 points", "", "x", "y", ProjectorData{Points: pts, Labels: labels, Wrong: wrong, Thumbs: thumbs,
		Captions: captions, Neighbours: nbrs}, classes)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// hoverTip moves the mouse (a real input event) onto point i of a side-wide grid and
// waits for the tooltip to show a point drawn under the cursor (point i, or a neighbour
// whose symbol overlaps it); it returns the tooltip's HTML and that point's distance in
// pixels from the cursor.
func hoverTip(s *browser.Session, side, i int) (string, float64, error) {
	xy, err := browser.Eval[[]float64](s, fmt.Sprintf(`(function(){var el=document.querySelector(".cl-chart");`+
		`var c=echarts.getInstanceByDom(el);var p=c.convertToPixel({seriesIndex:%d},[%d,%d]);var r=el.getBoundingClientRect();`+
		`return [r.left+p[0], r.top+p[1], p[0], p[1]];})()`, i%10, i%side, i/side))
	if err != nil {
		return "", 0, err
	}
	if err := chromedp.Do(s.Ctx, chromedp.MouseEvent(chromedp.MouseMoved, xy[0], xy[1])); err != nil {
		return "", 0, err
	}
	type tipAt struct {
		HTML string  `json:"html"`
		Dist float64 `json:"dist"`
	}
	read := fmt.Sprintf(`(function(){var el=document.querySelector(".cl-chart"),c=echarts.getInstanceByDom(el);`+
		`var t=[].slice.call(el.querySelectorAll("div")).filter(function(d){return d.innerHTML.indexOf("data:image/png")>=0&&d.style.display!=="none";});`+
		`var h=t.length?t[t.length-1].innerHTML:"",m=/<br>#(\d+)<br>/.exec(h);if(!m){return {html:h,dist:1e9};}`+
		`var j=Number(m[1]),p=c.convertToPixel({seriesIndex:j%%10},[j%%%d,Math.floor(j/%d)]);`+
		`return {html:h,dist:Math.hypot(p[0]-%g,p[1]-%g)};})()`, side, side, xy[2], xy[3])
	var tip tipAt
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if tip, err = browser.Eval[tipAt](s, read); err != nil || tip.Dist <= hoverReach {
			break
		}
	}
	return tip.HTML, tip.Dist, err
}

// hoverReach is how far (pixels) a hovered symbol's centre may be from the cursor: a
// triangle is 9 pixels wide.
const hoverReach = 5

// 10,000 points stay usable: the chart draws on a canvas, a real mouse over any point shows
// that point's image and caption, and a rectangle selects exactly the points inside it.
// (How fast a hover answers is BenchmarkProjectorHover, docs/PERFORMANCE.md.)
func TestProjectorTenThousandPoints(t *testing.T) {
	browser.Require(t)
	const side = 100
	f := gridProjector(t, side)
	s := openFragment(t, f)
	renderer, err := browser.Eval[string](s, `(function(){var el=document.querySelector(".cl-chart");el.scrollIntoView();`+
		`return echarts.getInstanceByDom(el).getZr().painter.getType();})()`)
	if err != nil || renderer != "canvas" {
		t.Fatalf("renderer %q (%v), want canvas", renderer, err)
	}
	for _, i := range []int{0, 1, 99, 4950, 5051, 7777, 9900, 9999} {
		tip, dist, err := hoverTip(s, side, i)
		if err != nil {
			t.Fatal(err)
		}
		if dist > hoverReach || !strings.Contains(tip, "data:image/png") {
			t.Errorf("hovering point %d shows a point %.0f px away: %.200q", i, dist, tip)
		}
	}
	// x in [10.5, 20.5], y in [30.5, 35.5]: 10 columns × 5 rows.
	if _, err := browser.Eval[bool](s, `(function(){var c=echarts.getInstanceByDom(document.querySelector(".cl-chart"));`+
		`c.dispatchAction({type:"brush",areas:[{brushType:"rect",xAxisIndex:0,coordRange:[[10.5,20.5],[30.5,35.5]]}]});return true;})()`); err != nil {
		t.Fatal(err)
	}
	var text string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if text, _ = browser.Eval[string](s, `document.querySelector(".cl-proj-nb").textContent`); strings.Contains(text, "selected") {
			break
		}
	}
	points, _ := browser.Eval[[]string](s, `[].slice.call(document.querySelectorAll(".cl-proj-nb .cl-tile")).map(function(d){return d.dataset.point;})`)
	inside := map[string]bool{}
	for y := 31; y <= 35; y++ {
		for x := 11; x <= 20; x++ {
			inside[fmt.Sprint(y*side+x)] = true
		}
	}
	if !strings.Contains(text, "50 images selected (the first 48 shown)") || len(points) != 48 {
		t.Errorf("selection: %q, %d points listed", text, len(points))
	}
	for _, p := range points {
		if !inside[p] {
			t.Errorf("point %s listed, outside the rectangle", p)
		}
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("script errors: %v", errs)
	}
}

// BenchmarkProjectorHover is the time from a real mouse move onto a point of a projector to
// its tooltip showing that point, in Chromium, at 1,024 and 10,000 points (CDP round trips
// included: the 1,024-point case is the floor).
func BenchmarkProjectorHover(b *testing.B) {
	browser.Require(b)
	for _, side := range []int{32, 100} {
		b.Run(fmt.Sprintf("points=%d", side*side), func(b *testing.B) {
			s := openFragment(b, gridProjector(b, side))
			if _, err := browser.Eval[bool](s, `(document.querySelector(".cl-chart").scrollIntoView(), true)`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				i := (k * 7919) % (side * side)
				if tip, dist, err := hoverTip(s, side, i); err != nil || dist > hoverReach {
					b.Fatalf("point %d: a point %.0f px away (%v): %.300q", i, dist, err, tip)
				}
			}
		})
	}
}

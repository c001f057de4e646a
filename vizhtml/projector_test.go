package vizhtml

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/nd"
)

// Hovering a point of the projector shows its image and its caption, with the caption and
// the class name escaped; clicking it shows its map and lists its nearest points with their
// images; a selection lists the points inside it; a wrong prediction is a triangle.
func TestProjectorShowsTheImageOnHover(t *testing.T) {
	pts := nd.Array{Shape: []int{3, 2}, Data: []float32{0, 0, 1, 1, 2, 0}}
	img, err := ImagePNG(nd.New(4, 4, 1), Range{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	overlay, err := ImagePNG(nd.Array{Shape: []int{4, 4, 1}, Data: []float32{1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1}}, Range{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ProjectorScatter("p", "sub", "", "", ProjectorData{Points: pts, Labels: []int{0, 1, 1}, Wrong: []bool{false, true, false},
		Thumbs: [][]byte{img, img, img}, Captions: []string{"#0 <b>bold</b>", "#1", "#2"}, Neighbours: [][]int{{2, 1}, {0, 2}, {1, 0}},
		Overlays: [][]byte{overlay, nil, nil}, OverlayName: "grad-cam <x>"}, []string{"<i>zero</i>", "one"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.HTML, `"symbol":"triangle"`) {
		t.Error("the wrong prediction is not a triangle")
	}
	browser.Require(t)
	s := openFragment(t, f)
	tip, err := browser.Eval[string](s, `(function(){var el=document.querySelector(".cl-chart");var c=echarts.getInstanceByDom(el);`+
		`c.dispatchAction({type:"showTip",seriesIndex:0,dataIndex:0});`+
		`var t=[].slice.call(el.querySelectorAll("div")).filter(function(d){return d.innerHTML.indexOf("data:image/png")>=0;});`+
		`return t.length?t[t.length-1].innerHTML:"";})()`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<img src=\"data:image/png", "#0 &lt;b&gt;bold&lt;/b&gt;", "&lt;i&gt;zero&lt;/i&gt;"} {
		if !strings.Contains(tip, want) {
			t.Errorf("tooltip lacks %q: %s", want, tip)
		}
	}
	xy, err := browser.Eval[[]float64](s, `(function(){var el=document.querySelector(".cl-chart");el.scrollIntoView();`+
		`var c=echarts.getInstanceByDom(el);var p=c.convertToPixel({seriesIndex:0},[0,0]);var r=el.getBoundingClientRect();`+
		`return [r.left+p[0], r.top+p[1]];})()`)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(s.Ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	listed, err := browser.Eval[[]string](s, `[].slice.call(document.querySelectorAll(".cl-proj-nb .cl-tile")).map(function(d){return d.dataset.point+" "+d.textContent;})`)
	if err != nil || strings.Join(listed, "|") != "undefined grad-cam <x>|2 #2|1 #1" {
		t.Errorf("clicking point 0 lists %q (%v), want its Grad-CAM, then its neighbours 2 and 1", listed, err)
	}
	if src, _ := browser.Eval[string](s, `document.querySelector(".cl-proj-overlay img").src`); src != DataURI(overlay) {
		t.Error("the clicked point's map is not its overlay")
	}
	// A rectangle around points 1 and 2 (x from 0.5 to 2.5) lists those two.
	if _, err := browser.Eval[bool](s, `(function(){var c=echarts.getInstanceByDom(document.querySelector(".cl-chart"));`+
		`c.dispatchAction({type:"brush",areas:[{brushType:"rect",xAxisIndex:0,coordRange:[[0.5,2.5],[-1,2]]}]});return true;})()`); err != nil {
		t.Fatal(err)
	}
	var selected []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		selected, err = browser.Eval[[]string](s, `[].slice.call(document.querySelectorAll(".cl-proj-nb .cl-tile")).map(function(d){return d.dataset.point;})`)
		if err != nil || len(selected) != 2 || selected[0] != "2" && selected[0] != "1" {
			continue // the previous list (the click's) until the selection's arrives
		}
		if strings.Join(selected, ",") == "1,2" || strings.Join(selected, ",") == "2,1" {
			if text, _ := browser.Eval[string](s, `document.querySelector(".cl-proj-nb").textContent`); strings.Contains(text, "2 images selected") {
				break
			}
		}
	}
	if text, _ := browser.Eval[string](s, `document.querySelector(".cl-proj-nb").textContent`); !strings.Contains(text, "2 images selected") {
		t.Errorf("a selection of x in [0.5, 2.5]: the panel reads %q (points %v), want points 1 and 2", text, selected)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("script errors: %v", errs)
	}
}

// The colour buttons regroup the points by predicted class and by right and wrong; a click
// on a point afterwards still lists its own neighbours.
func TestProjectorColoursByPredictionAndCorrectness(t *testing.T) {
	pts := nd.Array{Shape: []int{3, 2}, Data: []float32{0, 0, 1, 1, 2, 0}}
	img, err := ImagePNG(nd.New(4, 4, 1), Range{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	d := ProjectorData{Points: pts, Labels: []int{0, 1, 1}, Preds: []int{0, 0, 1}, Wrong: []bool{false, true, false},
		Thumbs: [][]byte{img, img, img}, Captions: []string{"#0", "#1", "#2"}, Neighbours: [][]int{{2, 1}, {0, 2}, {1, 0}}}
	if _, err := ProjectorScatter("p", "", "", "", ProjectorData{Points: pts, Labels: d.Labels, Preds: []int{0, 5, 1}, Wrong: d.Wrong,
		Thumbs: d.Thumbs, Captions: d.Captions}, []string{"zero", "one"}); err == nil {
		t.Error("a prediction outside the classes: no error")
	}
	f, err := ProjectorScatter("p", "", "", "", d, []string{"zero", "<b>one</b>"})
	if err != nil {
		t.Fatal(err)
	}
	browser.Require(t)
	s := openFragment(t, f)
	groups := func(mode string) string {
		t.Helper()
		got, err := browser.Eval[string](s, `(function(){document.querySelector('.cl-proj-colour button[data-mode="`+mode+`"]').click();`+
			`var o=echarts.getInstanceByDom(document.querySelector(".cl-chart")).getOption();`+
			`return o.series.map(function(s){return s.name+":"+s.data.map(function(it){return it.value[2];}).join(",");}).join(" ");})()`)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct{ mode, want string }{
		{"pred", "zero:0,1 <b>one</b>:2"}, {"correct", "right:0,2 wrong:1"}, {"true", "zero:0 <b>one</b>:1,2"}, {"correct", "right:0,2 wrong:1"},
	} {
		if got := groups(c.mode); got != c.want {
			t.Errorf("colour by %s: series %q, want %q", c.mode, got, c.want)
		}
	}
	xy, err := browser.Eval[[]float64](s, `(function(){var el=document.querySelector(".cl-chart");el.scrollIntoView();`+
		`var c=echarts.getInstanceByDom(el);var p=c.convertToPixel({seriesIndex:1},[1,1]);var r=el.getBoundingClientRect();`+
		`return [r.left+p[0], r.top+p[1]];})()`)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(s.Ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	listed, _ := browser.Eval[[]string](s, `[].slice.call(document.querySelectorAll(".cl-proj-nb .cl-tile")).map(function(d){return d.dataset.point+" "+d.textContent;})`)
	if strings.Join(listed, "|") != "0 #0|2 #2" {
		box, _ := browser.Eval[string](s, `document.querySelector(".cl-proj-nb").innerHTML`)
		t.Errorf("clicking point 1 (%v) after regrouping lists %q, want its neighbours 0 and 2: %s", xy, listed, box)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("script errors: %v", errs)
	}
}

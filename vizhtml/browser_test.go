package vizhtml

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/nd"
)

// Every chart of a page with every view draws in headless Chromium, offline, and still
// draws when RequireJS's define is on the page first (as in classic Jupyter).
func TestChartsDrawInChromium(t *testing.T) {
	chromium := browser.Require(t)
	p := allViews(t)
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "page.html")
	os.WriteFile(plain, buf.Bytes(), 0o644)
	amd := filepath.Join(dir, "amd.html")
	fakeRequire := `<script>window.define=function(deps,f){window.amdCalls=(window.amdCalls||0)+1};window.define.amd={};</script>`
	os.WriteFile(amd, []byte(strings.Replace(buf.String(), "<head>", "<head>"+fakeRequire, 1)), 0o644)
	for _, file := range []string{plain, amd} {
		dom, err := browser.DumpDOM(chromium, file)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := browser.DrawnCharts(dom), p.Charts(); got != want {
			t.Errorf("%s: %d of %d charts drew", filepath.Base(file), got, want)
		}
		if n := browser.StaticCharts(dom); n != 0 {
			t.Errorf("%s: %d static pictures left beside the live charts", filepath.Base(file), n)
		}
		// Without JavaScript (the markup as written) every chart shows its static picture.
		raw, _ := os.ReadFile(file)
		if got, want := browser.StaticCharts(string(raw)), p.Charts(); got != want {
			t.Errorf("%s without scripts: %d static pictures for %d charts", filepath.Base(file), got, want)
		}
	}
}

// With JavaScript off in Chromium every chart of the page shows its static picture, laid
// out and decoded; a page whose pictures are stripped fails the same check.
func TestChartsShowPicturesWithoutScripts(t *testing.T) {
	p := allViews(t)
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "page.html")
	os.WriteFile(page, buf.Bytes(), 0o644)
	stripped := filepath.Join(dir, "stripped.html")
	os.WriteFile(stripped, []byte(strings.Replace(buf.String(), `<div class="chart-static"><img`, `<div class="chart-static"><span`, 1)), 0o644)
	s := browser.Open(t, 2*time.Minute)
	v, err := s.ViewWithoutScripts(page)
	if err != nil {
		t.Fatal(err)
	}
	if v.ScriptsRan {
		t.Fatal("scripts ran although disabled")
	}
	if v.Charts != p.Charts() || v.Shown != v.Charts {
		t.Errorf("without scripts %d of %d containers (page has %d charts) show a picture: %v", v.Shown, v.Charts, p.Charts(), v.Missing)
	}
	w, err := s.ViewWithoutScripts(stripped)
	if err != nil {
		t.Fatal(err)
	}
	if w.Shown != w.Charts-1 || len(w.Missing) != 1 {
		t.Errorf("a stripped picture went unnoticed: %d of %d shown, missing %v", w.Shown, w.Charts, w.Missing)
	}
}

// A fragment alone (no library on the page) keeps its static picture and the hint.
func TestFragmentWithoutLibraryExplainsItself(t *testing.T) {
	chromium := browser.Require(t)
	f, err := KernelHeatmap(ramp(3, 3), "k")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "frag.html")
	os.WriteFile(file, []byte("<html><body>"+f.HTML+"</body></html>"), 0o644)
	dom, err := browser.DumpDOM(chromium, file)
	if err != nil {
		t.Fatal(err)
	}
	if browser.DrawnCharts(dom) != 0 || browser.StaticCharts(dom) != 1 || !strings.Contains(dom, staticHintShort) {
		t.Error("fragment without library did not keep its static picture and hint")
	}
}

// openFragment renders f as a page and opens it in a Chromium tab.
func openFragment(t testing.TB, f Fragment) *browser.Session {
	t.Helper()
	p := &Page{Title: "view", Sections: []Section{{Title: "view", Body: f}}}
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "view.html")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := browser.Open(t, time.Minute)
	if err := s.Load(file); err != nil {
		t.Fatal(err)
	}
	return s
}

// Hovering a tile zooms it (after a short delay, so passing over a grid does not).
func TestTilesZoomOnHover(t *testing.T) {
	f, err := FeatureMaps(nd.Array{}, ramp(8, 8, 4), FeatureMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := openFragment(t, f)
	box, err := browser.Eval[[]float64](s, `(() => { const r = document.querySelector('.cl-tile img').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2, r.width]; })()`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(s.Ctx, chromedp.MouseEvent(chromedp.MouseMoved, box[0], box[1])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	w, err := browser.Eval[float64](s, `document.querySelector('.cl-tile img').getBoundingClientRect().width`)
	if err != nil || w < 2*box[2] {
		t.Errorf("hovered tile %v px wide, %v before (%v): want it zoomed", w, box[2], err)
	}
}

// The loss starts on a log scale; its button switches the live chart to linear and back.
func TestLossScaleToggles(t *testing.T) {
	loss := []nd.Series{{Name: "train", X: []float64{0, 1, 2, 3}, Y: []float64{2.3, 40, 0.5, 0.1}}}
	f, err := TrainingCurves(loss, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := openFragment(t, f)
	state := `(() => { const el = document.querySelector('.cl-chart'), b = document.querySelector('button');
		return [echarts.getInstanceByDom(el).getOption().yAxis[0].type, b.textContent, getComputedStyle(b).display]; })()`
	var got [][]string
	for i := 0; i < 3; i++ {
		st, err := browser.Eval[[]string](s, state)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, st)
		if _, err := browser.Eval[bool](s, `(document.querySelector('button').click(), true)`); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]string{{"log", "linear scale", "inline-block"}, {"value", "log scale", "inline-block"}, {"log", "linear scale", "inline-block"}}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("after %d clicks: %v, want %v", i, got[i], want[i])
		}
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

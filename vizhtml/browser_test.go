package vizhtml

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convlens/convlens/internal/browser"
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
	if browser.DrawnCharts(dom) != 0 || browser.StaticCharts(dom) != 1 || !strings.Contains(dom, "Static picture: run the cell") {
		t.Error("fragment without library did not keep its static picture and hint")
	}
}

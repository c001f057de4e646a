package report_test

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/report"
)

// pageImage is what a live page holds for its current image: the pixels it gave the engine
// and every layer's values it shows.
type pageImage struct {
	Raw    []float64            `json:"raw"`
	Values map[string][]float64 `json:"values"`
	Index  int                  `json:"index"`
}

const readCurrent = `(function(){var ex=document.querySelector(".cl-ex").convlensExplorer,im=ex.D.images[ex.state.img],v={};
Object.keys(im.values).forEach(function(k){v[k]=Array.from(ex.floats(im.values[k]));});
return {raw:Array.from(im.rawData),values:v,index:ex.state.img};})()`

// pixels is the page's current image as the model takes it, a batch of one.
func pixels(s *layers.Spec, p pageImage) nd.Array {
	return nd.Array{Shape: []int{1, s.Height, s.Width, s.Chans}, Data: testutil.Float32s(p.Raw)}
}

// tapsOf is m's outputs for the page's current image.
func tapsOf(t *testing.T, m *layers.Model, p pageImage) *layers.TapResult {
	t.Helper()
	taps, err := m.Taps(pixels(m.Spec, p))
	if err != nil {
		t.Fatal(err)
	}
	return taps
}

// sameAsModel compares every value the page holds for its image with m's outputs for the
// same pixels (within 1e-5 of the layer's largest magnitude).
func sameAsModel(t *testing.T, what string, m *layers.Model, p pageImage) {
	t.Helper()
	taps := tapsOf(t, m, p)
	if len(p.Values) != len(m.Spec.Layers)+1 {
		t.Errorf("%s: the page holds %d values, the model has %d layers and the input", what, len(p.Values), len(m.Spec.Layers))
	}
	for _, name := range m.Spec.TapNames() {
		if strings.HasSuffix(name, layers.PreSuffix) {
			continue // before the activation: not a layer the page shows
		}
		if d := testutil.ScaledDiff(testutil.Float32s(p.Values[name]), taps.Outputs[name].Data); d > 1e-5 {
			t.Errorf("%s: %s differs from the model by %.2g of its largest value", what, name, d)
		}
	}
}

// The live explorer in Chromium: the engine starts from the page alone; a digit drawn with
// the mouse, a photo picked from a file, a zeroed channel, an edited weight and a reset
// each give, for every layer, the values the Go model computes for the same pixels and
// parameters; the arithmetic panel still agrees with them; hovering a value outlines its
// receptive field.
func TestLiveExplorerInChromium(t *testing.T) {
	browser.Require(t)
	engine, err := live.BuildEngine(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := testutil.Go(t)
	m, err := layers.New(layers.LeNet(), b, 4)
	if err != nil {
		t.Fatal(err)
	}
	images := testutil.RandomArray(5, 0, 1, 2, 28, 28, 1)
	file := writeExplorer(t, m, images, report.ExplorerOptions{Live: engine})
	s := browser.Open(t, 4*time.Minute)
	if err := s.Load(file); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		state, _ := browser.Eval[string](s, `document.querySelector(".cl-ex").dataset.live||""`)
		if state == "ready" {
			break
		}
		if state == "failed" || time.Now().After(deadline) {
			text, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-livestatus").textContent`)
			t.Fatalf("the engine did not start: %s", text)
		}
	}
	current := func() pageImage {
		t.Helper()
		p, err := browser.Eval[pageImage](s, readCurrent)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Draw a stroke across the pad.
	box, err := browser.Eval[[]float64](s, `(function(){var r=document.querySelector(".cl-ex-draw").getBoundingClientRect();return [r.left,r.top,r.width];})()`)
	if err != nil {
		t.Fatal(err)
	}
	x0, y0, w := box[0], box[1], box[2]
	actions := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent("mousePressed", x0+0.3*w, y0+0.2*w, chromedp.Button("left"))}
	for k := 1; k <= 10; k++ {
		actions = append(actions, chromedp.MouseEvent("mouseMoved", x0+(0.3+0.04*float64(k))*w, y0+(0.2+0.06*float64(k))*w, chromedp.Button("left")))
	}
	actions = append(actions, chromedp.MouseEvent("mouseReleased", x0+0.7*w, y0+0.8*w, chromedp.Button("left")))
	if err := chromedp.Do(s.Ctx, actions...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	drawn := current()
	ink := 0.0
	for _, v := range drawn.Raw {
		ink += v
	}
	if drawn.Index != 2 || ink < 5 {
		t.Fatalf("after drawing: image %d with %.1f of ink", drawn.Index, ink)
	}
	// Scaled and centred as MNIST's digits are: the centre of mass within a pixel of the middle.
	var mass, my, mx float64
	for i, v := range drawn.Raw {
		mass, my, mx = mass+v, my+v*float64(i/28), mx+v*float64(i%28)
	}
	if math.Abs(my/mass-13.5) > 1 || math.Abs(mx/mass-13.5) > 1 {
		t.Errorf("the drawing's centre of mass is at (%.1f, %.1f), want the middle (13.5, 13.5)", my/mass, mx/mass)
	}
	sameAsModel(t, "the drawing", m, drawn)
	ms, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-livestatus").dataset.ms`)
	t.Logf("a drawn digit: every layer and Grad-CAM in %s ms", ms)

	// Zero conv1's channel 2 in the page and in a copy of the model.
	changed, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := changed.Variable("conv1", layers.VarWeights)
	b1, _ := changed.Variable("conv1", layers.VarBiases)
	for i := 2; i < len(w1.Data); i += 6 {
		w1.Data[i] = 0
	}
	b1.Data[2] = 0
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-tile[data-layer="conv1"][data-ch="2"]`)),
		chromedp.Click(chromedp.CSS(`.cl-ex-scale[data-factor="0"]`))); err != nil {
		t.Fatal(err)
	}
	// Then set weight [1, 3, 0] of channel 2 to 0.75.
	w1.Data[((1*5+3)*1+0)*6+2] = 0.75
	if _, err := browser.Eval[bool](s, `(function(){var ix=document.querySelectorAll(".cl-ex-widx");ix[0].value=1;ix[1].value=3;ix[2].value=0;
document.querySelector(".cl-ex-wval").value="0.75";document.querySelector(".cl-ex-wset").click();return true;})()`); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{changed.SetVariable("conv1", layers.VarWeights, w1), changed.SetVariable("conv1", layers.VarBiases, b1)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := current()
	sameAsModel(t, "after zeroing conv1's channel 2 and setting a weight", changed, after)
	check(t, s, tapsOf(t, changed, after), 0, "conv1")
	// The held-out images are recomputed with the changed model when shown.
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-pick button[data-image="1"]`))); err != nil {
		t.Fatal(err)
	}
	sameAsModel(t, "held-out image 2, changed model", changed, current())
	// Reset: the model's own values again.
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-reset`))); err != nil {
		t.Fatal(err)
	}
	sameAsModel(t, "after reset", m, current())

	// Receptive field: conv2's value at (4, 6) sees rows 8..21, columns 12..25 of the input.
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-tile[data-layer="conv2"][data-ch="0"]`))); err != nil {
		t.Fatal(err)
	}
	want, err := m.Spec.ReceptiveField("conv2", layers.Box{Y0: 4, X0: 6, Y1: 5, X1: 7})
	if err != nil {
		t.Fatal(err)
	}
	big, err := browser.Eval[[]float64](s, `(function(){var b=document.querySelector(".cl-ex-big");b.scrollIntoView({block:"center"});
var r=b.getBoundingClientRect();return [r.left,r.top,r.width];})()`)
	if err != nil {
		t.Fatal(err)
	}
	cell := big[2] / 10
	if err := chromedp.Do(s.Ctx, chromedp.MouseEvent("mouseMoved", big[0]+6.5*cell, big[1]+4.5*cell)); err != nil {
		t.Fatal(err)
	}
	field, _ := browser.Eval[string](s, `(document.querySelector(".cl-ex-field")||{dataset:{}}).dataset.field||""`)
	if wantField := fmt.Sprintf("%d,%d,%d,%d", want.Y0, want.X0, want.Y1, want.X1); field != wantField {
		t.Errorf("hovering conv2 at (4, 6) outlines %q, its receptive field is %q", field, wantField)
	}

	// A photo from a file: a 28×28 PNG, taken without resizing.
	photo := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 0; y < 28; y++ {
		for x := 0; x < 28; x++ {
			photo.SetGray(x, y, color.Gray{Y: uint8((x*9 + y*5) % 256)})
		}
	}
	path := filepath.Join(t.TempDir(), "photo.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, photo); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := chromedp.Do(s.Ctx, chromedp.SetUploadFiles(chromedp.CSS(`.cl-ex-file`), []string{path})); err != nil {
		t.Fatal(err)
	}
	var got pageImage
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = current(); len(got.Raw) == 784 && math.Abs(got.Raw[28*3+5]-float64((5*9+3*5)%256)/255) < 1e-6 {
			break
		}
	}
	for y := 0; y < 28; y++ {
		for x := 0; x < 28; x++ {
			if want := float64((x*9+y*5)%256) / 255; math.Abs(got.Raw[y*28+x]-want) > 1e-6 {
				t.Fatalf("photo pixel (%d, %d) reached the engine as %v, want %v", y, x, got.Raw[y*28+x], want)
			}
		}
	}
	sameAsModel(t, "the photo", m, got)
	// Saliency instead of Grad-CAM: the page's map equals explain.Saliency's.
	type pageMap struct {
		Map    []float64 `json:"map"`
		Class  int       `json:"class"`
		Method string    `json:"method"`
	}
	readMap := `(function(){var ex=document.querySelector(".cl-ex").convlensExplorer,c=ex.D.images[ex.state.img].cams[0];
return {map:Array.from(c.map),class:c["class"],method:c.method};})()`
	if _, err := browser.Eval[bool](s, `(function(){var m=document.querySelector(".cl-ex-method");m.value="saliency";m.dispatchEvent(new Event("change"));return true;})()`); err != nil {
		t.Fatal(err)
	}
	sal, err := browser.Eval[pageMap](s, readMap)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := explain.Saliency{}.Attribute(explain.New(m), pixels(m.Spec, got), []int{sal.Class})
	if err != nil {
		t.Fatal(err)
	}
	scale := 1e-9
	for _, v := range ref.Pixels.Data {
		scale = math.Max(scale, float64(v))
	}
	for i, v := range ref.Pixels.Data {
		if sal.Method != "saliency" || len(sal.Map) != len(ref.Pixels.Data) || math.Abs(sal.Map[i]-float64(v)) > 1e-5*scale {
			t.Fatalf("saliency on the page (%s, %d values) at %d: %v, explain's %v", sal.Method, len(sal.Map), i, sal.Map[min(i, len(sal.Map)-1)], v)
		}
	}
	caption, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-pick .cl-ex-note").textContent`)
	if p := strconv.Quote(caption); len(caption) < 10 || caption[:9] != "photo.png" {
		t.Errorf("caption of the photo %s", p)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

package site_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
	"github.com/convlens/convlens/site"
	"github.com/convlens/convlens/vizhtml"
)

// resnetONNX is the ResNet preset (32×32×3, two classes, random weights with batch-norm
// statistics that are not identities) exported to ONNX.
func resnetONNX(t *testing.T) []byte {
	t.Helper()
	m, err := layers.New(layers.ResNet(32, 32, 3, 2), testutil.Go(t), 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Spec.Layers {
		if l.Kind == layers.BatchNorm {
			c := l.Name
			v, _ := m.Variable(c, layers.VarMovingVar)
			if err := m.SetVariable(c, layers.VarMovingVar, testutil.RandomArray(uint64(len(c)), 0.5, 2, v.Shape...)); err != nil {
				t.Fatal(err)
			}
			if err := m.SetVariable(c, layers.VarMovingMean, testutil.RandomArray(uint64(len(c))+1, -0.3, 0.3, v.Shape...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// OpenONNX gives the engine the model the command line imports from the same file.
func TestOpenONNXMatchesTheCommandLine(t *testing.T) {
	data := resnetONNX(t)
	o, err := site.OpenONNX(data, "resnet.onnx", testutil.Go(t), false)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "resnet.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, _, err := onnx.Open(path, testutil.Go(t))
	if err != nil {
		t.Fatal(err)
	}
	img := testutil.RandomArray(3, 0, 1, 32, 32, 3)
	got, err := o.Engine.Run(img, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Taps(nd.Array{Shape: []int{1, 32, 32, 3}, Data: img.Data})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want.Logits.Data {
		if got.Logits[i] != v {
			t.Errorf("logit %d: %v in the engine, %v from the command line's import", i, got.Logits[i], v)
		}
	}
	if len(o.Summary.Layers) != len(m.Spec.Layers) || len(o.Explorer) == 0 {
		t.Errorf("summary of %d layers (the model has %d), explorer data %d bytes", len(o.Summary.Layers), len(m.Spec.Layers), len(o.Explorer))
	}
	if _, err := site.OpenONNX([]byte("not onnx"), "x.onnx", testutil.Go(t), false); err == nil {
		t.Error("bytes that are not ONNX opened")
	}
	if _, err := site.OpenONNX(data, "resnet.onnx", testutil.Go(t), true); err != nil {
		t.Errorf("ImageNet normalisation of a colour model: %v", err)
	}
}

// The static site in Chromium, with nothing but the page: it opens an exported ResNet-style
// ONNX file dropped on it, then a photo, and the logits and every layer it shows equal
// what the Go command line's import of the same file computes for the same pixels.
func TestSiteOpensAnONNXFileInChromium(t *testing.T) {
	browser.Require(t)
	engine, err := live.BuildEngine(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "resnet <x>.onnx")
	if err := os.WriteFile(model, resnetONNX(t), 0o644); err != nil {
		t.Fatal(err)
	}
	photo := image.NewRGBA(image.Rect(0, 0, 48, 40)) // cropped to 40×40, then resized to 32×32
	for y := 0; y < 40; y++ {
		for x := 0; x < 48; x++ {
			photo.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 6), uint8((x * y) % 256), 255})
		}
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, photo); err != nil {
		t.Fatal(err)
	}
	photoPath := filepath.Join(dir, "photo.png")
	if err := os.WriteFile(photoPath, pic.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	page, err := vizhtml.SitePage(vizhtml.SiteOptions{Engine: engine.Wasm, Exec: engine.Exec,
		Images: []vizhtml.SiteImage{{Name: "photo.png", PNG: pic.Bytes()}}})
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := page.Render(&html); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, "index.html")
	if err := os.WriteFile(index, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := browser.Open(t, 4*time.Minute)
	if err := s.Load(index); err != nil {
		t.Fatal(err)
	}
	wait := func(what, js, want string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
			got, _ := browser.Eval[string](s, js)
			if got == want {
				return
			}
			if got == "failed" || time.Now().After(deadline) {
				status, _ := browser.Eval[string](s, `document.querySelector(".cl-site-status").textContent`)
				t.Fatalf("%s: %q (%s)", what, got, status)
			}
		}
	}
	wait("the engine", `document.querySelector(".cl-site").dataset.engine||""`, "ready")
	// Drop the file on the page, as a user drags it from a file manager.
	at, err := browser.Eval[[]float64](s, `(function(){var r=document.querySelector(".cl-site-drop").getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2];})()`)
	if err != nil {
		t.Fatal(err)
	}
	drag := &input.DragData{Items: []*input.DragDataItem{}, Files: []string{model}, DragOperationsMask: 1}
	for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
		if _, err := chromedp.Call(s.Ctx, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: at[0], Y: at[1], Data: drag}); err != nil {
			t.Fatal(err)
		}
	}
	wait("the model", `document.querySelector(".cl-site").dataset.model||""`, "resnet <x>.onnx")
	rows, _ := browser.Eval[int](s, `document.querySelectorAll(".cl-site-table tr").length`)
	m, _, err := onnx.Open(model, testutil.Go(t))
	if err != nil {
		t.Fatal(err)
	}
	if rows != len(m.Spec.Layers)+1 {
		t.Errorf("the layer table has %d rows, the model %d layers", rows-1, len(m.Spec.Layers))
	}
	if _, err := browser.Eval[bool](s, `(document.querySelector(".cl-site-image").click(), true)`); err != nil {
		t.Fatal(err)
	}
	type current struct {
		Raw    []float64            `json:"raw"`
		Values map[string][]float64 `json:"values"`
		Name   string               `json:"name"`
	}
	read := `(function(){var ex=document.querySelector(".cl-ex").convlensExplorer,im=ex.D.images[ex.state.img],v={};
Object.keys(im.values).forEach(function(k){v[k]=Array.from(ex.floats(im.values[k]));});return {raw:Array.from(im.rawData||[]),values:v,name:im.base};})()`
	var got current
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, err = browser.Eval[current](s, read); err == nil && got.Name == "photo.png" && len(got.Values) > 1 {
			break
		}
	}
	if got.Name != "photo.png" || len(got.Raw) != 32*32*3 {
		t.Fatalf("the photo did not reach the engine: %q, %d values", got.Name, len(got.Raw))
	}
	cli, err := data.LoadImage(photoPath, 32, 32, 3) // what -images makes of the file
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range cli.Data {
		if float32(got.Raw[i]) != v {
			t.Fatalf("pixel value %d reached the engine as %v, the command line reads %v", i, got.Raw[i], v)
		}
	}
	taps, err := m.Taps(nd.Array{Shape: []int{1, 32, 32, 3}, Data: testutil.Float32s(got.Raw)})
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for name, v := range got.Values {
		want, ok := taps.Outputs[name]
		if name == "input" || !ok {
			continue
		}
		shown++
		if d := testutil.ScaledDiff(testutil.Float32s(v), want.Data); d > 1e-5 {
			t.Errorf("%s differs from the command line's by %.2g of its largest value (%d values on the page, %d)", name, d, len(v), len(want.Data))
		}
	}
	// Class names from a text file, shown as text (a hostile one included).
	classes := filepath.Join(dir, "classes.txt")
	if err := os.WriteFile(classes, []byte("<b>cat</b>\r\ndog\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(s.Ctx, chromedp.SetUploadFiles(chromedp.CSS(".cl-site-classes"), []string{classes})); err != nil {
		t.Fatal(err)
	}
	var probs string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if probs, _ = browser.Eval[string](s, `document.querySelector(".cl-ex-probs").textContent`); strings.Contains(probs, "dog") {
			break
		}
	}
	if bold, _ := browser.Eval[int](s, `document.querySelectorAll(".cl-ex-probs b").length`); !strings.Contains(probs, "<b>cat</b>") || !strings.Contains(probs, "dog") || bold != 0 {
		t.Errorf("class names on the page: %q (%d bold elements)", probs, bold)
	}
	logits := got.Values[taps.Names[len(taps.Names)-1]]
	t.Logf("%d layers compared; logits on the page %v, from the command line %v", shown, logits, taps.Logits.Data)
	if shown < 10 {
		t.Errorf("only %d layers compared", shown)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

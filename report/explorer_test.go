package report_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/report"
)

// zoo is a graph model with every layer kind the explorer explains, odd geometry included:
// explicit and same padding, stride with groups, dilation, a squeeze-and-excitation gate,
// average pooling that does not count padding, and a softmax output.
func zoo(t *testing.T) *layers.Model {
	t.Helper()
	s := layers.NewSpec("zoo"+hostile, 9, 9, 3, 4).
		PadImage("pad", 1, 1, 1, 1, 0.5).
		Conv("dw", 6, 3, layers.WithGroups(3), layers.WithStride(2), layers.WithPads(1, 1, 0, 1), layers.WithLeakyReLU(0.1)).
		BatchNorm("bn").
		Affine("aff").
		Conv("dil", 4, 3, layers.WithDilation(2), layers.WithPadding(layers.Same)).
		Act("clip", layers.Clip).
		Conv("side", 2, 1, layers.From("aff"), layers.WithActivation(layers.Sigmoid)).
		Concat("cat", []string{"clip", "side"}).
		AvgPool("avg", 2, layers.WithStride(1), layers.WithPadding(layers.Same)).
		GlobalAvgPool("squeeze").
		Act("gate", layers.Sigmoid).
		Multiply("excite", []string{"avg", "gate"}).
		Act("tanh", layers.Tanh).
		MaxPool("mp", 2, layers.WithPadding(layers.Same)).
		Identity("id").
		Flatten("flat").
		Dropout("drop", 0.3).
		Dense("fc", 8, layers.WithActivation(layers.ReLU)).
		Dense("logits", 4).
		Add("twice", []string{"logits", "logits"}).
		Softmax("prob")
	for i := range s.Layers {
		switch s.Layers[i].Name {
		case "clip":
			s.Layers[i].ClipMin, s.Layers[i].ClipMax = -0.3, 0.4
		case "squeeze":
			s.Layers[i].KeepDims = true
		}
	}
	m, err := layers.New(s, testutil.Go(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	// Batch norm and affine start as identities: give them values that show in the arithmetic.
	for _, v := range []struct {
		layer, name string
		lo, hi      float32
	}{{"bn", layers.VarMovingMean, -0.5, 0.5}, {"bn", layers.VarMovingVar, 0.5, 2}, {"bn", layers.VarGamma, 0.5, 1.5},
		{"bn", layers.VarBeta, -0.2, 0.2}, {"aff", layers.VarScale, 0.5, 2}, {"aff", layers.VarShift, -0.3, 0.3}} {
		if err := m.SetVariable(v.layer, v.name, testutil.RandomArray(7, v.lo, v.hi, 6)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// importedKinds is a model with the kinds imported networks bring: non-square strided and
// dilated windows, pools that count padding, prelu, layer norm, reshapes with a transpose
// (a channel shuffle, drawn flat at rank 4), gathers, reductions, element-wise merges,
// broadcast affine parameters, softmax over an image axis, concat along the height, the new
// activations, and the kinds shown with values only (transposed convolution, resize, a
// dense layer on each position).
func importedKinds(t *testing.T) *layers.Model {
	t.Helper()
	kind := func(k layers.Kind, set func(l *layers.Layer)) layers.Option {
		return func(l *layers.Layer) { l.Kind = k; set(l) }
	}
	act := func(a layers.Activation, set func(l *layers.Layer)) layers.Option {
		return kind(layers.Activate, func(l *layers.Layer) { l.Activation = a; set(l) })
	}
	none := func(*layers.Layer) {}
	s := layers.NewSpec("imported", 10, 9, 3, 4).
		Conv("c31", 6, 3, layers.WithPads(1, 1, 0, 0), func(l *layers.Layer) { l.KernelW, l.StrideW, l.Dilation = 1, 2, 2 }).
		AddLayer("hs", nil, act(layers.HardSwish, none)).
		MaxPool("mp", 2, layers.WithStride(1), func(l *layers.Layer) { l.Dilation, l.DilationW = 2, 1 }).
		AvgPool("ap", 3, layers.WithStride(1), layers.WithPads(1, 1, 1, 1), func(l *layers.Layer) { l.CountPad = true }).
		AddLayer("pr", nil, kind(layers.PReLU, none)).
		AddLayer("ln", nil, kind(layers.LayerNorm, func(l *layers.Layer) { l.Axes = []int{2} })).
		AddLayer("split", nil, kind(layers.Reshape, func(l *layers.Layer) { l.Shape = []int{6, 4, 2, 3} })).
		AddLayer("shuffle", nil, kind(layers.Reshape, func(l *layers.Layer) { l.Perm, l.Shape = []int{0, 1, 3, 2}, []int{6, 4, 6} })).
		AddLayer("pick", nil, kind(layers.Gather, func(l *layers.Layer) { l.Axes, l.Shape, l.Indices = []int{2}, []int{3}, []int{5, 0, 2} })).
		AddLayer("hw", nil, kind(layers.Gather, func(l *layers.Layer) {
			l.Axes, l.Shape, l.Indices, l.Fill = []int{0, 1}, []int{2, 2}, []int{0, 11, -1, 5}, 0.25
		})).
		AddLayer("mean", []string{"pick"}, kind(layers.Reduce, func(l *layers.Layer) { l.Op, l.Axes, l.KeepDims = "mean", []int{0, 1}, true })).
		Merge("sub", "sub", []string{"pick", "mean"}).
		AddLayer("ex", nil, act(layers.Exp, none)).
		Merge("div", "div", []string{"pick", "ex"}).
		Merge("big", "max", []string{"div", "sub", "pick"}).
		AddLayer("corner", []string{"hw"}, kind(layers.Reduce, func(l *layers.Layer) { l.Op, l.Axes, l.KeepDims = "max", []int{0, 1}, true })).
		Merge("big2", "sum", []string{"big", "corner"}).
		AddLayer("aff", nil, kind(layers.Affine, func(l *layers.Layer) { l.ParamShape = []int{6, 1, 3} })).
		AddLayer("smw", nil, kind(layers.Softmax, func(l *layers.Layer) { l.Axes = []int{1} })).
		Concat("tall", []string{"smw", "aff"}, func(l *layers.Layer) { l.Axes = []int{0} }).
		AddLayer("g", nil, act(layers.GELU, none)).
		AddLayer("hsig", nil, act(layers.HardSigmoid, func(l *layers.Layer) { l.Alpha, l.Beta = 0.3, 0.4 })).
		AddLayer("elu", nil, act(layers.ELU, func(l *layers.Layer) { l.Alpha = 0.7 })).
		AddLayer("sp", nil, act(layers.Softplus, none)).
		AddLayer("pw", nil, act(layers.Pow, func(l *layers.Layer) { l.Exponent = 1.5 })).
		AddLayer("up", nil, kind(layers.ConvTranspose, func(l *layers.Layer) { l.Filters, l.Kernel, l.Stride = 2, 2, 2 })).
		AddLayer("rs", nil, kind(layers.Resize, func(l *layers.Layer) { l.Mode, l.Shape = "linear", []int{5, 4} })).
		Dense("perpos", 3).
		AddLayer("l2", nil, kind(layers.Reduce, func(l *layers.Layer) { l.Op, l.Axes = "l2", []int{2} })).
		Flatten("flat").
		Dense("logits", 4)
	m, err := layers.New(s, testutil.Go(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		layer, name string
		shape       []int
	}{{"pr", layers.VarSlope, []int{6}}, {"ln", layers.VarGamma, []int{6}}, {"ln", layers.VarBeta, []int{6}},
		{"aff", layers.VarScale, []int{6, 1, 3}}, {"aff", layers.VarShift, []int{6, 1, 3}}} {
		if err := m.SetVariable(v.layer, v.name, testutil.RandomArray(9, -0.8, 0.9, v.shape...)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func writeExplorer(t *testing.T, m *layers.Model, images nd.Array, opt report.ExplorerOptions) string {
	t.Helper()
	p, err := report.ExplorerPage(m, images, opt)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "explore.html")
	if err := os.WriteFile(file, []byte(render(t, p)), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

type reading struct {
	Pos      string `json:"pos"`
	Computed string `json:"computed"`
	Tap      string `json:"tap"`
	Caption  string `json:"caption"`
}

const readJS = `(function(){var q=function(s){var e=document.querySelector(s);return e?e.dataset.value||"":""};
return {pos:document.querySelector(".cl-ex-calc").dataset.pos,computed:q("[data-role=computed]"),tap:q("[data-role=tap]"),
caption:document.querySelector(".cl-ex-pick .cl-ex-note").textContent}})()`

// check compares what the page computed and shows at its selected position with the model's value.
func check(t *testing.T, s *browser.Session, taps *layers.TapResult, img int, layer string) reading {
	return checkValue(t, s, taps, img, layer, false)
}

// checkValue is check; valuesOnly layers show the model's value without arithmetic.
func checkValue(t *testing.T, s *browser.Session, taps *layers.TapResult, img int, layer string, valuesOnly bool) reading {
	t.Helper()
	r, err := browser.Eval[reading](s, readJS)
	if err != nil {
		t.Fatal(err)
	}
	var y, x, c int
	if _, err := fmt.Sscanf(r.Pos, "%d,%d,%d", &y, &x, &c); err != nil {
		t.Fatalf("%s: position %q: %v", layer, r.Pos, err)
	}
	a := taps.Outputs[layer].Sub(img)
	i := c
	if len(a.Shape) == 3 {
		i = (y*a.Shape[1]+x)*a.Shape[2] + c
	}
	want := float64(a.Data[i])
	tap, err1 := strconv.ParseFloat(r.Tap, 64)
	if valuesOnly {
		if err1 != nil || float32(tap) != float32(want) || r.Computed != "" {
			t.Errorf("%s at %s: a values-only layer shows %q (computed %q), the model has %v", layer, r.Pos, r.Tap, r.Computed, want)
		}
		return r
	}
	got, err2 := strconv.ParseFloat(r.Computed, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s at %s: unreadable values %q, %q", layer, r.Pos, r.Tap, r.Computed)
	}
	if float32(tap) != float32(want) {
		t.Errorf("%s at %s: page shows the model's value %v, the model has %v", layer, r.Pos, tap, want)
	}
	if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
		t.Errorf("%s at %s: the page's arithmetic gives %v, the model %v", layer, r.Pos, got, want)
	}
	return r
}

// In a real browser, the arithmetic the explorer shows for every layer kind reproduces the
// model's values (picked by mouse and by keyboard), for each image; Grad-CAM and the image
// picker work; nothing is written to the console.
func TestExplorerArithmeticInChromium(t *testing.T) {
	m := zoo(t)
	images := testutil.RandomArray(11, 0, 1, 2, 9, 9, 3)
	taps, err := m.Taps(images)
	if err != nil {
		t.Fatal(err)
	}
	file := writeExplorer(t, m, images, report.ExplorerOptions{Classes: []string{hostile, "b", "c", "d"}})
	s := browser.Open(t, 4*time.Minute)
	if err := s.Load(file); err != nil {
		t.Fatal(err)
	}
	topo, _ := m.Spec.Topology()
	for img := 0; img < 2; img++ {
		if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.cl-ex-pick button[data-image="%d"]`, img)))); err != nil {
			t.Fatal(err)
		}
		for _, n := range topo.Nodes {
			chans := []int{0}
			if len(n.OutShape) == 3 {
				chans = []int{0, n.OutShape[2] - 1}
			}
			for _, c := range chans {
				sel := fmt.Sprintf(`.cl-ex-tile[data-layer=%q][data-ch="%d"]`, n.Name, c)
				if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(".cl-ex-big"))); err != nil {
					t.Fatalf("%s: %v", sel, err)
				}
				check(t, s, taps, img, n.Name)
				for _, key := range []string{kb.ArrowRight, kb.ArrowDown, kb.ArrowDown, kb.ArrowRight, kb.ArrowRight} {
					if err := chromedp.Do(s.Ctx, chromedp.KeyEvent(key)); err != nil {
						t.Fatal(err)
					}
					check(t, s, taps, img, n.Name)
				}
			}
		}
	}
	// The mouse: hover the centre of cell (y 2, x 1) of dw's channel 4.
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-tile[data-layer="dw"][data-ch="4"]`))); err != nil {
		t.Fatal(err)
	}
	box, err := browser.Eval[map[string]float64](s, `(function(){var r=document.querySelector(".cl-ex-big").getBoundingClientRect();return {x:r.left,y:r.top,w:r.width,h:r.height}})()`)
	if err != nil {
		t.Fatal(err)
	}
	cell := box["w"] / 5 // dw is 6×5
	if err := chromedp.Do(s.Ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box["x"]+1.5*cell, box["y"]+2.5*cell)); err != nil {
		t.Fatal(err)
	}
	if r := check(t, s, taps, 1, "dw"); r.Pos != "2,1,4" {
		t.Errorf("hovering cell (2, 1) selected %s", r.Pos)
	}
	if r := check(t, s, taps, 1, "dw"); !strings.Contains(r.Caption, "image 2") {
		t.Errorf("caption after switching to image 2: %q", r.Caption)
	}
	// Grad-CAM: the toggle swaps the input picture for the overlay of the chosen class.
	src := `(function(){var e=document.querySelector('[data-node="input"] img.cl-ex-cam');return e&&e.offsetWidth>100?e.src:""})()`
	plain, _ := browser.Eval[string](s, src)
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(".cl-ex-camtoggle"))); err != nil {
		t.Fatal(err)
	}
	cam1, _ := browser.Eval[string](s, src)
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-prob[data-class="3"]`))); err != nil {
		t.Fatal(err)
	}
	cam2, _ := browser.Eval[string](s, src)
	if plain != "" || cam1 == "" || cam1 == cam2 || !strings.HasPrefix(cam2, "data:image/png;base64,") {
		t.Error("the Grad-CAM toggle or the class choice did not change the overlay")
	}
	label, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-camtoggle").parentNode.textContent`)
	if !strings.Contains(label, "Grad-CAM overlay for d") {
		t.Errorf("Grad-CAM label %q", label)
	}
	// Class names are text: the hostile one shows as written and runs nothing.
	names, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-probs").textContent`)
	if !strings.Contains(names, hostile) {
		t.Errorf("class names shown: %q", names)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// The budgets, measured on the standalone page: LeNet with 4 images ≤ 3 MB and a
// 64×64×3 TinyVGG with 8 images ≤ 8 MB, every image embedded.
// The same for the kinds imported networks bring: the page's arithmetic (for every kind it
// explains) equals the model's values, at two channels and five positions of every layer.
func TestExplorerArithmeticOfImportedKinds(t *testing.T) {
	m := importedKinds(t)
	images := testutil.RandomArray(13, 0, 1, 1, 10, 9, 3)
	taps, err := m.Taps(images)
	if err != nil {
		t.Fatal(err)
	}
	file := writeExplorer(t, m, images, report.ExplorerOptions{})
	s := browser.Open(t, 4*time.Minute)
	if err := s.Load(file); err != nil {
		t.Fatal(err)
	}
	topo, _ := m.Spec.Topology()
	seen := map[string]bool{}
	for _, n := range topo.Nodes {
		valuesOnly := n.Kind == layers.ConvTranspose || n.Kind == layers.Resize || n.Kind == layers.Dense && len(n.InShapes[0]) != 1
		if !valuesOnly {
			seen[string(n.Kind)] = true
		}
		chans := []int{0}
		if len(n.OutShape) == 3 {
			chans = []int{0, n.OutShape[2] - 1}
		}
		for _, c := range chans {
			sel := fmt.Sprintf(`.cl-ex-tile[data-layer=%q][data-ch="%d"]`, n.Name, c)
			if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(".cl-ex-big"))); err != nil {
				t.Fatalf("%s: %v", sel, err)
			}
			checkValue(t, s, taps, 0, n.Name, valuesOnly)
			for _, key := range []string{kb.ArrowRight, kb.ArrowDown, kb.ArrowDown, kb.ArrowRight, kb.ArrowRight} {
				if err := chromedp.Do(s.Ctx, chromedp.KeyEvent(key)); err != nil {
					t.Fatal(err)
				}
				checkValue(t, s, taps, 0, n.Name, valuesOnly)
			}
		}
	}
	for _, k := range []string{"merge", "prelu", "reshape", "gather", "reduce", "layernorm"} {
		if !seen[k] {
			t.Errorf("no %s layer was checked", k)
		}
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

func TestExplorerPageBudgets(t *testing.T) {
	for _, c := range []struct {
		spec   *layers.Spec
		images int
		limit  int
	}{{layers.LeNet(), 4, 3 << 20}, {layers.TinyVGG(64, 64, 3, 10), 8, 8 << 20}} {
		m, err := layers.New(c.spec, testutil.Go(t), 5)
		if err != nil {
			t.Fatal(err)
		}
		images := testutil.RandomArray(3, 0, 1, c.images, c.spec.Height, c.spec.Width, c.spec.Chans)
		p, err := report.ExplorerPage(m, images, report.ExplorerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		page := render(t, p)
		if strings.Contains(page, "images embedded") {
			t.Errorf("%s: images left out", c.spec.Name)
		}
		t.Logf("%s, %d images: %.2f MB", c.spec.Name, c.images, float64(len(page))/(1<<20))
		if len(page) > c.limit {
			t.Errorf("%s with %d images: %d bytes, over %d", c.spec.Name, c.images, len(page), c.limit)
		}
	}
}

// The explorer opens on the strongest value of its Grad-CAM layer (not a window of
// padding), its map lists every layer and scrolls the overview to the one clicked, and the
// logits say which class each cell is.
func TestExplorerOpensOnTheStrongestValue(t *testing.T) {
	m := zoo(t)
	images := testutil.RandomArray(11, 0, 1, 2, 9, 9, 3)
	taps, err := m.Taps(images)
	if err != nil {
		t.Fatal(err)
	}
	file := writeExplorer(t, m, images, report.ExplorerOptions{Classes: []string{"a", "b", "c", "d"}})
	s := browser.Open(t, 2*time.Minute)
	if err := s.Load(file); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(file)
	m2 := regexp.MustCompile(`"camLayer":"([^"]+)"`).FindSubmatch(raw)
	if m2 == nil {
		t.Fatal("the page names no Grad-CAM layer")
	}
	cam := string(m2[1])
	a := taps.Outputs[cam].Sub(0)
	best := 0
	for i, v := range a.Data {
		if v > a.Data[best] {
			best = i
		}
	}
	want := fmt.Sprintf("%d,%d,%d", best/(a.Shape[1]*a.Shape[2]), best/a.Shape[2]%a.Shape[1], best%a.Shape[2])
	r := check(t, s, taps, 0, cam)
	if r.Pos != want {
		t.Errorf("opens at %s of %s, the strongest value is at %s", r.Pos, cam, want)
	}
	topo, _ := m.Spec.Topology()
	n, err := browser.Eval[int](s, `document.querySelectorAll(".cl-ex-mapbtn").length`)
	if err != nil || n != len(topo.Nodes)+1 {
		t.Errorf("the map has %d buttons, want %d (input and every layer)", n, len(topo.Nodes)+1)
	}
	last := topo.Nodes[len(topo.Nodes)-1].Name
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.cl-ex-mapbtn[data-node=%q]`, last)))); err != nil {
		t.Fatal(err)
	}
	inView, err := browser.Eval[bool](s, fmt.Sprintf(`(function(){var o=document.querySelector(".cl-ex-ov").getBoundingClientRect(),
e=document.querySelector('.cl-ex-node[data-node=%q]').getBoundingClientRect();return e.left>=o.left-1&&e.left<o.right})()`, last))
	if err != nil || !inView {
		t.Errorf("clicking %s in the map does not bring it into view (%v)", last, err)
	}
	marked, _ := browser.Eval[bool](s, fmt.Sprintf(`document.querySelector('.cl-ex-mapbtn[data-node=%q]').classList.contains("cl-ex-vis")`, last))
	if !marked {
		t.Error("the map does not mark the layer in view")
	}
	classes, _ := browser.Eval[string](s, `(document.querySelector(".cl-ex-classes")||{}).textContent||""`)
	if classes != "cells in class order: a, b, c, d" {
		t.Errorf("logits caption %q", classes)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

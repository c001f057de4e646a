package report_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
)

// The time-lapse slider shows an earlier checkpoint's values and parameters: the page's
// arithmetic then equals that model's outputs, and the caption its prediction; back at the
// last step, the model's own. A click on a channel lists the held-out images the channel
// search found for it, in its order.
func TestExplorerTimeLapseAndChannelExamplesInChromium(t *testing.T) {
	now := zoo(t)
	before, err := layers.New(now.Spec, testutil.Go(t), 9)
	if err != nil {
		t.Fatal(err)
	}
	images := testutil.RandomArray(11, 0, 1, 2, 9, 9, 3)
	tapsNow, err := now.Taps(images)
	if err != nil {
		t.Fatal(err)
	}
	tapsBefore, err := before.Taps(images)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Synthetic(40, 9, 9, 3, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	file := writeExplorer(t, now, images, report.ExplorerOptions{TimeLapse: []*layers.Model{before},
		StepLabels: []string{"step 0", "step 90"}, Examples: ds, ExampleImages: 30})
	s := browser.Open(t, 3*time.Minute)
	if err := s.Load(file); err != nil {
		t.Fatal(err)
	}
	slide := func(k int) {
		t.Helper()
		js := fmt.Sprintf(`(function(){var s=document.querySelector(".cl-ex-step");s.value=%d;s.dispatchEvent(new Event("input"));
return document.querySelector(".cl-ex-steplabel").textContent})()`, k)
		label, err := browser.Eval[string](s, js)
		if err != nil || label != []string{"step 0", "step 90"}[k] {
			t.Fatalf("slider at %d shows %q (%v)", k, label, err)
		}
	}
	look := func(layer string, c int, taps *layers.TapResult) reading {
		t.Helper()
		sel := fmt.Sprintf(`.cl-ex-tile[data-layer=%q][data-ch="%d"]`, layer, c)
		if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return check(t, s, taps, 0, layer)
	}
	for _, layer := range []string{"dw", "bn", "fc", "logits"} {
		c := 0
		if len(tapsNow.Outputs[layer].Shape) == 4 {
			c = 1
		}
		slide(0)
		r0 := look(layer, c, tapsBefore)
		slide(1)
		r1 := look(layer, c, tapsNow)
		if layer == "dw" && r0.Tap == r1.Tap {
			t.Errorf("%s: the same value %s at both checkpoints", layer, r0.Tap)
		}
	}
	slide(0)
	caption, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-pick .cl-ex-note").textContent`)
	want := fmt.Sprintf("predicted class %d", layers.ArgMax(tapsBefore.Logits)[0])
	if !strings.Contains(caption, want) {
		t.Errorf("caption at step 0 %q, want %q", caption, want)
	}

	found, err := report.FindChannelExamples(now, ds, "dw", report.ChannelExampleOptions{Top: 4, Examples: 30})
	if err != nil {
		t.Fatal(err)
	}
	var wantLabels []string
	for _, top := range found.Top[2] {
		wantLabels = append(wantLabels, fmt.Sprintf("#%d %s: %.2f", top.Image, ds.Classes[ds.Labels[top.Image]], top.Value))
	}
	if err := chromedp.Do(s.Ctx, chromedp.Click(chromedp.CSS(`.cl-ex-tile[data-layer="dw"][data-ch="2"]`))); err != nil {
		t.Fatal(err)
	}
	got, err := browser.Eval[[]string](s, `Array.from(document.querySelectorAll(".cl-ex-topimg figcaption")).map(function(e){return e.textContent})`)
	if err != nil || !reflect.DeepEqual(got, wantLabels) {
		t.Errorf("channel 2's examples on the page %q, the search found %q (%v)", got, wantLabels, err)
	}
	head, _ := browser.Eval[string](s, `document.querySelector(".cl-ex-examples h4").textContent`)
	if !strings.Contains(head, "in 30 held-out images") {
		t.Errorf("examples heading %q", head)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

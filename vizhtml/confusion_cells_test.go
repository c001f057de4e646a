package vizhtml

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/nd"
)

// confusionCase has mistakes in four cells of four classes: (1→2) ×5, (0→3) ×3, (2→0) ×2
// and (3→1) ×1.
func confusionCase() (truth, preds []int, cells []ConfusionCell) {
	add := func(t, p, n int) {
		c := ConfusionCell{True: t, Pred: p, Count: n}
		for i := 0; i < n; i++ {
			truth, preds = append(truth, t), append(preds, p)
			c.Examples = append(c.Examples, CellExample{Image: nd.New(8, 8, 1), Caption: fmt.Sprintf("#%d", len(truth)-1)})
		}
		cells = append(cells, c)
	}
	for c := 0; c < 4; c++ {
		add(c, c, 10)
	}
	add(3, 1, 1)
	add(2, 0, 2)
	add(0, 3, 3)
	add(1, 2, 5)
	return truth, preds, cells[4:]
}

// The cells' lists come worst first, the three worst open for a page without scripts;
// clicking a cell of the live chart opens its list.
func TestConfusionCellsOpenOnClick(t *testing.T) {
	truth, preds, cells := confusionCase()
	classes := []string{"zero", "one", "<two>", "three"}
	f, err := ConfusionMatrixWithCells(truth, preds, classes, cells, "Grad-CAM")
	if err != nil {
		t.Fatal(err)
	}
	order := regexp.MustCompile(`<details class="cl-cell" id="([^"]+)" data-true="(\d)" data-pred="(\d)" data-count="(\d+)"( open)?>`).FindAllStringSubmatch(f.HTML, -1)
	want := []string{"1→2 ×5 open", "0→3 ×3 open", "2→0 ×2 open", "3→1 ×1"}
	if len(order) != len(want) {
		t.Fatalf("%d cell lists", len(order))
	}
	for i, m := range order {
		got := fmt.Sprintf("%s→%s ×%s", m[2], m[3], m[4])
		if m[5] != "" {
			got += " open"
		}
		if got != want[i] {
			t.Errorf("list %d: %s, want %s", i, got, want[i])
		}
	}
	if regexp.MustCompile(`<two>`).MatchString(f.HTML) {
		t.Error("class name not escaped")
	}
	browser.Require(t)
	s := openFragment(t, f)
	closed := order[3][1] // true 3, predicted 1: x = 1, row = 4 − 1 − 3 = 0
	xy, err := browser.Eval[[]float64](s, `(function(){var el=document.querySelector(".cl-chart");el.scrollIntoView();`+
		`var c=echarts.getInstanceByDom(el);var p=c.convertToPixel({seriesIndex:0},[1,0]);var r=el.getBoundingClientRect();`+
		`return [r.left+p[0], r.top+p[1]];})()`)
	if err != nil {
		t.Fatal(err)
	}
	if open, _ := browser.Eval[bool](s, fmt.Sprintf(`document.getElementById(%q).open`, closed)); open {
		t.Fatal("the list of cell (3 → 1) is open before the click")
	}
	if err := chromedp.Do(s.Ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	if open, err := browser.Eval[bool](s, fmt.Sprintf(`document.getElementById(%q).open`, closed)); err != nil || !open {
		t.Errorf("clicking cell (3 → 1) at %v did not open its list (%v)", xy, err)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("script errors: %v", errs)
	}
}

package nb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/training"
	"github.com/convlens/convlens/vizhtml"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Outside a notebook, views go to $CONVLENS_NB_HTML when set; the ECharts library is sent
// once per kernel, remembered across processes through GoNB's temporary folder.
func TestOutsideNotebookWritesHTMLWithLibraryOnce(t *testing.T) {
	out := filepath.Join(t.TempDir(), "nb.html")
	t.Setenv("CONVLENS_NB_HTML", out)
	tmp := t.TempDir()
	t.Setenv(protocol.GONB_TMP_DIR_ENV, tmp)
	libraryLoaded = false
	chart, err := vizhtml.KernelHeatmap(nd.Array{Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, "k")
	if err != nil {
		t.Fatal(err)
	}
	Show(chart, nil)
	Show(chart, nil)
	libraryLoaded = false // a new cell is a new process: the marker file remembers
	Show(chart, nil)
	Show(vizhtml.Fragment{}, errors.New(`bad <b>thing</b>`))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, "embedded by convlens"); n != 1 {
		t.Errorf("library sent %d times, want 1", n)
	}
	if strings.Count(html, `class="cl-chart"`) != 3 {
		t.Error("charts missing")
	}
	if !strings.Contains(html, "bad &lt;b&gt;thing&lt;/b&gt;") {
		t.Error("error not escaped")
	}
	LoadLibrary()
	b, _ = os.ReadFile(out)
	if n := strings.Count(string(b), "embedded by convlens"); n != 2 {
		t.Errorf("LoadLibrary: library sent %d times in total, want 2", n)
	}
}

func TestWithoutTargetNothingHappens(t *testing.T) {
	t.Setenv("CONVLENS_NB_HTML", "")
	Show(vizhtml.Fragment{HTML: "<p>x</p>"}, nil) // must not panic or write anywhere
	NewLive().Update(vizhtml.Fragment{HTML: "<p>x</p>"})
}

// The dashboard redraws at most every Every and always at the end.
func TestDashboardThrottlesAndDrawsTheEnd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "nb.html")
	t.Setenv("CONVLENS_NB_HTML", out)
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDashboard(m, testutil.RandomArray(1, 0, 1, 2, 28, 28, 1))
	d.Every = time.Hour
	h := &training.History{Train: []training.StepPoint{{Step: 0, Loss: 2, Accuracy: 0.1}, {Step: 1, Loss: 1.5, Accuracy: 0.3}}}
	for step := int64(1); step <= 5; step++ {
		if err := d.OnProgress(&training.Progress{Step: step, TotalSteps: 5, History: h, Done: step == 5}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(out)
	if n := strings.Count(string(b), "step "); n != 2 {
		t.Errorf("%d redraws, want 2 (first call and the end)", n)
	}
	if !strings.Contains(string(b), "<b>done</b>: step 5 of 5") || !strings.Contains(string(b), "conv1 on probe 1") {
		t.Error("final state missing status or probe feature maps")
	}
}

// Explore writes one explorer (its data script, its code and the static picture) and an
// escaped error for images the model cannot take.
func TestExploreShowsTheExplorerOrAnError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "nb.html")
	t.Setenv("CONVLENS_NB_HTML", out)
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	Explore(m, testutil.RandomArray(1, 0, 1, 2, 28, 28, 1), report.ExplorerOptions{CAMClasses: 1, Classes: []string{"<b>zero</b>"}})
	Explore(m, testutil.RandomArray(1, 0, 1, 2, 14, 14, 1), report.ExplorerOptions{})
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if strings.Count(html, `-data">{`) != 1 || strings.Count(html, `convlensExplore("`) != 1 ||
		!strings.Contains(html, `alt="first channels of every layer"`) || strings.Contains(html, "<b>zero</b>") {
		t.Errorf("explorer output wrong (%d bytes)", len(html))
	}
	if !strings.Contains(html, `class="cl-error"`) || !strings.Contains(html, "14") {
		t.Error("no error box for images of the wrong size")
	}
}

// Diff shows every section of the comparison inline and returns its numbers.
func TestDiffShowsTheComparison(t *testing.T) {
	out := filepath.Join(t.TempDir(), "nb.html")
	t.Setenv("CONVLENS_NB_HTML", out)
	t.Setenv(protocol.GONB_TMP_DIR_ENV, t.TempDir())
	m, err := layers.New(layers.LeNet(), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Synthetic(32, 28, 28, 1, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := Diff(m, m, ds, report.DiffOptions{NameA: "before", NameB: "after", CKAImages: 16})
	if res == nil || len(res.RightToWrong)+len(res.WrongToRight) != 0 || res.A.N != 32 {
		t.Fatalf("diff of a model with itself: %+v", res)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"<h3>Layers</h3>", "<h3>Changed answers</h3>", "No image right under before, wrong under after."} {
		if !strings.Contains(string(b), want) {
			t.Errorf("nb.Diff output lacks %q", want)
		}
	}
}

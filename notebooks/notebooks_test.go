// Package notebooks holds the tutorial notebooks; its test executes every one of them
// headless through Jupyter with the GoNB kernel, exports them to HTML and checks in
// headless Chromium that every chart drew.
package notebooks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/browser"
)

// tools returns jupyter's path, skipping (or failing under CONVLENS_REQUIRE_NOTEBOOKS=1,
// set by `make test`) when Jupyter or GoNB is missing.
func tools(t *testing.T) string {
	jupyter, err := exec.LookPath("jupyter")
	_, gonbErr := exec.LookPath("gonb")
	if err != nil || gonbErr != nil {
		msg := "Jupyter nbconvert or GoNB not installed (scripts/install-notebook-tools.sh installs both)"
		if os.Getenv("CONVLENS_REQUIRE_NOTEBOOKS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return jupyter
}

func TestNotebooksAreBuiltFromTheirSources(t *testing.T) {
	out, err := exec.Command("python3", "build.py", "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("notebooks out of date with src/: %v\n%s", err, out)
	}
}

// Every notebook opens with what the student will learn and closes with what to notice and
// at least two exercises.
func TestNotebooksStateGoalsAndExercises(t *testing.T) {
	files, _ := filepath.Glob("[0-9][0-9]-*.ipynb")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				CellType string `json:"cell_type"`
				Source   any    `json:"source"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(raw, &nb); err != nil || len(nb.Cells) < 3 {
			t.Fatalf("%s: %v", f, err)
		}
		first, last := nb.Cells[1], nb.Cells[len(nb.Cells)-1] // cell 0 pins the module
		if first.CellType != "markdown" || !strings.Contains(joinText(first.Source), "**You will learn**") {
			t.Errorf("%s does not open with what the student will learn", f)
		}
		end := joinText(last.Source)
		_, exercises, _ := strings.Cut(end, "## Exercises")
		if last.CellType != "markdown" || !strings.Contains(end, "## What to notice") || len(regexp.MustCompile(`(?m)^[0-9]\. `).FindAllString(exercises, -1)) < 2 {
			t.Errorf("%s does not close with what to notice and at least two exercises", f)
		}
	}
}

type cellOutput struct {
	OutputType string         `json:"output_type"`
	Ename      string         `json:"ename"`
	Evalue     string         `json:"evalue"`
	Data       map[string]any `json:"data"`
	Text       any            `json:"text"` // stream outputs
	Metadata   map[string]any `json:"metadata"`
}

type notebook struct {
	Cells []struct {
		CellType string       `json:"cell_type"`
		Outputs  []cellOutput `json:"outputs"`
	} `json:"cells"`
}

// joinText reads a notebook text field: a string or a list of lines.
func joinText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			b.WriteString(fmt.Sprint(s))
		}
		return b.String()
	}
	return ""
}

func htmlOf(o cellOutput) string { return joinText(o.Data["text/html"]) }

// textOf joins every textual part of an output: streams, HTML, markdown and plain text.
func textOf(o cellOutput) string {
	out := joinText(o.Text)
	for _, mime := range []string{"text/html", "text/markdown", "text/plain"} {
		out += joinText(o.Data[mime])
	}
	return out
}

var chartRE = regexp.MustCompile(`class="cl-chart"`)

// Every notebook executes without a cell error, in order (notebook 2 trains the model the
// others reuse); its HTML export draws every chart offline; the executed notebook carries
// the ECharts library exactly once and loads nothing remote. A notebook still running
// after 10 minutes is stopped and fails.
func TestNotebooksExecuteAndDraw(t *testing.T) {
	jupyter := tools(t)
	chromium := browser.Require(t)
	outDir := os.Getenv("CONVLENS_NB_OUT")
	if outDir == "" {
		outDir = t.TempDir()
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(outDir, "cache")
	os.RemoveAll(cache)
	files, _ := filepath.Glob("[0-9][0-9]-*.ipynb")
	sort.Strings(files)
	if len(files) != 9 {
		t.Fatalf("found %d notebooks, want 9", len(files))
	}
	root, _ := filepath.Abs("..")
	var total time.Duration
	var summary []runSummary
	for _, file := range files {
		name := strings.TrimSuffix(file, ".ipynb")
		t.Run(name, func(t *testing.T) {
			executed := filepath.Join(outDir, name+".ipynb")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			start := time.Now()
			cmd := exec.CommandContext(ctx, jupyter, "nbconvert", "--to", "notebook", "--execute",
				"--ExecutePreprocessor.timeout=600", file, "--output", executed)
			cmd.Env = append(os.Environ(), "CONVLENS_NB_CACHE="+cache, "CONVLENS_ROOT="+root)
			out, err := cmd.CombinedOutput()
			took := time.Since(start)
			total += took
			if err != nil {
				t.Fatalf("executing %s: %v\n%s", file, err, tail(string(out), 4000))
			}
			raw, err := os.ReadFile(executed)
			if err != nil {
				t.Fatal(err)
			}
			var nb notebook
			if err := json.Unmarshal(raw, &nb); err != nil {
				t.Fatal(err)
			}
			charts, libraries := 0, 0
			var all strings.Builder
			for i, c := range nb.Cells {
				for _, o := range c.Outputs {
					all.WriteString(textOf(o))
					if o.OutputType == "error" {
						t.Errorf("cell %d: %s: %s", i, o.Ename, tail(o.Evalue, 2000))
					}
					h := htmlOf(o)
					n := len(chartRE.FindAllString(h, -1))
					charts += n
					if n > 0 {
						if p, _ := o.Data["image/png"].(string); p == "" {
							t.Errorf("cell %d: an output with %d chart(s) carries no image/png", i, n)
						}
					}
					libraries += strings.Count(h, "embedded by convlens")
					if strings.Contains(h, `class="cl-error"`) {
						t.Errorf("cell %d shows an error box", i)
					}
					if regexp.MustCompile(`<script[^>]+src="https?:`).MatchString(h) {
						t.Errorf("cell %d loads a remote script", i)
					}
				}
			}
			if check := facts[name]; check != nil {
				check(t, all.String())
			}
			checkClaims(t, name, all.String())
			// Boilerplate stays quiet: no output names the machine's checkout or cache.
			home, _ := os.UserHomeDir()
			for _, path := range []string{root, filepath.Join(home, ".cache"), cache} {
				if path != "" && path != "/" && strings.Contains(all.String(), path) {
					t.Errorf("an output shows the machine path %s", path)
				}
			}
			if charts > 0 && libraries != 1 {
				t.Errorf("%d charts but the library appears %d times", charts, libraries)
			}
			html := filepath.Join(outDir, name+".html")
			if out, err := exec.Command(jupyter, "nbconvert", "--to", "html", executed, "--output", html).CombinedOutput(); err != nil {
				t.Fatalf("HTML export: %v\n%s", err, tail(string(out), 2000))
			}
			dom, err := browser.DumpDOM(chromium, html)
			if err != nil {
				t.Fatal(err)
			}
			if drawn := browser.DrawnCharts(dom); drawn != charts {
				t.Errorf("%d of %d charts drew in the HTML export", drawn, charts)
			}
			// No chart text overlaps another or is cut off; a picture of the whole export is
			// kept beside it for reading (out/notebooks in make test).
			view := browser.Open(t, 3*time.Minute)
			if err := view.Load(html); err != nil {
				t.Fatal(err)
			}
			// Every live explorer starts its engine in the export, as in a trusted notebook.
			if exported, err := os.ReadFile(html); err == nil {
				if lives := strings.Count(string(exported), "convlensLive(convlensExplore("); lives > 0 {
					started := 0
					for deadline := time.Now().Add(90 * time.Second); started < lives && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
						started, _ = browser.Eval[int](view, `document.querySelectorAll('.cl-ex[data-live="ready"]').length`)
					}
					if started != lives {
						t.Errorf("%d of %d live explorers started their engine in the HTML export", started, lives)
					}
				}
			}
			problems, err := view.ChartTextProblems()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("chart %q: %s", p.Chart, p.Problem)
			}
			if os.Getenv("CONVLENS_NB_OUT") != "" {
				if err := view.Screenshot(html, filepath.Join(outDir, name+".jpg")); err != nil {
					t.Logf("screenshot of %s: %v", name, err)
				}
			}
			// As GitHub or nbviewer shows the export: no scripts, a picture for every chart.
			noJS, err := browser.Open(t, 2*time.Minute).ViewWithoutScripts(html)
			if err != nil {
				t.Fatal(err)
			}
			if noJS.ScriptsRan || noJS.Charts != charts || noJS.Shown != charts {
				t.Errorf("HTML export with JavaScript off: %d of %d chart containers (%d charts) show their picture: %v", noJS.Shown, noJS.Charts, charts, noJS.Missing)
			}
			t.Logf("%s: %s, %d charts, executed notebook %.2f MB", name, took.Round(time.Second), charts, float64(len(raw))/1e6)
			summary = append(summary, runSummary{Notebook: name, Seconds: took.Seconds(), Charts: charts, Bytes: len(raw)})
		})
	}
	t.Logf("all notebooks: %s", total.Round(time.Second))
	// Times are recorded, not asserted (the budget — 5 minutes each, 30 in all — is
	// reported in docs/PERFORMANCE.md by `make bench`).
	if b, err := json.MarshalIndent(summary, "", "  "); err == nil {
		_ = os.WriteFile(filepath.Join(outDir, "summary.json"), b, 0o644)
	}
}

type runSummary struct {
	Notebook string  `json:"notebook"`
	Seconds  float64 `json:"seconds"`
	Charts   int     `json:"charts"`
	Bytes    int     `json:"bytes"`
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

var optionRE = regexp.MustCompile(`c\.setOption\((\{.*?\})\);`)

// chartSeries returns the points of a named series of the chart titled title.
func chartSeries(t *testing.T, html, title, series string) [][2]float64 {
	t.Helper()
	pts := seriesOf(html, title, series)
	if pts == nil {
		t.Errorf("no series %q in a chart titled %q", series, title)
	}
	return pts
}

// barValues returns the values of the first series of the bar chart titled title.
func barValues(t *testing.T, html, title string) []float64 {
	t.Helper()
	for _, m := range optionRE.FindAllStringSubmatch(html, -1) {
		var opt struct {
			Title  struct{ Text string } `json:"title"`
			Series []struct {
				Data []struct{ Value float64 } `json:"data"`
			} `json:"series"`
		}
		if err := json.Unmarshal([]byte(m[1]), &opt); err != nil || opt.Title.Text != title || len(opt.Series) == 0 {
			continue
		}
		var out []float64
		for _, d := range opt.Series[0].Data {
			out = append(out, d.Value)
		}
		return out
	}
	t.Errorf("no bar chart titled %q", title)
	return nil
}

// valueAt is the y of the point at x (within 1e-6).
func valueAt(pts [][2]float64, x float64) float64 {
	for _, p := range pts {
		if math.Abs(p[0]-x) < 1e-6 {
			return p[1]
		}
	}
	return math.NaN()
}

// facts checks what a notebook's charts and text claim, not only that they drew.
var facts = map[string]func(t *testing.T, html string){
	"01-building-blocks": func(t *testing.T, html string) {
		sig := chartSeries(t, html, "Activation functions", "Sigmoid")
		tanh := chartSeries(t, html, "Activation functions", "Tanh")
		for _, x := range []float64{-5, 5} {
			if got, want := valueAt(sig, x), 1/(1+math.Exp(-x)); math.Abs(got-want) > 1e-4 {
				t.Errorf("Sigmoid(%v) plotted as %v, want %v", x, got, want)
			}
			if got, want := valueAt(tanh, x), math.Tanh(x); math.Abs(got-want) > 1e-4 {
				t.Errorf("Tanh(%v) plotted as %v, want %v", x, got, want)
			}
		}
		slope := chartSeries(t, html, "Their slopes (derivatives)", "Sigmoid")
		if got := valueAt(slope, 0); math.Abs(got-0.25) > 1e-3 {
			t.Errorf("Sigmoid's slope at 0 plotted as %v, want 0.25", got)
		}
		// The stride-and-padding grids: 7×7 and a 3×3 kernel give 5 (valid), 7 (same), 4 (same, stride 2).
		var outs []string
		for _, m := range regexp.MustCompile(`class="cl-stride" data-out="(\d+)"`).FindAllStringSubmatch(html, -1) {
			outs = append(outs, m[1])
		}
		if strings.Join(outs, ",") != "5,7,4" {
			t.Errorf("stride and padding grids give outputs %v, want 5, 7, 4", outs)
		}
		// The worked convolution and pooling give the model's own values.
		conv := regexp.MustCompile(`class="cl-worked" data-sum="([^"]+)" data-model="([^"]+)"`).FindStringSubmatch(html)
		pool := regexp.MustCompile(`class="cl-worked" data-max="([^"]+)" data-mean="[^"]+" data-model="([^"]+)"`).FindStringSubmatch(html)
		if conv == nil || pool == nil {
			t.Error("notebook 1 lacks the worked convolution or pooling")
		} else {
			for _, m := range [][]string{conv, pool} {
				hand, _ := strconv.ParseFloat(m[1], 64)
				model, _ := strconv.ParseFloat(m[2], 64)
				if math.Abs(hand-model) > 1e-4*math.Max(1, math.Abs(model)) || model == 0 {
					t.Errorf("worked by hand %v, the model computed %v", hand, model)
				}
			}
		}
		if !strings.Contains(html, "same3x3   conv2d     [24 24 4]") || !strings.Contains(html, "parameters") {
			t.Error("the shapes table lacks same3x3 at 24×24 or the parameter counts")
		}
	},
	"03-feature-maps": func(t *testing.T, html string) {
		probs := barValues(t, html, "logits → softmax probabilities")
		sum, best := 0.0, 0
		for i, p := range probs {
			sum += p
			if p > probs[best] {
				best = i
			}
		}
		if len(probs) != 10 || math.Abs(sum-1) > 1e-3 || best != 3 {
			t.Errorf("the three's class probabilities %v: sum %v, most likely %d; want 10 summing to 1, most likely 3", probs, sum, best)
		}
		logits := barValues(t, html, "logits, one per class")
		top := 0
		for i, v := range logits {
			if v > logits[top] {
				top = i
			}
		}
		if len(logits) != 10 || top != best {
			t.Errorf("logit bars %v: largest at %d, the softmax's most likely is %d", logits, top, best)
		}
		checkExplorer(t, html, "0,1,2,3,4,5,6,7,8,9", "conv2", 3)
		// conv2.pre and conv2 on one colour scale: the two grids' colour bars agree.
		var scales []string
		for _, layer := range []string{"<h3>conv2.pre</h3>", "<h3>conv2 (after ReLU)</h3>"} {
			i := strings.Index(html, layer)
			if i < 0 {
				t.Fatalf("notebook 3 lacks %s", layer)
			}
			m := regexp.MustCompile(`class="cl-scale" data-lo="[^"]+" data-hi="[^"]+"`).FindString(html[i:])
			scales = append(scales, m)
		}
		if scales[0] == "" || scales[0] != scales[1] {
			t.Errorf("conv2.pre and conv2 colour bars differ: %q", scales)
		}
	},
	"05-explanations": func(t *testing.T, html string) {
		for _, want := range []string{"saliency, real labels", "saliency, shuffled", "grad-cam, shuffled", "conv2 #7: synthesised", "its map "} {
			if !strings.Contains(html, want) {
				t.Errorf("notebook 5 lacks %q (the data-randomisation maps or the channels on real digits)", want)
			}
		}
	},
	"06-time-lapse": func(t *testing.T, html string) {
		if !strings.Contains(html, "step 0 — held-out accuracy") {
			t.Error("the time-lapse does not start at step 0")
		}
	},
	"07-colour-and-resnet": func(t *testing.T, html string) {
		if !strings.Contains(html, "test images right") || !strings.Contains(html, ">block3_proj_bn<") {
			t.Error("notebook 7 lacks its accuracy line or the ResNet graph")
		}
		for _, photo := range []string{"chelsea", "coffee"} {
			p := barValues(t, html, photo+": softmax probabilities")
			if len(p) != 2 || math.Abs(p[0]+p[1]-1) > 1e-3 {
				t.Errorf("%s's class probabilities %v: want cat and dog, summing to 1", photo, p)
			}
		}
	},
	"08-your-own-model": func(t *testing.T, html string) {
		m := regexp.MustCompile(`largest \|logit difference\| ([0-9.e+-]+); same prediction for (\d+) of (\d+) images`).FindStringSubmatch(html)
		if m == nil {
			t.Fatal("notebook 8 lacks the comparison of the exported model")
		}
		if d, _ := strconv.ParseFloat(m[1], 64); d > 1e-4 || m[2] != m[3] {
			t.Errorf("exported model differs: %s", m[0])
		}
		checkExplorer(t, html, "cat,dog", "block3", 2)
		if !strings.Contains(html, "opset 17, written by &#34;convlens&#34;") && !strings.Contains(html, "opset 17, written by \"convlens\"") && !strings.Contains(html, "opset 17, written by &quot;convlens&quot;") {
			t.Error("notebook 8 lacks the opset line")
		}
	},
}

var explorerDataRE = regexp.MustCompile(`(?s)<script type="application/json" id="[^"]*-data">(.*?)</script>`)

// checkExplorer checks a notebook's explorer: its classes (comma-separated), the layer
// Grad-CAM explains from, and every layer's values and two Grad-CAM maps for each image.
func checkExplorer(t *testing.T, html, classes, camLayer string, images int) {
	t.Helper()
	m := explorerDataRE.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("the notebook lacks the explorer's data")
	}
	var d struct {
		Classes  []string `json:"classes"`
		CAMLayer string   `json:"camLayer"`
		Layers   []struct {
			Name string `json:"name"`
		} `json:"layers"`
		Images []struct {
			Values map[string]string `json:"values"`
			CAMs   []struct {
				Class int `json:"class"`
			} `json:"cams"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("explorer data: %v", err)
	}
	if strings.Join(d.Classes, ",") != classes || d.CAMLayer != camLayer || len(d.Images) != images {
		t.Fatalf("explorer: classes %v, Grad-CAM layer %q, %d images; want %s, %s, %d", d.Classes, d.CAMLayer, len(d.Images), classes, camLayer, images)
	}
	for i, img := range d.Images {
		for _, l := range d.Layers {
			if img.Values[l.Name] == "" {
				t.Errorf("explorer image %d lacks the values of %s", i, l.Name)
			}
		}
		if want := min(len(d.Classes), 10); len(img.CAMs) != want {
			t.Errorf("explorer image %d has %d Grad-CAM maps, want %d (the top classes)", i, len(img.CAMs), want)
		}
	}
}

// Tiles are large enough to see: filters at least 64 px, feature maps and image tiles at
// least 80 px (the views' defaults are 64 and 84).
func TestNotebookTilesAreLargeEnough(t *testing.T) {
	srcs, _ := filepath.Glob("src/*.go.md")
	size := regexp.MustCompile(`TileSize: (\d+)`)
	tiles := regexp.MustCompile(`vizhtml\.Tiles\([^)]*, (\d+)\)`)
	checked := 0
	for _, p := range srcs {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			least := 0
			switch {
			case strings.Contains(line, "FilterOptions{"):
				least = 64
			case strings.Contains(line, "FeatureMapOptions{"):
				least = 80
			}
			if m := size.FindStringSubmatch(line); m != nil && least > 0 {
				checked++
				if n, _ := strconv.Atoi(m[1]); n < least {
					t.Errorf("%s:%d: tiles of %d px, want at least %d", p, i+1, n, least)
				}
			}
			if m := tiles.FindStringSubmatch(line); m != nil {
				checked++
				if n, _ := strconv.Atoi(m[1]); n < 80 {
					t.Errorf("%s:%d: image tiles of %d px, want at least 80", p, i+1, n)
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d tile sizes found", checked)
	}
}

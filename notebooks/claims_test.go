package notebooks

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/convlens/convlens/vizhtml"
)

// A claim is a sentence of a notebook's text that says what a picture or a number shows.
// Its source (src/NN-name.go.md) tags it with <!-- claim: id -->, invisible to readers;
// claims[id] checks it on the executed notebook: on the values that the notebook's cells
// measured and showed with nb.Measure, or on the data of its charts. A claim that cannot
// be checked is rewritten until it can. The checks are in claimchecks_test.go.

// claimed is what an executed notebook showed.
type claimed struct {
	html     string
	measures map[string]float64
}

// m returns a measured value, or an error naming what is missing.
func (c *claimed) m(id string) (float64, error) {
	v, ok := c.measures[id]
	if !ok {
		return 0, fmt.Errorf("the notebook measured no %q", id)
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("%q is NaN", id)
	}
	return v, nil
}

// all returns several measured values at once.
func (c *claimed) all(ids ...string) ([]float64, error) {
	out := make([]float64, len(ids))
	for i, id := range ids {
		v, err := c.m(id)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// last returns the measurement prefix+N with the largest step N (a run's last checkpoint).
func (c *claimed) last(prefix string) (float64, int, error) {
	best, found := -1, false
	for id := range c.measures {
		if n, err := strconv.Atoi(strings.TrimPrefix(id, prefix)); err == nil && strings.HasPrefix(id, prefix) && n > best {
			best, found = n, true
		}
	}
	if !found {
		return 0, 0, fmt.Errorf("the notebook measured no %qN", prefix)
	}
	v, err := c.m(prefix + strconv.Itoa(best))
	return v, best, err
}

var claimTagRE = regexp.MustCompile(`<!-- claim: ([a-z0-9-]+) -->`)

// claimsOf returns the claim ids a notebook source tags, in order, and an error for a tag
// outside a markdown cell.
func claimsOf(src string) ([]string, error) {
	var ids []string
	markdown := false
	for i, line := range strings.Split(src, "\n") {
		switch strings.TrimSpace(line) {
		case "# %% md":
			markdown = true
			continue
		case "# %%", "# %% setup":
			markdown = false
			continue
		}
		for _, m := range claimTagRE.FindAllStringSubmatch(line, -1) {
			if !markdown {
				return nil, fmt.Errorf("line %d: claim %q tagged outside a markdown cell", i+1, m[1])
			}
			ids = append(ids, m[1])
		}
		if strings.Contains(line, "<!-- claim") && !claimTagRE.MatchString(line) {
			return nil, fmt.Errorf("line %d: malformed claim tag %q", i+1, strings.TrimSpace(line))
		}
	}
	return ids, nil
}

// Every tagged claim has a check and every check a claim; no test needs Jupyter for this.
func TestEveryClaimHasACheck(t *testing.T) {
	srcs, _ := filepath.Glob("src/*.go.md")
	used := map[string]bool{}
	total := 0
	for _, p := range srcs {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := claimsOf(string(raw))
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		for _, id := range ids {
			total++
			used[id] = true
			if claims[id] == nil {
				t.Errorf("%s: claim %q has no check in claims", p, id)
			}
		}
	}
	for id := range claims {
		if !used[id] {
			t.Errorf("claims[%q] checks a claim no notebook makes", id)
		}
	}
	if total < 20 {
		t.Errorf("only %d claims tagged in the notebooks", total)
	}
}

func TestClaimTagsAreFound(t *testing.T) {
	ids, err := claimsOf("# %% md\nText. <!-- claim: a-b --> more <!-- claim: c -->\n# %%\nx := 1\n# %% md\n<!-- claim: d -->")
	if err != nil || !slices.Equal(ids, []string{"a-b", "c", "d"}) {
		t.Errorf("found %v, %v; want a-b, c, d", ids, err)
	}
	if _, err := claimsOf("# %%\n// <!-- claim: x -->"); err == nil {
		t.Error("a tag in a code cell is accepted")
	}
	if _, err := claimsOf("# %% md\n<!-- claim: Bad_Id -->"); err == nil {
		t.Error("a malformed tag is accepted")
	}
}

// checkClaims runs the checks of every claim notebook name makes on its executed output.
func checkClaims(t *testing.T, name, html string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("src", name+".go.md"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := claimsOf(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	measures, err := vizhtml.Measures(html)
	if err != nil {
		t.Fatalf("reading the measurements: %v", err)
	}
	c := &claimed{html: html, measures: measures}
	for _, id := range ids {
		if check := claims[id]; check != nil {
			if err := check(c); err != nil {
				t.Errorf("claim %q does not hold: %v", id, err)
			}
		}
	}
	t.Logf("%s: %d claims checked on %d measurements", name, len(ids), len(measures))
}

// chartOption is the part of a chart's ECharts option that claims read.
type chartOption struct {
	Title  struct{ Text string } `json:"title"`
	Series []struct {
		Name      string
		Data      []json.RawMessage `json:"data"`
		LineStyle struct {
			Type string `json:"type"`
		} `json:"lineStyle"`
	} `json:"series"`
}

// optionsTitled returns the options of every chart titled title.
func optionsTitled(html, title string) []chartOption {
	var out []chartOption
	for _, m := range optionRE.FindAllStringSubmatch(html, -1) {
		var opt chartOption
		if json.Unmarshal([]byte(m[1]), &opt) == nil && opt.Title.Text == title {
			out = append(out, opt)
		}
	}
	return out
}

// seriesOf returns the (x, y) points of the series named series in the first chart titled
// title (nil when there is none).
func seriesOf(html, title, series string) [][2]float64 {
	for _, opt := range optionsTitled(html, title) {
		for _, s := range opt.Series {
			if s.Name != series {
				continue
			}
			var pts [][2]float64
			for _, raw := range s.Data {
				var d struct{ Value []float64 }
				if json.Unmarshal(raw, &d) == nil && len(d.Value) == 2 {
					pts = append(pts, [2]float64{d.Value[0], d.Value[1]})
				}
			}
			return pts
		}
	}
	return nil
}

// styleOf returns the line type ("dashed", or "" for solid) of a chart's series.
func styleOf(html, title, series string) string {
	for _, opt := range optionsTitled(html, title) {
		for _, s := range opt.Series {
			if s.Name == series {
				return s.LineStyle.Type
			}
		}
	}
	return ""
}

// Code reads without scrolling sideways: no code line of a notebook is wider than 100
// columns (a tab counts 4), and no code cell is longer than 60 lines.
func TestNotebookCodeFitsTheScreen(t *testing.T) {
	srcs, _ := filepath.Glob("src/*.go.md")
	for _, p := range srcs {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		code, cellStart, cellLines := false, 0, 0
		for i, line := range strings.Split(string(raw), "\n") {
			switch strings.TrimSpace(line) {
			case "# %% md", "# %%", "# %% setup":
				if code && cellLines > 60 {
					t.Errorf("%s:%d: a code cell of %d lines (split it)", p, cellStart, cellLines)
				}
				code, cellStart, cellLines = strings.TrimSpace(line) != "# %% md", i+1, 0
				continue
			}
			if !code {
				continue
			}
			cellLines++
			if w := len([]rune(strings.ReplaceAll(line, "\t", "    "))); w > 100 {
				t.Errorf("%s:%d: %d columns", p, i+1, w)
			}
		}
		if code && cellLines > 60 {
			t.Errorf("%s:%d: a code cell of %d lines (split it)", p, cellStart, cellLines)
		}
	}
}

var beforeRE = regexp.MustCompile(`\*\*Before you start\*\*: [^;]+; about (\d+) minutes`)

// Every notebook says what to read first and how long it takes (30–45 minutes), and the
// README's list gives the same time.
func TestNotebooksStateScopeAndTime(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	srcs, _ := filepath.Glob("src/*.go.md")
	for _, p := range srcs {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m := beforeRE.FindStringSubmatch(string(raw))
		if m == nil {
			t.Errorf("%s does not say what to read first and how long it takes", p)
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n < 30 || n > 45 {
			t.Errorf("%s takes %d minutes, want 30–45", p, n)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".go.md")
		item := regexp.MustCompile("(?m)^[0-9]\\. `" + regexp.QuoteMeta(name) + "` \\(([^)]*)\\)").FindSubmatch(readme)
		if item == nil || !strings.Contains(string(item[1]), m[1]+" min") {
			t.Errorf("README's notebook list does not give %s's %s minutes", name, m[1])
		}
	}
}

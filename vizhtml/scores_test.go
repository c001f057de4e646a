package vizhtml

import (
	"regexp"
	"strings"
	"testing"
)

// The score panel writes each value back readably, in the rows' order, with the verdict
// the Beats say, escapes labels, and refuses rows that do not match the metrics.
func TestScorePanel(t *testing.T) {
	metrics := []ScoreMetric{{"deletion", false}, {"insertion", true}}
	rows := []ScoreRow{
		{Label: `<b>"gc"</b>`, Values: []float64{0.2, 0.9}, PerImage: [][]float64{{0.1, 0.3}, {0.8, 1}}, Beats: []bool{true, true}},
		{Label: "saliency", Values: []float64{0.5, 0.7}, Beats: []bool{false, true}},
		{Label: "random", Baseline: true, Values: []float64{0.6, 0.6}, Beats: []bool{false, false}},
		{Label: "sobel", Baseline: true, Values: []float64{0.4, 0.8}, Beats: []bool{false, false}},
	}
	f, err := ScorePanel(metrics, rows, 5)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.HTML, "<b>") || !strings.Contains(f.HTML, "&lt;b&gt;&#34;gc&#34;&lt;/b&gt;") {
		t.Error("label not escaped")
	}
	cells := regexp.MustCompile(`data-metric="(\w+)" data-value="([^"]+)"`).FindAllStringSubmatch(f.HTML, -1)
	want := []string{"deletion=0.200", "insertion=0.900", "deletion=0.500", "insertion=0.700", "deletion=0.600", "insertion=0.600", "deletion=0.400", "insertion=0.800"}
	if len(cells) != len(want) {
		t.Fatalf("%d cells", len(cells))
	}
	for i, c := range cells {
		if c[1]+"="+c[2] != want[i] {
			t.Errorf("cell %d: %s=%s, want %s", i, c[1], c[2], want[i])
		}
	}
	verdicts := regexp.MustCompile(`<td style="padding:3px 8px">([^<]*)</td></tr>`).FindAllStringSubmatch(f.HTML, -1)
	got := []string{}
	for _, v := range verdicts {
		got = append(got, v[1])
	}
	if strings.Join(got, "|") != "informative|not better than a baseline on deletion|baseline|baseline" {
		t.Errorf("verdicts %q", got)
	}
	if !strings.Contains(f.HTML, `title="deletion per image: 0.100, 0.300"`) {
		t.Error("per-image scores missing")
	}
	if !strings.Contains(f.HTML, "Means over 5 images") {
		t.Error("image count missing")
	}
	if _, err := ScorePanel(metrics, []ScoreRow{{Label: "x", Values: []float64{1}}}, 1); err == nil {
		t.Error("a row with one value for two metrics is accepted")
	}
	if _, err := ScorePanel(nil, rows, 1); err == nil {
		t.Error("a panel without metrics is accepted")
	}
}

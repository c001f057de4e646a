package explain

import (
	"fmt"
	"math"
	"sort"

	"github.com/convlens/convlens/nd"
)

// Scorecard holds faithfulness scores of several methods' maps of the same images, and of
// the two baselines every method must beat to be called informative: a random map and the
// image's edges.
type Scorecard struct {
	Metrics        []string
	HigherIsBetter []bool
	// Rows: the methods in the order given, then the baselines "random" and "sobel".
	Rows   []ScoreRow
	Images int
}

// ScoreRow is one method's scores.
type ScoreRow struct {
	Method   string
	Layer    string // the CAM layer ("" for other methods)
	Baseline bool
	Scores   [][]float64 // [metric][image]
	Mean     []float64   // per metric, over the images
	// Beats reports, per metric, whether the mean is better than both baselines' means.
	Beats []bool
	// Rank is the mean over metrics of the method's place among the methods (1 = best; 0
	// for the baselines).
	Rank float64
}

// Label names the row: the method, and its layer when there is one.
func (r ScoreRow) Label() string {
	if r.Layer != "" {
		return r.Method + " @ " + r.Layer
	}
	return r.Method
}

// Informative reports whether the row beats both baselines on every metric.
func (r ScoreRow) Informative() bool {
	for _, b := range r.Beats {
		if !b {
			return false
		}
	}
	return !r.Baseline && len(r.Beats) > 0
}

// Best is the index of the method row with the best (lowest) mean rank, the first on ties;
// -1 without methods.
func (c *Scorecard) Best() int {
	if r := c.Ranked(); len(r) > 0 {
		return r[0]
	}
	return -1
}

// Ranked lists the method rows' indices from best to worst (stable on ties).
func (c *Scorecard) Ranked() []int {
	var out []int
	for i, r := range c.Rows {
		if !r.Baseline {
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return c.Rows[out[a]].Rank < c.Rows[out[b]].Rank })
	return out
}

// Score scores each of maps (computed by the methods, on images) with every metric, adds
// the baselines' scores on the targets of the first maps, and ranks the methods.
func Score(ex *Explainer, images nd.Array, maps []*Maps, layers []string, metrics []Metric, seed uint64) (*Scorecard, error) {
	if len(maps) == 0 {
		return nil, fmt.Errorf("scorecard: no maps")
	}
	if len(metrics) == 0 {
		metrics = DefaultMetrics()
	}
	card := &Scorecard{Images: images.Shape[0]}
	for _, m := range metrics {
		card.Metrics = append(card.Metrics, m.Name())
		card.HigherIsBetter = append(card.HigherIsBetter, m.HigherIsBetter())
	}
	targets := maps[0].Targets
	all := append([]*Maps(nil), maps...)
	for _, b := range []Method{RandomMap{Seed: seed}, EdgeMap{}} {
		bm, err := b.Attribute(ex, images, targets)
		if err != nil {
			return nil, err
		}
		all = append(all, bm)
	}
	for i, m := range all {
		row := ScoreRow{Method: m.Method, Baseline: i >= len(maps)}
		if i < len(layers) {
			row.Layer = layers[i]
		}
		for _, metric := range metrics {
			if r, ok := metric.(ROAD); ok && r.Seed == 0 {
				r.Seed = seed
				metric = r
			}
			s, err := metric.Score(ex, images, m.Targets, m.Pixels)
			if err != nil {
				return nil, fmt.Errorf("%s of %s: %w", metric.Name(), m.Method, err)
			}
			row.Scores = append(row.Scores, s)
			row.Mean = append(row.Mean, mean(s))
		}
		card.Rows = append(card.Rows, row)
	}
	card.compare()
	return card, nil
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

// compare fills in Beats and Rank.
func (c *Scorecard) compare() {
	better := func(k int, a, b float64) bool {
		if c.HigherIsBetter[k] {
			return a > b
		}
		return a < b
	}
	var methods []int
	for i, r := range c.Rows {
		if !r.Baseline {
			methods = append(methods, i)
		}
	}
	for k := range c.Metrics {
		for i := range c.Rows {
			beats := true
			for _, b := range c.Rows {
				if b.Baseline && !better(k, c.Rows[i].Mean[k], b.Mean[k]) {
					beats = false
				}
			}
			c.Rows[i].Beats = append(c.Rows[i].Beats, beats && !c.Rows[i].Baseline)
		}
		for _, i := range methods { // place: 1 + the methods strictly better
			place := 1
			for _, j := range methods {
				if better(k, c.Rows[j].Mean[k], c.Rows[i].Mean[k]) {
					place++
				}
			}
			c.Rows[i].Rank += float64(place) / float64(len(c.Metrics))
		}
	}
	for i := range c.Rows {
		if math.IsNaN(c.Rows[i].Rank) {
			c.Rows[i].Rank = math.Inf(1)
		}
	}
}

// Auto computes every candidate's maps of images and scores them: the scorecard's Best
// row is the method (and CAM layer) whose maps are the most faithful on these images.
func Auto(ex *Explainer, images nd.Array, targets []int, candidates []Method, metrics []Metric, seed uint64, progress func(string, ...any)) (*Scorecard, []*Maps, error) {
	var maps []*Maps
	var layers []string
	for _, m := range candidates {
		if progress != nil {
			progress("%s", Describe(m))
		}
		mp, err := m.Attribute(ex, images, targets)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", Describe(m), err)
		}
		maps = append(maps, mp)
		layers = append(layers, CAMLayer(m))
	}
	if progress != nil {
		progress("scoring %d methods and 2 baselines", len(maps))
	}
	card, err := Score(ex, images, maps, layers, metrics, seed)
	return card, maps, err
}

// Describe names a method with its CAM layer ("grad-cam @ conv2").
func Describe(m Method) string {
	if l := CAMLayer(m); l != "" {
		return m.Name() + " @ " + l
	}
	return m.Name()
}

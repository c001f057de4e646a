package report

import (
	"errors"
	"fmt"
	"strings"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/vizhtml"
)

// ExplainOptions configures an explanation page.
type ExplainOptions struct {
	Methods []explain.Method
	Images  int  // held-out images explained (default 6)
	Sanity  bool // run the cascading model-parameter randomisation test
	// SanitySteps bounds the test's randomisation steps (default 8; deep models randomise
	// their top layers one at a time, then growing blocks, then all).
	SanitySteps int
	// ClassVisualizations synthesises inputs that maximise class logits: for VisClasses, or
	// (nil) for every class of a model with at most 16, else for the explained images'
	// predicted and true classes.
	ClassVisualizations bool
	VisClasses          []int
	// Scores adds the faithfulness scores of every method (deletion, insertion, ROAD) with
	// the random and edge baselines, ranked.
	Scores bool
	// Auto treats Methods as candidates: all are scored, and the page shows the best three
	// (implies Scores).
	Auto bool
	// Chosen, when set, hears which method Auto chose.
	Chosen func(explain.Method)
	Seed   int64
	// Progress, when set, hears about each step that takes a while.
	Progress func(format string, args ...any)
}

// VisClassesFor lists the classes the explained images were predicted and labelled as
// (predictions first, each once), then further classes in order up to at least k.
func VisClassesFor(preds, labels []int, classes, k int) []int {
	var out []int
	seen := map[int]bool{}
	add := func(c int) {
		if c >= 0 && c < classes && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, c := range preds {
		add(c)
	}
	for _, c := range labels {
		add(c)
	}
	for c := 0; len(out) < k && c < classes; c++ {
		add(c)
	}
	return out
}

// Explain builds a page with every method's maps side by side per image, optional class
// visualisations, and the sanity-check chart.
func Explain(ex *explain.Explainer, ds *data.Dataset, opt ExplainOptions) (*vizhtml.Page, error) {
	if opt.Images <= 0 {
		opt.Images = 6
	}
	progress := opt.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	if opt.SanitySteps == 0 {
		opt.SanitySteps = 8
	}
	n := min(opt.Images, ds.N)
	images := ds.Batch(0, n)
	logits, err := ex.Model.Logits(images)
	if err != nil {
		return nil, err
	}
	page := &vizhtml.Page{Title: "convlens explanations: " + ex.Model.Spec.Name,
		Subtitle: fmt.Sprintf("%d held-out images of %s; maps explain each image's predicted class", n, ds.Name)}
	var rows []string
	var imgs []nd.Array
	var preds, labels []int
	for i := 0; i < n; i++ {
		pred, p := argmaxProb(logits.Sub(i).Data)
		preds, labels = append(preds, pred), append(labels, int(ds.Labels[i]))
		rows = append(rows, fmt.Sprintf("true %s, predicted %s (%.0f%%)", className(ds.Classes, int(ds.Labels[i])), className(ds.Classes, pred), 100*p))
		imgs = append(imgs, ds.ImageArray(i))
	}
	var errs []error
	var maps []*explain.Maps
	var shown []explain.Method
	var card *explain.Scorecard
	var cardErr error
	if opt.Auto {
		progress("choosing among %d methods on %d images", len(opt.Methods), n)
		var all []*explain.Maps
		card, all, cardErr = explain.Auto(ex, images, nil, opt.Methods, nil, uint64(opt.Seed), progress)
		if cardErr != nil {
			return nil, cardErr
		}
		for _, i := range card.Ranked()[:min(3, len(card.Ranked()))] {
			maps, shown = append(maps, all[i]), append(shown, opt.Methods[i])
		}
		best := card.Rows[card.Best()]
		if opt.Chosen != nil {
			opt.Chosen(opt.Methods[card.Best()])
		}
		page.Subtitle += fmt.Sprintf(". Chosen: %s, the best mean rank (%.2g) over %s", best.Label(), best.Rank, strings.Join(card.Metrics, ", "))
		progress("chose %s: mean rank %.2g over %s, %s", best.Label(), best.Rank, strings.Join(card.Metrics, ", "), informativeText(best))
	} else {
		for _, m := range opt.Methods {
			progress("%s on %d images", m.Name(), n)
			mp, err := m.Attribute(ex, images, nil)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Name(), err))
				continue
			}
			maps, shown = append(maps, mp), append(shown, m)
		}
		if opt.Scores && len(maps) > 0 {
			progress("faithfulness scores of %d methods and 2 baselines", len(maps))
			camLayers := make([]string, len(shown))
			for i, m := range shown {
				camLayers[i] = explain.CAMLayer(m)
			}
			card, cardErr = explain.Score(ex, images, maps, camLayers, nil, uint64(opt.Seed))
		}
	}
	var cols []vizhtml.AttributionColumn
	for i, mp := range maps {
		name := mp.Method
		if opt.Auto {
			name = explain.Describe(shown[i])
		}
		col := vizhtml.AttributionColumn{Method: name, Signed: mp.Signed}
		for i := 0; i < n; i++ {
			col.Maps = append(col.Maps, mp.Image(i))
		}
		cols = append(cols, col)
	}
	f, err := vizhtml.AttributionGrid(imgs, rows, cols)
	if len(errs) > 0 { // the methods' own errors say why, not the empty grid's
		err = errors.Join(errs...)
	}
	note := "Rows: images; columns: methods. Diverging colours (red positive, blue negative) for signed maps."
	if opt.Auto {
		note = "The three methods whose maps scored best (see Faithfulness), best first. " + note
	}
	page.Add(vizhtml.Section{Title: "Attributions", Note: note, Body: f, Err: err})
	if card != nil || cardErr != nil {
		page.Add(ScoreSection(card, cardErr))
	}
	if opt.Auto {
		opt.Methods = shown
	}
	if opt.ClassVisualizations {
		which := opt.VisClasses
		if which == nil {
			k := 0
			if ex.Model.Spec.Classes <= 16 {
				k = ex.Model.Spec.Classes
			}
			which = VisClassesFor(preds, labels, ex.Model.Spec.Classes, k)
		}
		page.Add(ClassVisualizations(ex, ds.Classes, which, opt.Seed, progress))
	}
	if opt.Sanity {
		progress("sanity checks: %d methods, up to %d randomisation steps", len(opt.Methods), opt.SanitySteps)
		res, err := explain.Randomization{Seed: opt.Seed, MaxSteps: opt.SanitySteps}.Run(ex, opt.Methods, images, nil)
		var f vizhtml.Fragment
		if err == nil {
			lines := make([]vizhtml.SanityLine, len(res))
			for i, r := range res {
				lines[i] = vizhtml.SanityLine{Method: r.Method, Steps: r.Steps, Similarity: r.Similarity, Flagged: r.Flagged}
			}
			f, err = vizhtml.SanityChart(lines, explain.FlagThreshold)
		}
		page.Add(vizhtml.Section{Title: "Sanity checks", Note: fmt.Sprintf("Adebayo et al. (2018): a method passes when its maps change as the weights are destroyed (similarity: Spearman ρ of the maps' absolute values, mean over images); one still above %.2g with every layer random is flagged: its maps do not explain the model.", explain.FlagThreshold), Body: f, Err: err})
	}
	return page, nil
}

// ClassVisualizations synthesises, for each of the classes which, an input that maximises its logit.
func ClassVisualizations(ex *explain.Explainer, classes []string, which []int, seed int64, progress func(string, ...any)) vizhtml.Section {
	var tiles []vizhtml.Tile
	for i, c := range which {
		if c < 0 || c >= ex.Model.Spec.Classes {
			return vizhtml.Section{Title: "Class visualisations", Err: fmt.Errorf("class %d of %d", c, ex.Model.Spec.Classes)}
		}
		if progress != nil {
			progress("class visualisation %d of %d (%s)", i+1, len(which), className(classes, c))
		}
		vis, err := explain.ActivationMaximization{Class: c, Steps: 150, Seed: uint64(seed) + uint64(c)}.Generate(ex)
		if err != nil {
			return vizhtml.Section{Title: "Class visualisations", Err: err}
		}
		tiles = append(tiles, vizhtml.Tile{Image: vis.Image, Label: className(classes, c)})
	}
	f, err := vizhtml.Tiles(tiles, 96)
	return vizhtml.Section{Title: "Class visualisations", Note: "Inputs synthesised to maximise each class logit (gradient ascent with jitter, L2 decay and blur).", Body: f, Err: err}
}

// ScoreSection shows a scorecard: each method's faithfulness scores, ranked, beside the
// baselines.
func ScoreSection(card *explain.Scorecard, err error) vizhtml.Section {
	sec := vizhtml.Section{Title: "Faithfulness", Note: "How much the model's answer depends on the pixels each map ranks first. " +
		"Deletion: area under the class probability as the top pixels are replaced by the mean colour (lower is better). " +
		"Insertion: the same as they are revealed on the mean colour (higher is better). " +
		"ROAD: probability change when the least relevant pixels are removed minus when the most relevant are, " +
		"each filled in from their neighbours, halved (higher is better). Methods are ranked by their mean place over the three. " +
		"These ask whether the answer depends on the pixels a map ranks first; the randomisation test (Sanity checks) asks whether the map depends on the model.", Err: err}
	if err != nil {
		return sec
	}
	metrics := make([]vizhtml.ScoreMetric, len(card.Metrics))
	for k, m := range card.Metrics {
		metrics[k] = vizhtml.ScoreMetric{Name: m, HigherIsBetter: card.HigherIsBetter[k]}
	}
	var rows []vizhtml.ScoreRow
	order := card.Ranked()
	for i, r := range card.Rows {
		if r.Baseline {
			order = append(order, i)
		}
	}
	for _, i := range order {
		r := card.Rows[i]
		rows = append(rows, vizhtml.ScoreRow{Label: r.Label(), Baseline: r.Baseline, Values: r.Mean, PerImage: r.Scores, Beats: r.Beats})
	}
	sec.Body, sec.Err = vizhtml.ScorePanel(metrics, rows, card.Images)
	return sec
}

func informativeText(r explain.ScoreRow) string {
	if r.Informative() {
		return "informative (beats the random and edge maps on every metric)"
	}
	return "but not better than the random or edge map on every metric"
}

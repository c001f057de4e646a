package report

import (
	"errors"
	"fmt"

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
	// ClassVisualizations synthesises one input per class by activation maximisation.
	ClassVisualizations bool
	Seed                int64
}

// Explain builds a page with every method's maps side by side per image, optional class
// visualisations, and the sanity-check chart.
func Explain(ex *explain.Explainer, ds *data.Dataset, opt ExplainOptions) (*vizhtml.Page, error) {
	if opt.Images <= 0 {
		opt.Images = 6
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
	for i := 0; i < n; i++ {
		pred, p := argmaxProb(logits.Sub(i).Data)
		rows = append(rows, fmt.Sprintf("true %s, predicted %s (%.0f%%)", className(ds.Classes, int(ds.Labels[i])), className(ds.Classes, pred), 100*p))
		imgs = append(imgs, ds.ImageArray(i))
	}
	var cols []vizhtml.AttributionColumn
	var errs []error
	for _, m := range opt.Methods {
		maps, err := m.Attribute(ex, images, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name(), err))
			continue
		}
		col := vizhtml.AttributionColumn{Method: m.Name(), Signed: maps.Signed}
		for i := 0; i < n; i++ {
			col.Maps = append(col.Maps, maps.Image(i))
		}
		cols = append(cols, col)
	}
	f, err := vizhtml.AttributionGrid(imgs, rows, cols)
	if len(errs) > 0 { // the methods' own errors say why, not the empty grid's
		err = errors.Join(errs...)
	}
	page.Add(vizhtml.Section{Title: "Attributions", Note: "Rows: images; columns: methods. Diverging colours (red positive, blue negative) for signed maps.", Body: f, Err: err})
	if opt.ClassVisualizations {
		page.Add(ClassVisualizations(ex, ds.Classes, opt.Seed))
	}
	if opt.Sanity {
		res, err := explain.ModelRandomization(ex, opt.Methods, images, nil, opt.Seed)
		var f vizhtml.Fragment
		if err == nil {
			lines := make([]vizhtml.SanityLine, len(res))
			for i, r := range res {
				lines[i] = vizhtml.SanityLine{Method: r.Method, Steps: r.Steps, Similarity: r.Similarity, Flagged: r.Flagged}
			}
			f, err = vizhtml.SanityChart(lines, explain.FlagThreshold)
		}
		page.Add(vizhtml.Section{Title: "Sanity checks", Note: "Adebayo et al. (2018): maps that survive destroying the weights do not explain the model.", Body: f, Err: err})
	}
	return page, nil
}

// ClassVisualizations synthesises, for each class, an input that maximises its logit.
func ClassVisualizations(ex *explain.Explainer, classes []string, seed int64) vizhtml.Section {
	var tiles []vizhtml.Tile
	for c := 0; c < min(len(classes), ex.Model.Spec.Classes); c++ {
		vis, err := explain.ActivationMaximization{Class: c, Steps: 150, Seed: uint64(seed) + uint64(c)}.Generate(ex)
		if err != nil {
			return vizhtml.Section{Title: "Class visualisations", Err: err}
		}
		tiles = append(tiles, vizhtml.Tile{Image: vis.Image, Label: classes[c]})
	}
	f, err := vizhtml.Tiles(tiles, 96)
	return vizhtml.Section{Title: "Class visualisations", Note: "Inputs synthesised to maximise each class logit (gradient ascent with jitter, L2 decay and blur).", Body: f, Err: err}
}

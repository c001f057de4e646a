package report

import (
	"fmt"
	"time"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/project"
	"github.com/convlens/convlens/vizhtml"
)

// Projections lists the methods Projector takes.
var Projections = []string{"pca", "tsne", "umap"}

// Projector places the first n held-out images by the penultimate layer's outputs with
// method (pca, tsne or umap): one point per image, coloured by its true class, a triangle
// where the prediction is wrong, the image on hover. It also reports how many of each
// point's 10 nearest neighbours in the layer's space stay its neighbours in the plane.
func Projector(m *layers.Model, ds *data.Dataset, taps *layers.TapResult, truth, preds []int, method string) vizhtml.Section {
	title := "Projector (" + method + ")"
	layer := penultimate(m.Spec)
	if layer == "" {
		return vizhtml.Section{Title: title, Err: fmt.Errorf("model has no penultimate layer")}
	}
	feat := taps.Outputs[layer]
	n := feat.Shape[0]
	if n < 12 {
		return vizhtml.Section{Title: title, Note: fmt.Sprintf("A projection needs at least 12 images; %d were given.", n)}
	}
	flat := nd.Array{Shape: []int{n, len(feat.Data) / n}, Data: feat.Data}
	start := time.Now()
	var pts nd.Array
	var err error
	axes := [2]string{"", ""}
	switch method {
	case "pca":
		pts, _, err = vizhtml.PCA(flat)
		axes = [2]string{"PC1", "PC2"}
	case "tsne":
		pts, err = project.TSNE{}.Fit(flat)
	case "umap":
		pts, err = project.UMAP{Seed: 1}.Fit(flat)
	default:
		err = fmt.Errorf("unknown projection %q (known: pca, tsne, umap)", method)
	}
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	took := time.Since(start)
	recall, err := project.Recall(flat, pts, 10)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	nb, err := project.KNN(flat, 8)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	wrong := make([]bool, n)
	thumbs := make([][]byte, n)
	captions := make([]string, n)
	for i := 0; i < n; i++ {
		wrong[i] = preds[i] != truth[i]
		if thumbs[i], err = vizhtml.ImagePNG(ds.ImageArray(i), vizhtml.Range{Lo: 0, Hi: 1}); err != nil {
			return vizhtml.Section{Title: title, Err: err}
		}
		captions[i] = fmt.Sprintf("#%d: true %s, predicted %s", i, className(ds.Classes, truth[i]), className(ds.Classes, preds[i]))
	}
	sub := fmt.Sprintf("%q outputs of %d held-out images; 10-NN recall %.2f; %.1f s", layer, n, recall, took.Seconds())
	f, err := vizhtml.ProjectorScatter("Projection of the penultimate layer", sub, axes[0], axes[1], pts, truth, wrong, thumbs, captions,
		classNames(ds.Classes, m.Spec.Classes), nb.Index)
	return vizhtml.Section{Title: title, Body: f, Err: err,
		Note: "Each point is one held-out image, coloured by its true class; triangles are wrong predictions; hover a point for its image, click it for its 8 nearest images in the layer's space. " +
			"Recall: the share of each image's 10 nearest neighbours in the layer's space that stay among its 10 nearest in the plane."}
}

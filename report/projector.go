package report

import (
	"fmt"
	"time"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/explain"
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
	nb, err := project.KNN(flat, 10) // the recall's neighbours; the first 8 are shown on a click
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	recall, err := nb.Recall(pts)
	if err != nil {
		return vizhtml.Section{Title: title, Err: err}
	}
	shownNeighbours := make([][]int, n)
	for i, js := range nb.Index {
		shownNeighbours[i] = js[:8]
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
	data := vizhtml.ProjectorData{Points: pts, Labels: truth, Wrong: wrong, Thumbs: thumbs, Captions: captions, Neighbours: shownNeighbours, Preds: preds[:n]}
	if l, err := explain.ResolveLayer(m.Spec, ""); err == nil { // Grad-CAM of each prediction, shown on a click
		images := ds.Batch(0, n)
		cams, err := explain.GradCAM{Layer: l}.Attribute(explain.New(m), images, preds[:n])
		if err != nil {
			return vizhtml.Section{Title: title, Err: err}
		}
		// At the image's own resolution, which the page scales up: 2,000 digits stay 4 MB.
		data.Overlays, data.OverlayName = make([][]byte, n), "Grad-CAM of the prediction"
		for i := 0; i < n; i++ {
			img := ds.ImageArray(i)
			if data.Overlays[i], err = vizhtml.OverlayPNG(img, cams.Image(i), vizhtml.OverlayOptions{Alpha: 0.6, Scale: 1}); err != nil {
				return vizhtml.Section{Title: title, Err: err}
			}
		}
	}
	f, err := vizhtml.ProjectorScatter("Projection of the penultimate layer", sub, axes[0], axes[1], data, classNames(ds.Classes, m.Spec.Classes))
	return vizhtml.Section{Title: title, Body: f, Err: err,
		Note: "Each point is one held-out image, coloured by its true class (the buttons colour by the predicted class or by right and wrong instead); triangles are wrong predictions; hover a point for its image, click it for its Grad-CAM and its 8 nearest images in the layer's space, select a region with the toolbox to list its images. " +
			"Recall: the share of each image's 10 nearest neighbours in the layer's space that stay among its 10 nearest in the plane."}
}

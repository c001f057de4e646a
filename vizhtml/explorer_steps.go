package vizhtml

import (
	"fmt"
	"slices"

	"github.com/convlens/convlens/nd"
)

// ExplorerStep is the model at another checkpoint of its training, for the explorer's
// time-lapse slider: every shown layer's parameters and every image's values and maps.
type ExplorerStep struct {
	Label string // e.g. "step 600"
	// Params holds, by layer name, the variables as ExplorerLayer.Params (same names and
	// shapes); others are ignored.
	Params map[string]map[string]nd.Array
	// Images are the explorer's images, in its order: their captions, values and maps at
	// this step (Pixels is not used).
	Images []ExplorerImage
}

type explorerStepJSON struct {
	Label  string                              `json:"label"`
	Params map[string]map[string]explorerArray `json:"params,omitempty"`
	Images []explorerImageJSON                 `json:"images"`
}

// explorerStep encodes one step, checking it against the page's layers; it holds the
// first n images.
func explorerStep(st ExplorerStep, main []ExplorerImage, p *explorerJSON, shapes map[string][]int, classes, n int) (explorerStepJSON, error) {
	sj := explorerStepJSON{Label: st.Label}
	if len(st.Images) < n {
		return sj, fmt.Errorf("%d images, want %d", len(st.Images), n)
	}
	for _, l := range p.Layers {
		for _, name := range sortedKeys(l.Params) { // the ones the page's arithmetic uses
			a, ok := st.Params[l.Name][name]
			if !ok {
				return sj, fmt.Errorf("layer %q: no parameter %s", l.Name, name)
			}
			if w := l.Params[name]; !slices.Equal(a.Shape, w.Shape) {
				return sj, fmt.Errorf("layer %q: parameter %s has shape %v, the model's %v", l.Name, name, a.Shape, w.Shape)
			}
			if err := a.Validate(); err != nil {
				return sj, fmt.Errorf("layer %q, parameter %s: %w", l.Name, name, err)
			}
			if sj.Params == nil {
				sj.Params = map[string]map[string]explorerArray{}
			}
			if sj.Params[l.Name] == nil {
				sj.Params[l.Name] = map[string]explorerArray{}
			}
			sj.Params[l.Name][name] = explorerArray{Shape: a.Shape, B64: nd.EncodeFloats(a.Data)}
		}
	}
	for i := 0; i < n; i++ {
		img := st.Images[i]
		img.Pixels = main[i].Pixels
		ij, err := explorerImage(img, shapes, classes)
		if err != nil {
			return sj, fmt.Errorf("image %d: %w", i, err)
		}
		ij.PNG = "" // the page's own
		sj.Images = append(sj.Images, ij)
	}
	return sj, nil
}

// imageBytes is what one image adds to the page.
func imageBytes(ij explorerImageJSON) int {
	n := len(ij.PNG) + len(ij.Caption)
	for _, v := range ij.Values {
		n += len(v)
	}
	for _, c := range ij.CAMs {
		n += len(c.PNG)
	}
	return n
}

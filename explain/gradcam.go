package explain

import "github.com/convlens/convlens/nd"

// GradCAM weighs each channel of a conv layer's output by its spatially averaged gradient
// (Selvaraju et al., 2017).
type GradCAM struct {
	// Layer is the tap to explain from, usually the last conv layer (or its pool).
	Layer string
}

func (GradCAM) Name() string       { return "grad-cam" }
func (c GradCAM) camLayer() string { return c.Layer }

func (c GradCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	return camAttribute(ex, c.Name(), c.Layer, weighted(gradCAMWeights), images, targets)
}

func gradCAMWeights(_, grads []float32, positions, channels int) []float64 {
	w := make([]float64, channels)
	for p := 0; p < positions; p++ {
		for c := 0; c < channels; c++ {
			w[c] += float64(grads[p*channels+c])
		}
	}
	for c := range w {
		w[c] /= float64(positions)
	}
	return w
}

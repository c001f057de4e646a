package explain

import (
	"fmt"
	"strings"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// GradCAMPlusPlus weighs each channel by its positive gradients, each scaled by the
// closed-form α of Chattopadhay et al. (2018) for an exponential score:
// α = g² / (2g² + Σ_ab A_ab · g³ + ε), with pytorch-grad-cam's ε = 1e-6. The ε is not in
// the paper but decides the map where gradients are small (|g| ≈ 1e-3, so 2g² ≈ ε: deep
// layers of a ResNet), and users compare with that library: without it the maps after
// ResNet-18's last residual block correlated only 0.991–0.995 with its maps.
type GradCAMPlusPlus struct {
	Layer string
}

func (GradCAMPlusPlus) Name() string       { return "grad-cam++" }
func (c GradCAMPlusPlus) camLayer() string { return c.Layer }

func (c GradCAMPlusPlus) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	if err := c.checkLayer(ex); err != nil {
		return nil, err
	}
	return camAttribute(ex, c.Name(), c.Layer, weighted(gradCAMPPWeights), images, targets)
}

// gradCAMPPEpsilon is pytorch-grad-cam's ε in α's denominator.
const gradCAMPPEpsilon = 1e-6

func gradCAMPPWeights(acts, grads []float32, positions, channels int) []float64 {
	sumA := make([]float64, channels)
	for p := 0; p < positions; p++ {
		for c := 0; c < channels; c++ {
			sumA[c] += float64(acts[p*channels+c])
		}
	}
	w := make([]float64, channels)
	for p := 0; p < positions; p++ {
		for c := 0; c < channels; c++ {
			g := float64(grads[p*channels+c])
			if g <= 0 {
				continue
			}
			g2 := g * g
			w[c] += g2 / (2*g2 + sumA[c]*g2*g + gradCAMPPEpsilon) * g
		}
	}
	return w
}

// checkLayer refuses non-spatial taps and pre-activation ones: Grad-CAM++'s weights assume
// the layer's values are non-negative (post-ReLU); on a pre-activation they can turn
// negative and the map is ill-conditioned.
func (c GradCAMPlusPlus) checkLayer(ex *Explainer) error {
	layer, err := ex.checkSpatialLayer(c.Layer)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name(), err)
	}
	if strings.HasSuffix(layer, layers.PreSuffix) {
		return fmt.Errorf("%s on the pre-activation %q is ill-conditioned (its weights assume non-negative activations, as after a ReLU): use %q", c.Name(), c.Layer, strings.TrimSuffix(c.Layer, layers.PreSuffix))
	}
	return nil
}

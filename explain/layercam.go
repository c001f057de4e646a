package explain

import "github.com/convlens/convlens/nd"

// LayerCAM weighs each activation by its own positive gradient: ReLU(Σ_k ReLU(g_k(p))·A_k(p))
// (Jiang et al., 2021), so that shallow layers give usable maps; pytorch-grad-cam's LayerCAM.
type LayerCAM struct {
	Layer string
}

func (LayerCAM) Name() string       { return "layercam" }
func (c LayerCAM) camLayer() string { return c.Layer }

func (c LayerCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	return camAttribute(ex, c.Name(), c.Layer, elementwise(func(g float64) float64 { return max(g, 0) }), images, targets)
}

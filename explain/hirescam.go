package explain

import "github.com/convlens/convlens/nd"

// HiResCAM weighs each activation by its own gradient, position by position: ReLU(Σ_k
// g_k(p)·A_k(p)) (Draelos and Carin, 2020). Unlike Grad-CAM it does not average the
// gradient over the map, so the map is exactly the layer's part of the score's first-order
// change; pytorch-grad-cam's HiResCAM.
type HiResCAM struct {
	Layer string
}

func (HiResCAM) Name() string       { return "hirescam" }
func (c HiResCAM) camLayer() string { return c.Layer }

func (c HiResCAM) Attribute(ex *Explainer, images nd.Array, targets []int) (*Maps, error) {
	return camAttribute(ex, c.Name(), c.Layer, elementwise(func(g float64) float64 { return g }), images, targets)
}

package explain

import "github.com/convlens/convlens/layers"

// lrpBehaviour is how relevance crosses a kind of layer.
type lrpBehaviour int

const (
	lrpRefused  lrpBehaviour = iota // no rule: LRP refuses the model
	lrpLinear                       // the composite's rule (convolutions, dense layers)
	lrpNorm                         // shared in proportion to the inputs (Zennit's Norm: sums, average pools)
	lrpPass                         // passed on unchanged (activations, batch norm, affine maps)
	lrpGradient                     // routed as the gradient is (max pool, reshapes, padding, concatenation)
)

// lrpKinds gives every layer kind its behaviour; a test checks that none is missing.
var lrpKinds = map[layers.Kind]lrpBehaviour{
	layers.Conv2D:        lrpLinear,
	layers.Dense:         lrpLinear,
	layers.Add:           lrpNorm,
	layers.AvgPool2D:     lrpNorm,
	layers.GlobalAvgPool: lrpNorm,
	layers.Activate:      lrpPass,
	layers.BatchNorm:     lrpPass,
	layers.Affine:        lrpPass,
	layers.MaxPool2D:     lrpGradient,
	layers.Flatten:       lrpGradient,
	layers.Reshape:       lrpGradient,
	layers.Identity:      lrpGradient,
	layers.Dropout:       lrpGradient,
	layers.Pad:           lrpGradient,
	layers.Concat:        lrpGradient,
	layers.ConvTranspose: lrpRefused,
	layers.Softmax:       lrpRefused,
	layers.Multiply:      lrpRefused,
	layers.Reduce:        lrpRefused,
	layers.Gather:        lrpRefused,
	layers.Merge:         lrpRefused,
	layers.LayerNorm:     lrpRefused,
	layers.PReLU:         lrpRefused,
	layers.Resize:        lrpRefused,
}

package nb

import (
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/report"
)

// Explore shows the interactive explorer of model m on images [N, H, W, C] (as the model
// takes them, before its own normalisation): click a channel tile, then hover or use the
// arrow keys on the large map to see how each value is computed. Viewers that run no
// scripts get the static overview of the first image instead.
func Explore(m *layers.Model, images nd.Array, opt report.ExplorerOptions) {
	f, err := report.Explorer(m, images, opt)
	Show(f, err)
}

package nb

import (
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/report"
)

// Diff shows the comparison of two models of one architecture (report.Diff) inline and
// returns its numbers: accuracy, the images whose answer changed, per-layer change.
func Diff(a, b *layers.Model, ds *data.Dataset, opt report.DiffOptions) *report.DiffResult {
	page, res, err := report.Diff(a, b, ds, opt)
	ShowPage(page, err)
	return res
}

package explain

import "github.com/convlens/convlens/layers"

// cascadeForTest exposes cascade to the external tests.
var CascadeForTest = cascade

// ImputeLinearForTest and PercentileForTest expose ROAD's imputation and percentile.
var ImputeLinearForTest = imputeLinear
var PercentileForTest = percentile

// LRPHasEntryForTest reports whether a kind is in the LRP behaviour table.
func LRPHasEntryForTest(k layers.Kind) bool { _, ok := lrpKinds[k]; return ok }

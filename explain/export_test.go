package explain

// cascadeForTest exposes cascade to the external tests.
var CascadeForTest = cascade

// ImputeLinearForTest and PercentileForTest expose ROAD's imputation and percentile.
var ImputeLinearForTest = imputeLinear
var PercentileForTest = percentile

package explain

// cascadeForTest exposes cascade to the external tests.
var CascadeForTest = cascade

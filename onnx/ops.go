package onnx

// converter turns one ONNX node (some of whose inputs are computed from the image) into
// convlens layers.
type converter func(imp *importer, n *Node) error

// converters is the table of ONNX ops convlens imports; the supported list is derived from
// it. Each converter lives in the ops_*.go file of its family. Ops that only shape
// arithmetic uses (Shape, Range, Equal...) fold at import and refuse computed inputs.
var converters = map[string]converter{
	// ops_conv.go
	"Conv": convConv, "ConvTranspose": convConvTranspose,
	// ops_pool.go
	"MaxPool": convPool, "AveragePool": convPool, "GlobalAveragePool": convGlobalPool, "GlobalMaxPool": convGlobalPool,
	// ops_norm.go
	"BatchNormalization": convBatchNorm, "LayerNormalization": convLayerNorm,
	// ops_activation.go
	"Relu": convActivation, "Sigmoid": convActivation, "Tanh": convActivation, "LeakyRelu": convActivation,
	"Clip": convActivation, "HardSigmoid": convActivation, "HardSwish": convActivation, "Gelu": convActivation,
	"Erf": convActivation, "Sqrt": convActivation, "Exp": convActivation, "Log": convActivation, "Neg": convActivation,
	"Abs": convActivation, "Reciprocal": convActivation, "Softplus": convActivation, "Elu": convActivation,
	"PRelu": convPRelu, "Identity": convIdentity, "Dropout": convIdentity, "Cast": convIdentity,
	// ops_arith.go
	"Add": convArith, "Sub": convArith, "Mul": convArith, "Div": convArith, "Pow": convArith,
	"Max": convArith, "Min": convArith, "Sum": convArith, "Mean": convArith, "Where": convWhere,
	// ops_shape.go
	"Reshape": convReshape, "Flatten": convReshape, "Squeeze": convReshape, "Unsqueeze": convReshape,
	"Transpose": convTranspose, "Concat": convConcat, "Split": convSplit, "Slice": convSlice,
	"Gather": convGather, "GatherND": convGatherND, "Expand": convExpand,
	// ops_reduce.go
	"ReduceMean": convReduce, "ReduceMax": convReduce, "ReduceMin": convReduce, "ReduceSum": convReduce,
	"ReduceL2": convReduce, "ReduceSumSquare": convReduce, "Softmax": convSoftmax, "LogSoftmax": convSoftmax,
	// ops_dense.go
	"Gemm": convDense, "MatMul": convDense,
	// ops_resize.go
	"Resize": convResize, "Upsample": convResize, "Pad": convPad,
	// fold.go: shape arithmetic on constants only
	"Shape": foldOnly, "Size": foldOnly, "Range": foldOnly, "ConstantOfShape": foldOnly, "Equal": foldOnly,
	"Less": foldOnly, "Greater": foldOnly, "LessOrEqual": foldOnly, "GreaterOrEqual": foldOnly, "Not": foldOnly,
	"And": foldOnly, "Or": foldOnly, "Floor": foldOnly, "Ceil": foldOnly, "Round": foldOnly, "Sign": foldOnly,
	"Mod": foldOnly, "Tile": foldOnly, "ReduceProd": foldOnly,
}

// foldOnly serves ops convlens evaluates on constants only.
func foldOnly(_ *importer, n *Node) error {
	return errorf("%s computes on a tensor from the image; convlens evaluates it on constants only (shape arithmetic)", quote(n.OpType))
}

package layers

// LayerSummary describes one layer's inputs, output shape, parameter count and cost per image.
type LayerSummary struct {
	Name     string   `json:"name"`
	Kind     Kind     `json:"kind"`
	Inputs   []string `json:"inputs"`
	OutShape []int    `json:"out_shape"`
	// Params counts trainable parameters; NonTrainable counts the rest (batch-norm moving statistics).
	Params       int    `json:"params"`
	NonTrainable int    `json:"non_trainable,omitempty"`
	FLOPs        int64  `json:"flops"`
	Activation   string `json:"activation,omitempty"`
}

// Summary is the per-layer table of a model, in topological order, and its totals.
type Summary struct {
	Model       string         `json:"model"`
	InputShape  []int          `json:"input_shape"`
	Layers      []LayerSummary `json:"layers"`
	Output      string         `json:"output"`
	TotalParams int            `json:"params_total"`
	// TotalFLOPs is the forward cost of one image.
	TotalFLOPs int64 `json:"flops_per_image"`
}

// Summarize computes the summary of a spec. FLOPs per image count a multiply-add as 2:
//
//	conv2d, dense: 2·(multiply-adds) + 1 per output (bias) + 1 per output if it has an activation
//	maxpool2d, avgpool2d: kernel² per output; globalavgpool: 1 per input value
//	batchnorm: 2 per value (scale and shift); activation layer: 1 per value; softmax: 3 per value
//	add: 1 per output per extra input (+1 per output with an activation)
//	flatten, dropout, concat, identity: 0
func (s *Spec) Summarize() (*Summary, error) {
	t, err := s.Topology()
	if err != nil {
		return nil, err
	}
	sum := &Summary{Model: s.Name, InputShape: []int{s.Height, s.Width, s.Chans}, Output: t.Output}
	for _, n := range t.Nodes {
		def := kinds[n.Kind].def
		ls := LayerSummary{Name: n.Name, Kind: n.Kind, Inputs: n.Inputs, OutShape: n.OutShape, Activation: string(n.Activation),
			FLOPs: def.flops(n.Layer, n.InShapes, n.OutShape)}
		for _, v := range n.variables() {
			if v.Trainable {
				ls.Params += prod(v.Shape)
			} else {
				ls.NonTrainable += prod(v.Shape)
			}
		}
		if n.HasActivation() {
			ls.FLOPs += int64(prod(n.OutShape))
		}
		sum.TotalParams += ls.Params
		sum.TotalFLOPs += ls.FLOPs
		sum.Layers = append(sum.Layers, ls)
	}
	return sum, nil
}

package layers

// LayerSummary describes one layer's output shape, parameter count and cost per image.
type LayerSummary struct {
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	OutShape []int  `json:"out_shape"`
	// Params counts trainable parameters; NonTrainable counts the rest (batch-norm moving statistics).
	Params       int    `json:"params"`
	NonTrainable int    `json:"non_trainable,omitempty"`
	FLOPs        int64  `json:"flops"`
	Activation   string `json:"activation,omitempty"`
}

// Summary is the per-layer table of a model and its totals.
type Summary struct {
	Model       string         `json:"model"`
	InputShape  []int          `json:"input_shape"`
	Layers      []LayerSummary `json:"layers"`
	TotalParams int            `json:"params_total"`
	// TotalFLOPs is the forward cost of one image.
	TotalFLOPs int64 `json:"flops_per_image"`
}

// Summarize computes the summary of a spec. FLOPs per image count a multiply-add as 2:
//
//	conv2d, dense: 2·(multiply-adds) + 1 per output (bias) + 1 per output if it has an activation
//	maxpool2d, avgpool2d: kernel² per output
//	batchnorm: 2 per value (scale and shift); activation layer: 1 per value
//	flatten, dropout: 0
func (s *Spec) Summarize() (*Summary, error) {
	shapes, err := s.Shapes()
	if err != nil {
		return nil, err
	}
	sum := &Summary{Model: s.Name, InputShape: []int{s.Height, s.Width, s.Chans}}
	in := sum.InputShape
	for i, l := range s.Layers {
		out := shapes[i]
		n := int64(prod(out))
		ls := LayerSummary{Name: l.Name, Kind: l.Kind, OutShape: out, Activation: string(l.Activation)}
		switch l.Kind {
		case Conv2D:
			fan := l.Kernel * l.Kernel * in[2]
			ls.Params = fan*l.Filters + l.Filters
			ls.FLOPs = 2*int64(fan)*n + n
		case Dense:
			ls.Params = in[0]*l.Units + l.Units
			ls.FLOPs = 2*int64(in[0])*n + n
		case MaxPool2D, AvgPool2D:
			ls.FLOPs = int64(l.Kernel*l.Kernel) * n
		case BatchNorm:
			c := out[len(out)-1]
			ls.Params, ls.NonTrainable = 2*c, 2*c
			ls.FLOPs = 2 * n
		case Activate:
			ls.FLOPs = n
		}
		if l.HasActivation() {
			ls.FLOPs += n
		}
		sum.TotalParams += ls.Params
		sum.TotalFLOPs += ls.FLOPs
		sum.Layers = append(sum.Layers, ls)
		in = out
	}
	return sum, nil
}

func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

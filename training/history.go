package training

import (
	"slices"

	"github.com/convlens/convlens/nd"
)

// History records a training run: per-step train loss and accuracy, held-out evaluations,
// and per-layer weight and gradient statistics every StatsEvery steps.
type History struct {
	Train []StepPoint     `json:"train"`
	Eval  []EvalPoint     `json:"eval"`
	Stats []StatsSnapshot `json:"stats"`
	// StepSeconds is the wall time of each step (the first includes compilation).
	StepSeconds []float64 `json:"step_seconds"`
}

// StepPoint is one training step's batch loss and accuracy.
type StepPoint struct {
	Step     int64   `json:"step"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
}

// EvalPoint is the loss and accuracy on held-out examples after a step.
type EvalPoint struct {
	Step     int64   `json:"step"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Examples int     `json:"examples"`
}

// StatsSnapshot holds the statistics of every trainable variable at one step.
type StatsSnapshot struct {
	Step int64      `json:"step"`
	Vars []VarStats `json:"vars"`
}

// VarStats summarises one variable and its gradient, both taken from the same training step
// (the weights as they entered the step).
type VarStats struct {
	Layer    string       `json:"layer"`
	Var      string       `json:"var"`
	Weights  nd.Stats     `json:"weights"`
	WeightsH nd.Histogram `json:"weights_hist"`
	Grads    nd.Stats     `json:"grads"`
	GradsH   nd.Histogram `json:"grads_hist"`
}

// Series returns train loss and accuracy, and held-out loss and accuracy, as named series.
func (h *History) Series() (loss, acc []nd.Series) {
	tl := nd.Series{Name: "train loss"}
	ta := nd.Series{Name: "train accuracy"}
	for _, p := range h.Train {
		tl.X, tl.Y = append(tl.X, float64(p.Step)), append(tl.Y, p.Loss)
		ta.X, ta.Y = append(ta.X, float64(p.Step)), append(ta.Y, p.Accuracy)
	}
	el := nd.Series{Name: "held-out loss"}
	ea := nd.Series{Name: "held-out accuracy"}
	for _, p := range h.Eval {
		el.X, el.Y = append(el.X, float64(p.Step)), append(el.Y, p.Loss)
		ea.X, ea.Y = append(ea.X, float64(p.Step)), append(ea.Y, p.Accuracy)
	}
	return []nd.Series{tl, el}, []nd.Series{ta, ea}
}

// TruncateAfter drops what was recorded after step (a history written just ahead of a
// checkpoint that did not land); nil-safe.
func (h *History) TruncateAfter(step int64) {
	if h == nil {
		return
	}
	keep := 0
	for keep < len(h.Train) && h.Train[keep].Step < step {
		keep++
	}
	h.Train = h.Train[:keep]
	if len(h.StepSeconds) > keep {
		h.StepSeconds = h.StepSeconds[:keep]
	}
	h.Eval = slices.DeleteFunc(h.Eval, func(e EvalPoint) bool { return e.Step > step })
	h.Stats = slices.DeleteFunc(h.Stats, func(s StatsSnapshot) bool { return s.Step >= step })
}

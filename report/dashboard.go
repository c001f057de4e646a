package report

import (
	"fmt"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
	"github.com/convlens/convlens/vizhtml"
)

// Dashboard renders the live training view: a status line, loss and accuracy curves,
// gradient flow, the first conv layer's weight distribution and gradient percentiles,
// and that layer's feature maps for fixed probe images ([P,H,W,C], may be empty).
func Dashboard(m *layers.Model, p *training.Progress, probe nd.Array) (vizhtml.Fragment, error) {
	if p == nil || p.History == nil {
		return vizhtml.Fragment{}, fmt.Errorf("dashboard: no progress")
	}
	h := p.History
	state := "training"
	if p.Done {
		state = "done"
	}
	out := vizhtml.Fragment{HTML: fmt.Sprintf(`<p><b>%s</b>: step %d of %d (epoch %d), loss %.4f, accuracy %.3f, %.0f images/s, %s elapsed</p>`,
		state, p.Step, p.TotalSteps, p.Epoch, p.Loss, p.Accuracy, p.ImagesPerSec, p.Elapsed.Round(1e8))}
	if len(h.Train) > 0 {
		curves := TrainingCurves(h)
		if curves.Err != nil {
			return out, curves.Err
		}
		out = vizhtml.Join(out, curves.Body)
	}
	if len(h.Stats) > 0 {
		flow := GradientFlow(h)
		if flow.Err != nil {
			return out, flow.Err
		}
		out = vizhtml.Join(out, flow.Body)
		first := firstConv(m.Spec)
		if first != "" {
			var w, g []vizhtml.HistogramAt
			for _, s := range h.Stats {
				for _, v := range s.Vars {
					if v.Layer == first && v.Var == layers.VarWeights {
						w = append(w, vizhtml.HistogramAt{Step: s.Step, Hist: v.WeightsH})
						g = append(g, vizhtml.HistogramAt{Step: s.Step, Hist: v.GradsH})
					}
				}
			}
			fw, err := vizhtml.Distributions(first+" weights", w, 30)
			if err != nil {
				return out, err
			}
			fg, err := vizhtml.PercentileBands(first+" gradients", g)
			if err != nil {
				return out, err
			}
			out = vizhtml.Join(out, fw, fg)
		}
	}
	if len(probe.Data) > 0 {
		first := firstConv(m.Spec)
		if first == "" {
			return out, nil
		}
		taps, err := m.Taps(probe, first)
		if err != nil {
			return out, err
		}
		for i := 0; i < probe.Shape[0]; i++ {
			f, err := vizhtml.FeatureMaps(probe.Sub(i), taps.Outputs[first].Sub(i), vizhtml.FeatureMapOptions{Title: fmt.Sprintf("%s on probe %d", first, i), TileSize: 56})
			if err != nil {
				return out, err
			}
			out = vizhtml.Join(out, f)
		}
	}
	return out, nil
}

func firstConv(s *layers.Spec) string {
	if convs := s.ConvLayers(); len(convs) > 0 {
		return convs[0]
	}
	return ""
}

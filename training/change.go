package training

import (
	"fmt"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
)

// LayerChange is how far one layer's weights moved from a reference checkpoint (usually
// step 0, the initial weights), one value per later checkpoint.
type LayerChange struct {
	Layer string
	Steps []int64
	// Relative is ‖W_t − W_ref‖ / ‖W_ref‖.
	Relative []float64
	// Correlation is the Pearson correlation of W_t with W_ref (1: the same pattern).
	Correlation []float64
}

// ChangeSince compares every weighted layer's weights (VarWeights) at each checkpoint of
// files with those of the checkpoint ref, in the model's layer order.
func ChangeSince(ref string, files []string, b Backend) ([]LayerChange, error) {
	base, err := Load(ref, b)
	if err != nil {
		return nil, err
	}
	t, err := base.Model.Spec.Topology()
	if err != nil {
		return nil, err
	}
	refWeights := map[string]nd.Array{}
	var out []LayerChange
	for _, n := range t.Nodes {
		w, err := base.Model.Variable(n.Name, layers.VarWeights)
		if err != nil {
			continue // a layer without weights
		}
		refWeights[n.Name] = w
		out = append(out, LayerChange{Layer: n.Name})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("model %q has no weighted layers", base.Model.Spec.Name)
	}
	for _, f := range files {
		l, err := Load(f, b)
		if err != nil {
			return nil, err
		}
		for i := range out {
			w, err := l.Model.Variable(out[i].Layer, layers.VarWeights)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			r := refWeights[out[i].Layer]
			rel, err := nd.RelativeChange(r.Data, w.Data)
			if err != nil {
				return nil, fmt.Errorf("%s, layer %s: %w", f, out[i].Layer, err)
			}
			corr, err := nd.Correlation(r.Data, w.Data)
			if err != nil {
				return nil, fmt.Errorf("%s, layer %s: %w", f, out[i].Layer, err)
			}
			out[i].Steps = append(out[i].Steps, l.Step)
			out[i].Relative = append(out[i].Relative, rel)
			out[i].Correlation = append(out[i].Correlation, corr)
		}
	}
	return out, nil
}

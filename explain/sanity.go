package explain

import (
	"fmt"
	"math"
	"sort"

	"github.com/convlens/convlens/nd"
)

// Spearman is the rank correlation of two equal-length samples (average ranks for ties).
func Spearman(a, b []float32) (float64, error) {
	if len(a) != len(b) || len(a) < 2 {
		return 0, fmt.Errorf("spearman: %d and %d values", len(a), len(b))
	}
	for _, v := range [][]float32{a, b} {
		if err := nd.CheckFinite("spearman", v); err != nil {
			return math.NaN(), err
		}
	}
	ra, rb := ranks(a), ranks(b)
	return pearson(ra, rb), nil
}

func ranks(v []float32) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return v[idx[i]] < v[idx[j]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0 // a constant map carries no ranking
	}
	return sxy / math.Sqrt(sxx*syy)
}

// MapSimilarity is the mean over images of the Spearman correlation between the absolute
// values of two sets of maps, as in Adebayo et al.
func MapSimilarity(a, b *Maps) (float64, error) {
	if len(a.Pixels.Data) != len(b.Pixels.Data) || len(a.Pixels.Shape) != 3 {
		return 0, fmt.Errorf("map similarity: shapes %v and %v", a.Pixels.Shape, b.Pixels.Shape)
	}
	n := a.Pixels.Shape[0]
	total := 0.0
	for i := 0; i < n; i++ {
		x, y := absAll(a.Image(i).Data), absAll(b.Image(i).Data)
		r, err := Spearman(x, y)
		if err != nil {
			return 0, err
		}
		total += r
	}
	return total / float64(n), nil
}

func absAll(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(math.Abs(float64(x)))
	}
	return out
}

// FlagThreshold: a method whose maps keep a rank correlation above this once every layer
// is randomised is flagged as insensitive to the model.
const FlagThreshold = 0.5

// SanityResult is one method's cascading model-parameter randomisation test.
type SanityResult struct {
	Method string
	// Steps names the cumulative randomisations: "logits", "logits+fc2", ... top layer first.
	Steps []string
	// Similarity[i] is the mean Spearman correlation between the original maps and the maps
	// after Steps[i].
	Similarity []float64
	// Flagged is set when the maps still correlate above FlagThreshold after randomising every layer.
	Flagged bool
}

// ModelRandomization runs the cascading model-parameter randomisation test of Adebayo et al.
// (NeurIPS 2018): re-initialise layers from the top down, one more at a time, and compare
// each method's maps with the original ones. Targets default to the original predictions
// and stay fixed across randomisations.
func ModelRandomization(ex *Explainer, methods []Method, images nd.Array, targets []int, seed int64) ([]SanityResult, error) {
	return Randomization{Seed: seed}.Run(ex, methods, images, targets)
}

// Randomization configures the cascading randomisation test.
type Randomization struct {
	Seed int64
	// MaxSteps bounds the maps computed per method (0: one step per layer with parameters).
	// A deep model then randomises its top layers one at a time and the rest in growing
	// blocks; the last step always has every layer randomised.
	MaxSteps int
}

// cascade returns the number of layers (from the top) randomised at each step.
func cascade(layers, maxSteps int) []int {
	if maxSteps <= 0 || layers <= maxSteps {
		out := make([]int, layers)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	var out []int
	for k := 1; k <= min(3, maxSteps-1); k++ {
		out = append(out, k)
	}
	// The rest grow geometrically from the last single layer to all of them.
	rest := maxSteps - len(out)
	from := float64(len(out))
	for i := 1; i <= rest; i++ {
		k := int(math.Round(from * math.Pow(float64(layers)/from, float64(i)/float64(rest))))
		if k > out[len(out)-1] {
			out = append(out, min(k, layers))
		}
	}
	if out[len(out)-1] != layers {
		out = append(out, layers)
	}
	return out
}

// Run runs the test.
func (r Randomization) Run(ex *Explainer, methods []Method, images nd.Array, targets []int) ([]SanityResult, error) {
	seed := r.Seed
	targets, err := ex.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	original := make([]*Maps, len(methods))
	for i, m := range methods {
		if original[i], err = m.Attribute(ex, images, targets); err != nil {
			return nil, fmt.Errorf("%s on the original model: %w", m.Name(), err)
		}
	}
	params := ex.Model.Spec.ParamLayers()
	randomized, err := ex.Model.Clone()
	if err != nil {
		return nil, err
	}
	rex := New(randomized)
	rex.MaxBatch = ex.MaxBatch
	results := make([]SanityResult, len(methods))
	for i, m := range methods {
		results[i].Method = m.Name()
	}
	step, done := "", 0
	for _, upto := range cascade(len(params), r.MaxSteps) {
		for ; done < upto; done++ {
			k := len(params) - 1 - done
			if err := randomized.Reinitialize(params[k], seed+int64(k)+1); err != nil {
				return nil, err
			}
			if step == "" {
				step = params[k]
			} else {
				step += "+" + params[k]
			}
		}
		if r.MaxSteps > 0 && len(params) > r.MaxSteps && upto > 3 {
			step = fmt.Sprintf("top %d layers (to %s)", upto, params[len(params)-upto])
		}
		for i, m := range methods {
			maps, err := m.Attribute(rex, images, targets)
			if err != nil {
				return nil, fmt.Errorf("%s after randomising %s: %w", m.Name(), step, err)
			}
			sim, err := MapSimilarity(original[i], maps)
			if err != nil {
				return nil, err
			}
			results[i].Steps = append(results[i].Steps, step)
			results[i].Similarity = append(results[i].Similarity, sim)
		}
	}
	for i := range results {
		s := results[i].Similarity
		results[i].Flagged = len(s) > 0 && s[len(s)-1] > FlagThreshold
	}
	return results, nil
}

// DataRandomization compares each method's maps on a model trained on the real labels with
// those on the same architecture trained on permuted labels (Adebayo et al.'s data
// randomisation test). It returns one mean Spearman correlation per method; high values
// mean the method ignores what the model learnt.
func DataRandomization(trained, randomLabels *Explainer, methods []Method, images nd.Array, targets []int) ([]float64, error) {
	if trained.Model.Spec.Name != randomLabels.Model.Spec.Name {
		return nil, fmt.Errorf("data randomisation: models %q and %q differ", trained.Model.Spec.Name, randomLabels.Model.Spec.Name)
	}
	targets, err := trained.prepare(images, targets)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(methods))
	for i, m := range methods {
		a, err := m.Attribute(trained, images, targets)
		if err != nil {
			return nil, err
		}
		b, err := m.Attribute(randomLabels, images, targets)
		if err != nil {
			return nil, err
		}
		if out[i], err = MapSimilarity(a, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

package training_test

import (
	"math"
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
)

// ChangeSince against the weights read from each checkpoint and compared by hand: zero
// change and correlation 1 at the reference itself, the norms' ratio later.
func TestChangeSinceMatchesTheCheckpoints(t *testing.T) {
	train, test := tinyData(t)
	dir := t.TempDir()
	b := testutil.Go(t)
	m, _ := layers.New(tinySpec(), b, 1)
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 6, Batch: 8, LearningRate: 0.05,
		StatsEvery: -1, EvalEvery: -1, CheckpointDir: dir, CheckpointSteps: []int64{0, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	files, _ := training.ListCheckpoints(dir)
	changes, err := training.ChangeSince(files[0], files, b)
	if err != nil {
		t.Fatal(err)
	}
	var weighted []string
	topo, _ := m.Spec.Topology()
	for _, n := range topo.Nodes {
		if _, err := m.Variable(n.Name, layers.VarWeights); err == nil {
			weighted = append(weighted, n.Name)
		}
	}
	if len(changes) != len(weighted) || len(weighted) < 2 {
		t.Fatalf("%d layers compared, want %v", len(changes), weighted)
	}
	first, _ := training.Load(files[0], b)
	for i, c := range changes {
		if c.Layer != weighted[i] || len(c.Steps) != 3 || c.Steps[0] != 0 || c.Steps[2] != 6 {
			t.Fatalf("layer %d: %s at steps %v", i, c.Layer, c.Steps)
		}
		if c.Relative[0] != 0 || math.Abs(c.Correlation[0]-1) > 1e-12 {
			t.Errorf("%s against itself: change %v, correlation %v", c.Layer, c.Relative[0], c.Correlation[0])
		}
		w0, _ := first.Model.Variable(c.Layer, layers.VarWeights)
		last, _ := training.Load(files[2], b)
		w, _ := last.Model.Variable(c.Layer, layers.VarWeights)
		var d, n float64
		for k := range w.Data {
			d += math.Pow(float64(w.Data[k])-float64(w0.Data[k]), 2)
			n += math.Pow(float64(w0.Data[k]), 2)
		}
		if want := math.Sqrt(d / n); math.Abs(c.Relative[2]-want) > 1e-9 || want == 0 {
			t.Errorf("%s: relative change %v, by hand %v", c.Layer, c.Relative[2], want)
		}
		if c.Correlation[2] >= 1 || c.Correlation[2] < -1 {
			t.Errorf("%s: correlation %v after training", c.Layer, c.Correlation[2])
		}
	}
	if _, err := training.ChangeSince(dir+"/missing.bin", files, b); err == nil {
		t.Error("a missing reference is accepted")
	}
}

func TestCorrelationAndRelativeChange(t *testing.T) {
	a := []float32{1, 2, 3, 4}
	if r, err := nd.Correlation(a, []float32{3, 5, 7, 9}); err != nil || math.Abs(r-1) > 1e-12 {
		t.Errorf("a line: %v, %v", r, err)
	}
	if r, err := nd.Correlation(a, []float32{4, 3, 2, 1}); err != nil || math.Abs(r+1) > 1e-12 {
		t.Errorf("reversed: %v, %v", r, err)
	}
	if r, err := nd.Correlation(a, []float32{1, -1, -1, 1}); err != nil || math.Abs(r) > 1e-12 {
		t.Errorf("unrelated: %v, %v", r, err)
	}
	if c, err := nd.RelativeChange([]float32{3, 4}, []float32{3, 4 + 5}); err != nil || math.Abs(c-1) > 1e-12 {
		t.Errorf("moved by its own length: %v, %v", c, err)
	}
	for _, bad := range [][2][]float32{{{1, 1}, {1, 2}}, {{1, 2}, {1}}, {{1, float32(math.NaN())}, {1, 2}}} {
		if _, err := nd.Correlation(bad[0], bad[1]); err == nil {
			t.Errorf("correlation of %v and %v accepted", bad[0], bad[1])
		}
	}
	if _, err := nd.RelativeChange([]float32{0, 0}, []float32{1, 1}); err == nil {
		t.Error("change from zero accepted")
	}
	d, err := nd.Difference(nd.Array{Shape: []int{2}, Data: []float32{1, 2}}, nd.Array{Shape: []int{2}, Data: []float32{4, 1}})
	if err != nil || d.Data[0] != 3 || d.Data[1] != -1 {
		t.Errorf("difference %v, %v", d, err)
	}
	if _, err := nd.Difference(nd.Array{Shape: []int{2}, Data: []float32{1, 2}}, nd.Array{Shape: []int{1, 2}, Data: []float32{4, 1}}); err == nil {
		t.Error("difference of two shapes accepted")
	}
}

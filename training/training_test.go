package training_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/training"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func synthetic(t *testing.T) (*data.Dataset, *data.Dataset) {
	t.Helper()
	train, err := data.Synthetic(512, 28, 28, 1, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.Synthetic(200, 28, 28, 1, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func lenet(t *testing.T, b *backend.Backend, train *data.Dataset) *layers.Model {
	t.Helper()
	spec := layers.LeNet()
	nz := train.ComputeNormalization()
	spec.InputMean, spec.InputStd = nz.Mean, nz.Std
	m, err := layers.New(spec, b, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The same seeded LeNet run gives the same losses on XLA and SimpleGo.
func TestLeNetTrainsAlikeOnBothBackends(t *testing.T) {
	train, test := synthetic(t)
	cfg := training.Config{Steps: 20, Batch: 32, Seed: 3, StatsEvery: -1, EvalEvery: -1}
	var runs [][]training.StepPoint
	for _, b := range []*backend.Backend{testutil.XLA(t), testutil.Go(t)} {
		tr, err := training.NewTrainer(lenet(t, b, train), train, test, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, tr.History.Train)
	}
	xla, gob := runs[0], runs[1]
	const tol = 1e-3
	for i := range xla {
		if d := math.Abs(xla[i].Loss - gob[i].Loss); d > tol {
			t.Errorf("step %d: loss xla %.6f, go %.6f (|diff| %.2g > %g)", i, xla[i].Loss, gob[i].Loss, d, tol)
		}
	}
	first, last := xla[0].Loss, xla[len(xla)-1].Loss
	if !(last < first*0.7) {
		t.Errorf("loss did not fall: %.4f → %.4f", first, last)
	}
	t.Logf("step 19 loss: xla %.6f go %.6f", xla[19].Loss, gob[19].Loss)
}

// Statistics come from the training step: the weights recorded at step 0 are the initial
// weights, the recorded gradient norm is non-zero, and snapshots land every StatsEvery steps.
func TestStatisticsComeFromTheStep(t *testing.T) {
	train, test := synthetic(t)
	b := testutil.Go(t)
	m := lenet(t, b, train)
	w0, _ := tensors.CopyFlatData[float32](m.Ctx.GetVariableByScopeAndName(layers.Scope("conv1"), layers.VarWeights).MustValue())
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 7, Batch: 16, StatsEvery: 3, EvalEvery: 5, EvalExamples: 64})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run()
	if err != nil {
		t.Fatal(err)
	}
	h := tr.History
	var steps []int64
	for _, s := range h.Stats {
		steps = append(steps, s.Step)
	}
	if len(steps) != 3 || steps[0] != 0 || steps[1] != 3 || steps[2] != 6 {
		t.Fatalf("stats at steps %v, want [0 3 6]", steps)
	}
	var conv1 *training.VarStats
	for i, v := range h.Stats[0].Vars {
		if v.Layer == "conv1" && v.Var == layers.VarWeights {
			conv1 = &h.Stats[0].Vars[i]
		}
	}
	if conv1 == nil {
		t.Fatal("no conv1/weights statistics")
	}
	var sumSq float64
	mn := math.Inf(1)
	for _, v := range w0 {
		sumSq += float64(v) * float64(v)
		mn = math.Min(mn, float64(v))
	}
	if math.Abs(conv1.Weights.Norm-math.Sqrt(sumSq)) > 1e-5 || conv1.Weights.Min != mn {
		t.Errorf("step-0 weight stats norm %v min %v, initial weights have %v %v", conv1.Weights.Norm, conv1.Weights.Min, math.Sqrt(sumSq), mn)
	}
	if !(conv1.Grads.Norm > 0) {
		t.Errorf("gradient norm %v", conv1.Grads.Norm)
	}
	total := 0
	for _, c := range conv1.WeightsH.Counts {
		total += c
	}
	if total != len(w0) {
		t.Errorf("histogram counts %d values, weights have %d", total, len(w0))
	}
	if len(h.Train) != 7 || len(h.Eval) != 2 || h.Eval[0].Step != 5 || h.Eval[1].Step != 7 {
		t.Errorf("history: %d train points, eval %+v", len(h.Train), h.Eval)
	}
	if res.Steps != 7 || res.TestAccuracy < 0 || res.TestAccuracy > 1 {
		t.Errorf("result %+v", res)
	}
}

// A run stopped and resumed from its checkpoint ends with the same weights as one that
// never stopped; the loaded model predicts like the trained one.
func TestCheckpointResumeIsExact(t *testing.T) {
	train, test := synthetic(t)
	b := testutil.Go(t)
	cfg := training.Config{Steps: 6, Batch: 16, Seed: 5, StatsEvery: -1, EvalEvery: -1}

	straight, err := training.NewTrainer(lenet(t, b, train), train, test, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := straight.Run(); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	half := cfg
	half.CheckpointDir = dir
	half.CallbackEvery = 1
	half.OnProgress = func(p *training.Progress) error { // interrupted after step 3
		if p.Step == 3 {
			return training.ErrStop
		}
		return nil
	}
	first, err := training.NewTrainer(lenet(t, b, train), train, test, half)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Run(); err != nil {
		t.Fatal(err)
	}
	loaded, err := training.Load(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Step != 3 || loaded.History == nil || len(loaded.History.Train) != 3 {
		t.Fatalf("loaded step %d, history %v", loaded.Step, loaded.History)
	}
	rest := cfg
	rest.CheckpointDir = dir
	second, err := training.NewTrainer(loaded.Model, train, test, rest)
	if err != nil {
		t.Fatal(err)
	}
	second.History = loaded.History
	if _, err := second.Run(); err != nil {
		t.Fatal(err)
	}
	for _, layer := range []string{"conv1", "fc1", "logits"} {
		a, _ := tensors.CopyFlatData[float32](straight.Model.Ctx.GetVariableByScopeAndName(layers.Scope(layer), layers.VarWeights).MustValue())
		c, _ := tensors.CopyFlatData[float32](second.Model.Ctx.GetVariableByScopeAndName(layers.Scope(layer), layers.VarWeights).MustValue())
		if d := testutil.MaxRelDiff(a, c); d > 1e-6 {
			t.Errorf("%s weights differ by %g after resume", layer, d)
		}
	}
	if n := len(second.History.Train); n != 6 {
		t.Errorf("resumed history has %d steps, want 6", n)
	}
	list, _ := training.ListCheckpoints(dir)
	if len(list) != 2 {
		t.Errorf("checkpoints %v, want 2 (steps 3 and 6)", list)
	}
	images := testutil.RandomArray(1, 0, 1, 4, 28, 28, 1)
	reloaded, err := training.Load(dir, testutil.Go(t))
	if err != nil {
		t.Fatal(err)
	}
	l1, _ := second.Model.Logits(images)
	l2, _ := reloaded.Model.Logits(images)
	if d := testutil.MaxRelDiff(l1.Data, l2.Data); d != 0 {
		t.Errorf("reloaded model logits differ by %g", d)
	}
}

func TestCorruptOrMissingCheckpointsGiveClearErrors(t *testing.T) {
	train, test := synthetic(t)
	b := testutil.Go(t)
	dir := t.TempDir()
	tr, err := training.NewTrainer(lenet(t, b, train), train, test, training.Config{Steps: 1, Batch: 8, StatsEvery: -1, EvalEvery: -1, CheckpointDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	path, err := training.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)

	expect := func(what, want string) {
		t.Helper()
		_, err := training.Load(dir, b)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", what, err, want)
		}
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	os.WriteFile(path, flipped, 0o644)
	expect("flipped byte", "corrupt")
	os.WriteFile(path, good[:len(good)/3], 0o644)
	expect("truncated", "corrupt")
	os.WriteFile(path, []byte("hello"), 0o644)
	expect("not a checkpoint", "corrupt")
	os.WriteFile(path, good, 0o644)
	if _, err := training.Load(dir, b); err != nil {
		t.Fatalf("restored file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "model.json"), []byte("{not json"), 0o644)
	expect("corrupt model.json", "corrupt")
	os.Remove(path)
	os.Remove(filepath.Join(dir, "model.json"))
	expect("missing model.json", "model.json")

	empty := t.TempDir()
	if err := training.WriteMeta(empty, tr.Meta); err != nil {
		t.Fatal(err)
	}
	if _, err := training.Load(empty, b); !errors.Is(err, training.ErrNoCheckpoint) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := training.Load(filepath.Join(empty, "nope"), b); err == nil {
		t.Error("missing dir: no error")
	}
}

func TestBadTrainingConfigs(t *testing.T) {
	train, test := synthetic(t)
	m := lenet(t, testutil.Go(t), train)
	rgb, _ := data.Synthetic(10, 32, 32, 3, 10, 1)
	for name, c := range map[string]struct {
		cfg   training.Config
		train *data.Dataset
	}{
		"batch too big":    {training.Config{Batch: 10000}, train},
		"negative steps":   {training.Config{Steps: -1}, train},
		"bad schedule":     {training.Config{Schedule: "wavy"}, train},
		"wrong image size": {training.Config{}, rgb},
	} {
		if _, err := training.NewTrainer(m, c.train, test, c.cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A learning rate that makes the loss diverge stops with an error, not NaN results.
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 30, Batch: 32, LearningRate: 1e30, StatsEvery: -1, EvalEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(); err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Errorf("divergence: %v", err)
	}
}

// A model with batch norm and dropout trains on both backends: the loss falls, batch-norm
// moving statistics move away from their initial values, and inference is deterministic
// (dropout off, moving statistics used).
func TestBatchNormAndDropoutTrainOnBothBackends(t *testing.T) {
	train, test := synthetic(t)
	for bname, b := range testutil.Both(t) {
		spec := layers.NewSpec("bn-dropout", 28, 28, 1, 10).
			Conv("conv", 8, 3, layers.WithActivation(layers.ReLU)).
			BatchNorm("bn").
			MaxPool("pool", 2).
			Flatten("flatten").
			Dropout("drop", 0.3).
			Dense("logits", 10)
		m, err := layers.New(spec, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 30, Batch: 32, StatsEvery: -1, EvalEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(); err != nil {
			t.Fatalf("%s: %v", bname, err)
		}
		h := tr.History.Train
		first, last := (h[0].Loss+h[1].Loss)/2, (h[28].Loss+h[29].Loss)/2
		if !(last < first) {
			t.Errorf("%s: loss %.3f → %.3f", bname, first, last)
		}
		mean, err := m.Variable("bn", layers.VarMovingMean)
		if err != nil {
			t.Fatal(err)
		}
		moved := false
		for _, v := range mean.Data {
			moved = moved || v != 0
		}
		if !moved {
			t.Errorf("%s: batch-norm moving mean never updated", bname)
		}
		images := testutil.RandomArray(1, 0, 1, 4, 28, 28, 1)
		a, _ := m.Logits(images)
		c, _ := m.Logits(images)
		if d := testutil.MaxRelDiff(a.Data, c.Data); d != 0 {
			t.Errorf("%s: inference not deterministic (%g)", bname, d)
		}
	}
}

// LoadOrTrain trains once and then loads, deriving the target step count like the trainer
// does (the default batch of 64 included).
func TestLoadOrTrainTrainsOnceThenLoads(t *testing.T) {
	train, test := synthetic(t)
	b := testutil.Go(t)
	cfg := training.Config{Epochs: 1, StatsEvery: -1, EvalEvery: -1, CheckpointDir: t.TempDir()}
	if got := cfg.TotalSteps(train.N); got != int64(train.N/64) {
		t.Fatalf("TotalSteps %d, want %d", got, train.N/64)
	}
	var log strings.Builder
	first, err := training.LoadOrTrain(layers.LeNet(), b, train, test, cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	second, err := training.LoadOrTrain(layers.LeNet(), b, train, test, cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if first.Step != int64(train.N/64) || second.Step != first.Step || !strings.Contains(log.String(), "trained") || !strings.Contains(log.String(), "loaded") {
		t.Errorf("steps %d/%d, log %q", first.Step, second.Step, log.String())
	}
}

// The seeded ResNet preset (skip connections, batch norm, global pooling) trains alike on
// XLA and SimpleGo on colour images, and its per-channel normalisation and class names
// survive a checkpoint round trip with identical logits.
func TestResNetTrainsAlikeOnBothBackendsAndRoundTrips(t *testing.T) {
	train, err := data.Synthetic(128, 16, 16, 3, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	test, err := data.Synthetic(32, 16, 16, 3, 3, 6)
	if err != nil {
		t.Fatal(err)
	}
	nz := train.ComputeNormalization()
	if len(nz.Mean) != 3 {
		t.Fatalf("normalisation has %d channels", len(nz.Mean))
	}
	cfg := training.Config{Steps: 12, Batch: 16, Seed: 4, StatsEvery: 5, EvalEvery: -1}
	var runs [][]training.StepPoint
	for _, b := range []*backend.Backend{testutil.XLA(t), testutil.Go(t)} {
		spec := layers.ResNet(16, 16, 3, 3)
		spec.InputMean, spec.InputStd, spec.ClassNames = nz.Mean, nz.Std, train.Classes
		m, err := layers.New(spec, b, 11)
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.CheckpointDir = t.TempDir()
		tr, err := training.NewTrainer(m, train, test, c)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Run()
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, tr.History.Train)
		loaded, err := training.Load(c.CheckpointDir, b)
		if err != nil {
			t.Fatal(err)
		}
		if got := loaded.Model.Spec; !slices.Equal(got.InputStd, spec.InputStd) || !slices.Equal(got.InputMean, spec.InputMean) || !slices.Equal(got.ClassNames, train.Classes) {
			t.Errorf("checkpoint spec normalisation %v/%v classes %v, want %v/%v %v", got.InputMean, got.InputStd, got.ClassNames, spec.InputMean, spec.InputStd, train.Classes)
		}
		images := nd.Array{Shape: []int{8, 16, 16, 3}, Data: test.Images[:8*16*16*3]}
		want, err := m.Logits(images)
		if err != nil {
			t.Fatal(err)
		}
		got, err := loaded.Model.Logits(images)
		if err != nil {
			t.Fatal(err)
		}
		if d := testutil.MaxRelDiff(want.Data, got.Data); d != 0 {
			t.Errorf("%s: reloaded logits differ by %g", b, d)
		}
		if res.Steps != 12 || len(tr.History.Stats) == 0 {
			t.Errorf("%s: %d steps, %d stats snapshots", b, res.Steps, len(tr.History.Stats))
		}
	}
	xla, gob := runs[0], runs[1]
	for i := range xla {
		if d := math.Abs(xla[i].Loss - gob[i].Loss); d > 2e-3*math.Max(1, xla[i].Loss) {
			t.Errorf("step %d: loss xla %.6f, go %.6f", i, xla[i].Loss, gob[i].Loss)
		}
	}
	t.Logf("losses xla %.5f → %.5f, go %.5f → %.5f", xla[0].Loss, xla[len(xla)-1].Loss, gob[0].Loss, gob[len(gob)-1].Loss)
}

// CheckpointSteps adds checkpoints at chosen steps; step 0 holds the initial weights.
func TestCheckpointSteps(t *testing.T) {
	train, test := tinyData(t)
	dir := t.TempDir()
	m, _ := layers.New(tinySpec(), testutil.Go(t), 1)
	initial, _ := m.Variable("conv", layers.VarWeights)
	initial.Data = slices.Clone(initial.Data)
	tr, err := training.NewTrainer(m, train, test, training.Config{Steps: 6, Batch: 8, StatsEvery: -1, EvalEvery: -1, CheckpointDir: dir, CheckpointSteps: []int64{0, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	files, _ := training.ListCheckpoints(dir)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := []string{"ckpt-00000000.bin", "ckpt-00000003.bin", "ckpt-00000006.bin"}; !slices.Equal(names, want) {
		t.Fatalf("checkpoints %v, want %v", names, want)
	}
	l, err := training.Load(files[0], testutil.Go(t))
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := l.Model.Variable("conv", layers.VarWeights); l.Step != 0 || !slices.Equal(w.Data, initial.Data) {
		t.Errorf("step-0 checkpoint: step %d, weights equal to the initial ones: %v", l.Step, slices.Equal(w.Data, initial.Data))
	}
}

// Package training trains convlens models with Adam on any backend, recording per-step
// loss and accuracy, held-out evaluations and per-layer weight and gradient statistics
// taken from the training step itself, with checkpoints, resume and progress callbacks.
package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Backend is the opened backend a model runs on.
type Backend = *backend.Backend

// Config sets up a training run. Zero values take the defaults noted.
type Config struct {
	// Steps is the number of training steps; if 0, Epochs passes over the data (default 1 epoch).
	Steps  int `json:"steps,omitempty"`
	Epochs int `json:"epochs,omitempty"`
	// Batch is the batch size (default 64).
	Batch int `json:"batch"`
	// LearningRate for Adam (default 2e-3).
	LearningRate float64 `json:"learning_rate"`
	// Schedule of the learning rate: "cosine" (default: decays to 5% over the run) or "constant".
	Schedule string `json:"schedule"`
	Seed     int64  `json:"seed"`
	// StatsEvery records weight and gradient statistics every that many steps (default 50; < 0 never).
	StatsEvery int `json:"stats_every"`
	// StatsBins is the number of histogram bins (default 30).
	StatsBins int `json:"stats_bins"`
	// EvalEvery evaluates on held-out examples every that many steps (default: 20 times per run; < 0 never).
	EvalEvery int `json:"eval_every"`
	// EvalExamples is how many held-out examples periodic evaluations use (default 1000).
	EvalExamples int `json:"eval_examples"`
	// CheckpointDir, if set, receives a checkpoint at the end of every epoch and of the run.
	CheckpointDir string `json:"-"`
	// CheckpointEvery adds checkpoints every that many steps (default 0: epochs only).
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
	// CheckpointSteps adds checkpoints after these steps (0: the initial weights, before
	// any training), e.g. a time-lapse's early, dense ones.
	CheckpointSteps []int64 `json:"checkpoint_steps,omitempty"`
	// KeepCheckpoints keeps only the newest n checkpoints (default 0: keep all).
	KeepCheckpoints int `json:"keep_checkpoints,omitempty"`
	// Devices trains data-parallel over that many devices of the backend (0 or 1: one;
	// AllDevices: every one; AutoDevices: as many XLA CPU devices as keep each shard
	// big enough to gain, see AutoDevices): each batch is split on its first axis, weights are
	// replicated, and XLA's sharding propagation (GoMLX AutoSharding) all-reduces the
	// gradients and the batch-norm statistics. Batch must divide by it.
	Devices int `json:"devices,omitempty"`

	// Progress receives a one-line progress bar (nil: none).
	Progress io.Writer `json:"-"`
	// OnProgress is called every CallbackEvery steps and at the end; returning ErrStop ends
	// the run early (after a checkpoint, when CheckpointDir is set), any other error stops
	// training and is returned.
	OnProgress    func(*Progress) error `json:"-"`
	CallbackEvery int                   `json:"-"`
}

func (c *Config) setDefaults() {
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LearningRate == 0 {
		c.LearningRate = 2e-3
	}
	if c.Schedule == "" {
		c.Schedule = "cosine"
	}
	if c.StatsEvery == 0 {
		c.StatsEvery = 50
	}
	if c.StatsBins == 0 {
		c.StatsBins = 30
	}
	if c.EvalExamples == 0 {
		c.EvalExamples = 1000
	}
	if c.CallbackEvery == 0 {
		c.CallbackEvery = 10
	}
}

// Progress is what callbacks see; History must be treated as read-only.
type Progress struct {
	Step, TotalSteps int64
	Epoch            int
	Loss, Accuracy   float64
	ImagesPerSec     float64
	Elapsed          time.Duration
	Done             bool
	History          *History
}

// AllDevices asks for every device of the backend.
const AllDevices = -1

// AutoDevices splits a step over the XLA CPU plugin's devices (which share the cores)
// when each shard keeps at least MinImagesPerDevice images. On two cores, four 64-image
// shards of TinyVGG ran 1.6× faster than one 256-image step and ResNet 1.4× faster: XLA
// CPU leaves the cores partly idle in one large step, concurrent shards keep both busy
// (docs/PERFORMANCE.md). Other backends, and smaller batches, run on one device.
const AutoDevices = -2

// MinImagesPerDevice is the smallest shard AutoDevices makes: LeNet, TinyVGG and the
// ResNet preset all ran slower in 32-image shards (the all-reduces cost more than the
// split saves; ResNet gained in them only before Model.StoreConvInputs).
const MinImagesPerDevice = 64

// ErrStop, returned by an OnProgress callback, ends training early without an error.
var ErrStop = errors.New("stop training")

// Result summarises a finished run.
type Result struct {
	Steps              int64
	TestLoss           float64
	TestAccuracy       float64
	FinalTrainLoss     float64 // mean over the last 50 steps
	ImagesPerSecMedian float64 // batch / median step time, first step (compilation) excluded
	WallSeconds        float64 // training loop, excluding the final full evaluation
	Checkpoint         string
	Stopped            bool // ended early by ErrStop
}

// Trainer trains one model on one dataset.
type Trainer struct {
	Model   *layers.Model
	Config  Config
	History *History
	Train   *data.Dataset
	HeldOut *data.Dataset
	Meta    *Meta
	step    int64

	opt       optimizers.Interface
	mesh      *deviceMesh // nil: one device
	stepExec  *context.Exec
	statsExec *context.Exec
	evalExec  *context.Exec
	statVars  []*context.Variable
}

// NewTrainer checks that the datasets fit the model and prepares the optimizer.
func NewTrainer(m *layers.Model, train, heldOut *data.Dataset, cfg Config) (*Trainer, error) {
	cfg.setDefaults()
	m.Backend.KeepHeap()
	s := m.Spec
	for _, ds := range []*data.Dataset{train, heldOut} {
		if ds == nil {
			return nil, errors.New("training: nil dataset")
		}
		if err := ds.Validate(); err != nil {
			return nil, err
		}
		if ds.H != s.Height || ds.W != s.Width || ds.C != s.Chans {
			return nil, fmt.Errorf("dataset %q has %dx%dx%d images, model %q wants %dx%dx%d", ds.Name, ds.H, ds.W, ds.C, s.Name, s.Height, s.Width, s.Chans)
		}
		if len(ds.Classes) > s.Classes {
			return nil, fmt.Errorf("dataset %q has %d classes, model %q outputs %d", ds.Name, len(ds.Classes), s.Name, s.Classes)
		}
	}
	if cfg.Batch < 1 || cfg.Batch > train.N {
		return nil, fmt.Errorf("batch %d outside [1, %d examples]", cfg.Batch, train.N)
	}
	if cfg.Schedule != "cosine" && cfg.Schedule != "constant" {
		return nil, fmt.Errorf("learning-rate schedule %q (want cosine or constant)", cfg.Schedule)
	}
	if cfg.Steps < 0 || cfg.Epochs < 0 || !(cfg.LearningRate > 0) || cfg.StatsBins < 1 {
		return nil, fmt.Errorf("training config: steps %d, epochs %d, learning rate %v, stats bins %d", cfg.Steps, cfg.Epochs, cfg.LearningRate, cfg.StatsBins)
	}
	mesh, err := newDeviceMesh(m, cfg)
	if err != nil {
		return nil, err
	}
	t := &Trainer{Model: m, Config: cfg, History: &History{}, Train: train, HeldOut: heldOut, mesh: mesh}
	t.opt = optimizers.Adam().LearningRate(cfg.LearningRate).Done()
	t.step = optimizers.GetGlobalStep(m.Ctx)
	t.Meta = &Meta{Spec: s, Dataset: train.Name, Classes: train.Classes, Config: cfg}
	return t, nil
}

// Step is the global step (number of optimizer updates so far).
func (t *Trainer) Step() int64 { return t.step }

func (t *Trainer) totalSteps() int64 { return t.Config.TotalSteps(t.Train.N) }

// TotalSteps is the number of steps the configuration trains on a dataset of n examples:
// Steps, else Epochs (at least one) full passes of Batch-sized batches, defaults applied.
func (c Config) TotalSteps(n int) int64 {
	c.setDefaults()
	if c.Steps > 0 {
		return int64(c.Steps)
	}
	return int64(max(c.Epochs, 1) * (n / c.Batch))
}

func (t *Trainer) trainGraph(withStats bool) func(*context.Context, *graph.Node, *graph.Node) []*graph.Node {
	return func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
		g := images.Graph()
		f := t.Model.Build(ctx, images, true)
		loss := graph.ReduceAllMean(layers.CrossEntropyPerExample(f.Logits, labels))
		acc := graph.ReduceAllMean(layers.Correct(f.Logits, labels))
		var vars []*context.Variable
		var values []*graph.Node
		for v := range ctx.IterVariables() {
			if v.Trainable && v.InUseByGraph(g) {
				vars = append(vars, v)
				values = append(values, v.ValueGraph(g))
			}
		}
		grads := graph.Gradient(loss, values...)
		finite := graph.IsFinite(loss)
		for _, gr := range grads {
			finite = graph.LogicalAnd(finite, graph.LogicalAll(graph.IsFinite(gr)))
		}
		update := make([]*graph.Node, len(grads))
		for i, gr := range grads {
			update[i] = graph.Where(finite, gr, graph.ZerosLike(gr))
		}
		t.guardedLearningRate(ctx, g, loss.DType(), finite)
		t.opt.(gomlxtrain.OptimizeWithGradients).UpdateGraphWithGradients(ctx, update, loss.DType())
		out := []*graph.Node{loss, acc}
		if withStats {
			t.statVars = vars
			out = append(out, values...)
			out = append(out, grads...)
		}
		return out
	}
}

// guardedLearningRate sets Adam's learning-rate variable for the current step (the
// schedule), or to 0 when the loss or any gradient is not finite: with zeroed gradients
// such a step leaves the weights as they were (Adam's moments only decay).
func (t *Trainer) guardedLearningRate(ctx *context.Context, g *graph.Graph, dtype dtypes.DType, finite *graph.Node) {
	lr := graph.Scalar(g, dtype, t.Config.LearningRate)
	if t.Config.Schedule == "cosine" {
		const floor = 0.05
		step := graph.ConvertDType(optimizers.GetGlobalStepVar(ctx).ValueGraph(g), dtype)
		frac := graph.MinScalar(graph.DivScalar(step, float64(max(t.totalSteps(), 1))), 1.0)
		cos := graph.MulScalar(graph.OnePlus(graph.Cos(graph.MulScalar(frac, math.Pi))), 0.5*(1-floor))
		lr = graph.MulScalar(graph.AddScalar(cos, floor), t.Config.LearningRate)
	}
	lr = graph.Where(finite, lr, graph.ZerosLike(lr))
	optimizers.LearningRateVar(ctx, dtype, t.Config.LearningRate).SetValueGraph(lr)
}

func (t *Trainer) evalGraph(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
	f := t.Model.Build(ctx, images, false)
	return []*graph.Node{layers.CrossEntropyPerExample(f.Logits, labels), layers.Correct(f.Logits, labels)}
}

func (t *Trainer) ensureExecs() error {
	if t.stepExec != nil {
		return nil
	}
	var err error
	b, ctx := t.Model.Backend, t.Model.Ctx
	if t.stepExec, err = context.NewExec(b, ctx, t.trainGraph(false)); err != nil {
		return err
	}
	if t.statsExec, err = context.NewExec(b, ctx, t.trainGraph(true)); err != nil {
		return err
	}
	if t.evalExec, err = context.NewExec(b, ctx, t.evalGraph); err != nil {
		return err
	}
	if t.mesh != nil {
		for _, e := range []*context.Exec{t.stepExec, t.statsExec, t.evalExec} {
			if err := t.mesh.distribute(e, e == t.evalExec); err != nil {
				return err
			}
		}
	}
	return nil
}

// Run trains until the configured number of steps, then evaluates on the whole held-out set.
func (t *Trainer) Run() (*Result, error) {
	var res *Result
	err := layers.Safe("training", func() error {
		var err error
		res, err = t.run()
		return err
	})
	if t.Config.Progress != nil {
		fmt.Fprintln(t.Config.Progress)
	}
	return res, err
}

func (t *Trainer) run() (*Result, error) {
	cfg := t.Config
	if cfg.CheckpointDir != "" {
		unlock, err := lockDir(cfg.CheckpointDir)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	if err := t.ensureExecs(); err != nil {
		return nil, err
	}
	if cfg.CheckpointDir != "" {
		if err := WriteMeta(cfg.CheckpointDir, t.Meta); err != nil {
			return nil, err
		}
	}
	total := t.totalSteps()
	batches, err := data.NewBatches(t.Train, cfg.Batch, uint64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	batches.SeekStep(t.step)
	stepsPerEpoch := int64(batches.StepsPerEpoch())
	evalEvery := int64(cfg.EvalEvery)
	if evalEvery == 0 {
		evalEvery = max(total/20, 1)
	}
	start := time.Now()
	res := &Result{}
	bar := newBar(cfg.Progress, total)
	savedAt := int64(-1)
	if cfg.CheckpointDir != "" && t.step == 0 && slices.Contains(cfg.CheckpointSteps, 0) {
		if res.Checkpoint, err = t.Save(); err != nil {
			return nil, err
		}
		savedAt = 0
	}
	for t.step < total {
		images, labels := batches.Next()
		withStats := cfg.StatsEvery > 0 && t.step%int64(cfg.StatsEvery) == 0
		point, err := t.TrainBatch(images, labels, withStats)
		if err != nil {
			return nil, err
		}
		loss, acc := point.Loss, point.Accuracy
		if evalEvery > 0 && (t.step%evalEvery == 0 || t.step == total) {
			l, a, err := t.Evaluate(t.HeldOut, cfg.EvalExamples)
			if err != nil {
				return nil, err
			}
			t.History.Eval = append(t.History.Eval, EvalPoint{Step: t.step, Loss: l, Accuracy: a, Examples: min(cfg.EvalExamples, t.HeldOut.N)})
		}
		atEpoch := stepsPerEpoch > 0 && t.step%stepsPerEpoch == 0
		atEvery := (cfg.CheckpointEvery > 0 && t.step%int64(cfg.CheckpointEvery) == 0) || slices.Contains(cfg.CheckpointSteps, t.step)
		if cfg.CheckpointDir != "" && (atEpoch || atEvery || t.step == total) {
			if res.Checkpoint, err = t.Save(); err != nil {
				return nil, err
			}
			savedAt = t.step
		}
		ips := t.imagesPerSec()
		bar.update(t.step, loss, acc, ips)
		if cfg.OnProgress != nil && (t.step%int64(cfg.CallbackEvery) == 0 || t.step == total) {
			p := &Progress{Step: t.step, TotalSteps: total, Epoch: int(t.step / max(stepsPerEpoch, 1)), Loss: loss,
				Accuracy: acc, ImagesPerSec: ips, Elapsed: time.Since(start), Done: t.step == total, History: t.History}
			if err := cfg.OnProgress(p); errors.Is(err, ErrStop) {
				res.Stopped = true
				if cfg.CheckpointDir != "" && savedAt != t.step {
					if res.Checkpoint, err = t.Save(); err != nil {
						return nil, err
					}
				}
				break
			} else if err != nil {
				return nil, fmt.Errorf("progress callback at step %d: %w", t.step, err)
			}
		}
	}
	res.WallSeconds = time.Since(start).Seconds()
	res.Steps = t.step
	res.ImagesPerSecMedian = t.imagesPerSec()
	n := len(t.History.Train)
	for _, p := range t.History.Train[max(0, n-50):] {
		res.FinalTrainLoss += p.Loss / float64(min(n, 50))
	}
	res.TestLoss, res.TestAccuracy, err = t.Evaluate(t.HeldOut, 0)
	return res, err
}

// TrainBatch runs one optimizer step on a batch of Config.Batch images (NHWC, raw pixel
// values) and labels, appending to the history; with withStats it also records weight and
// gradient statistics from this step.
func (t *Trainer) TrainBatch(images []float32, labels []int32, withStats bool) (StepPoint, error) {
	if err := t.ensureExecs(); err != nil {
		return StepPoint{}, err
	}
	b, ds := t.Config.Batch, t.Train
	if len(labels) != b || len(images) != b*ds.ImageSize() {
		return StepPoint{}, fmt.Errorf("step %d: batch of %d images / %d labels, want %d of %dx%dx%d", t.step, len(images)/max(ds.ImageSize(), 1), len(labels), b, ds.H, ds.W, ds.C)
	}
	if err := t.checkBatch(images, labels); err != nil {
		return StepPoint{}, fmt.Errorf("step %d: %w", t.step, err)
	}
	exec := t.stepExec
	if withStats {
		exec = t.statsExec
	}
	t0 := time.Now()
	outs, err := t.execute(exec, images, labels, b)
	if err != nil {
		return StepPoint{}, fmt.Errorf("step %d: %w", t.step, err)
	}
	point := StepPoint{Step: t.step, Loss: scalar(outs[0]), Accuracy: scalar(outs[1])}
	t.History.StepSeconds = append(t.History.StepSeconds, time.Since(t0).Seconds())
	if math.IsNaN(point.Loss) || math.IsInf(point.Loss, 0) {
		// The step's graph applied no update (see guardedLearningRate).
		return point, fmt.Errorf("step %d: loss is %v (diverged; lower the learning rate): the update was not applied", t.step, point.Loss)
	}
	if withStats {
		if err := t.recordStats(outs[2:]); err != nil {
			return point, err
		}
	}
	t.History.Train = append(t.History.Train, point)
	t.step++
	return point, nil
}

// execute runs a step or evaluation executable on n images and labels, on one device or
// split over the trainer's mesh.
func (t *Trainer) execute(e *context.Exec, images []float32, labels []int32, n int) ([]*tensors.Tensor, error) {
	ds := t.Train
	x := tensors.FromFlatDataAndDimensions(images, n, ds.H, ds.W, ds.C)
	y := tensors.FromFlatDataAndDimensions(labels, n)
	if t.mesh != nil {
		return t.mesh.exec(e, x, y)
	}
	return e.Exec(x, y)
}

// checkBatch rejects non-finite pixels and labels outside [0, classes) before they reach a step.
func (t *Trainer) checkBatch(images []float32, labels []int32) error {
	if err := nd.CheckFinite("images", images); err != nil {
		return err
	}
	for i, l := range labels {
		if l < 0 || int(l) >= t.Model.Spec.Classes {
			return fmt.Errorf("label %d of example %d outside [0, %d)", l, i, t.Model.Spec.Classes)
		}
	}
	return nil
}

func (t *Trainer) imagesPerSec() float64 {
	s := t.History.StepSeconds
	if len(s) > 1 {
		s = s[1:]
	}
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	if med <= 0 {
		return 0
	}
	return float64(t.Config.Batch) / med
}

// Save writes a checkpoint and the history into Config.CheckpointDir, durably and together:
// both are written and synced first, then the history is renamed into place before the
// checkpoint, so after a crash the history is never behind the newest checkpoint (Load
// drops what it holds beyond it).
func (t *Trainer) Save() (string, error) {
	dir := t.Config.CheckpointDir
	if dir == "" {
		return "", errors.New("no checkpoint directory configured")
	}
	if err := WriteMeta(dir, t.Meta); err != nil {
		return "", err
	}
	ckpt, err := encodeCheckpoint(t.Model.Ctx, t.step)
	if err != nil {
		return "", err
	}
	hist, err := json.Marshal(t.History)
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	path := filepath.Join(dir, checkpointName(t.step))
	histPath := filepath.Join(dir, historyFile)
	ckptTmp, err := writeTemp(path, ckpt)
	if err != nil {
		return "", err
	}
	histTmp, err := writeTemp(histPath, hist)
	if err == nil {
		err = os.Rename(histTmp, histPath)
	}
	if err == nil {
		err = os.Rename(ckptTmp, path)
	}
	if err != nil {
		os.Remove(ckptTmp)
		os.Remove(histTmp)
		return "", fmt.Errorf("saving checkpoint %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return "", err
	}
	pruneCheckpoints(dir, t.Config.KeepCheckpoints)
	return path, nil
}

func (t *Trainer) recordStats(outs []*tensors.Tensor) error {
	n := len(t.statVars)
	if len(outs) != 2*n {
		return fmt.Errorf("statistics: %d outputs for %d variables", len(outs), n)
	}
	snap := StatsSnapshot{Step: t.step}
	for i, v := range t.statVars {
		w, err := tensors.CopyFlatData[float32](outs[i])
		if err != nil {
			return err
		}
		g, err := tensors.CopyFlatData[float32](outs[n+i])
		if err != nil {
			return err
		}
		vs := VarStats{Layer: strings.TrimPrefix(v.Scope(), context.RootScope), Var: v.Name()}
		vs.Weights, vs.WeightsH = nd.Summarize(w, t.Config.StatsBins)
		vs.Grads, vs.GradsH = nd.Summarize(g, t.Config.StatsBins)
		snap.Vars = append(snap.Vars, vs)
	}
	t.History.Stats = append(t.History.Stats, snap)
	return nil
}

// Evaluate returns the mean loss and accuracy over the first n examples of ds (all if n <= 0),
// in inference mode.
func (t *Trainer) Evaluate(ds *data.Dataset, n int) (loss, acc float64, err error) {
	if err := t.ensureExecs(); err != nil {
		return 0, 0, err
	}
	if n <= 0 || n > ds.N {
		n = ds.N
	}
	if err := t.checkBatch(ds.Images[:n*ds.ImageSize()], ds.Labels[:n]); err != nil {
		return 0, 0, fmt.Errorf("evaluating on %s: %w", ds.Name, err)
	}
	bs := min(500, n)
	if d := t.Devices(); bs%d != 0 {
		bs += d - bs%d // padded below; a split batch must divide among the devices
	}
	size := ds.ImageSize()
	images := make([]float32, bs*size)
	labels := make([]int32, bs)
	for start := 0; start < n; start += bs {
		m := min(bs, n-start)
		copy(images, ds.Images[start*size:(start+m)*size])
		copy(labels, ds.Labels[start:start+m])
		for i := m; i < bs; i++ { // pad the last batch by repeating its first example
			copy(images[i*size:(i+1)*size], images[:size])
			labels[i] = labels[0]
		}
		outs, err := t.execute(t.evalExec, images, labels, bs)
		if err != nil {
			return 0, 0, fmt.Errorf("evaluating on %s: %w", ds.Name, err)
		}
		l, err1 := tensors.CopyFlatData[float32](outs[0])
		c, err2 := tensors.CopyFlatData[float32](outs[1])
		if err := errors.Join(err1, err2); err != nil {
			return 0, 0, err
		}
		for i := 0; i < m; i++ {
			loss += float64(l[i])
			acc += float64(c[i])
		}
	}
	return loss / float64(n), acc / float64(n), nil
}

func scalar(t *tensors.Tensor) float64 {
	defer t.FinalizeAll()
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil || len(v) == 0 {
		return math.NaN()
	}
	return float64(v[0])
}

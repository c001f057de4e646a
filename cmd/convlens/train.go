package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/convlens/convlens/internal/atomicfile"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/training"
)

// Metrics is the JSON written by -metrics.
type Metrics struct {
	Backend            string                `json:"backend"`
	BackendReason      string                `json:"backend_reason"`
	Dataset            string                `json:"dataset"`
	InputShape         []int                 `json:"input_shape"`
	Classes            []string              `json:"classes"`
	Model              string                `json:"model"`
	Devices            int                   `json:"devices"`
	Steps              int64                 `json:"steps"`
	Batch              int                   `json:"batch"`
	Seed               int64                 `json:"seed"`
	TestAccuracy       float64               `json:"test_accuracy"`
	TestLoss           float64               `json:"test_loss"`
	FinalTrainLoss     float64               `json:"final_train_loss"`
	ImagesPerSecMedian float64               `json:"images_per_sec_median"`
	ParamsTotal        int                   `json:"params_total"`
	FLOPsPerImage      int64                 `json:"flops_per_image"`
	WallSeconds        float64               `json:"wall_seconds"`
	Checkpoint         string                `json:"checkpoint,omitempty"`
	Layers             []layers.LayerSummary `json:"layers"`
}

func runTrain(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	dataName := fs.String("data", "mnist", "dataset: mnist, fashion, dogscats, synthetic, or a folder (DIR/train/<class>/*.png|jpg, DIR/test/...; or cifar-10-batches-bin)")
	dataDir := fs.String("data-dir", "", "where a named dataset's files are (default: its standard place)")
	resize := fs.String("resize", "", "resize folder images to HxW (e.g. 64x64)")
	model := fs.String("model", "lenet", "model preset: "+strings.Join(layers.PresetNames(), ", "))
	epochs := fs.Int("epochs", 0, "passes over the training data (default 1 when -steps is 0)")
	steps := fs.Int("steps", 0, "training steps (overrides -epochs)")
	batch := fs.Int("batch", 64, "batch size")
	lr := fs.Float64("lr", 2e-3, "Adam learning rate (peak of the cosine schedule)")
	backendName := fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda, xla:/path/plugin.so or go")
	seed := fs.Int64("seed", 1, "random seed (initialisation, shuffling, dropout)")
	ckpt := fs.String("checkpoint", "", "checkpoint directory (written each epoch and at the end)")
	resume := fs.Bool("resume", false, "continue from the newest checkpoint in -checkpoint")
	overwrite := fs.Bool("overwrite", false, "start a new run in a -checkpoint folder that holds one, removing that run's files (only convlens's own)")
	metrics := fs.String("metrics", "", "write a metrics JSON file here")
	statsEvery := fs.Int("stats-every", 50, "record weight/gradient statistics every N steps (<0: never)")
	ckptEvery := fs.Int("checkpoint-every", 0, "also checkpoint every N steps (0: at epoch ends and the end only)")
	ckptSteps := fs.String("checkpoint-steps", "", "also checkpoint after these steps, comma-separated (0: the initial weights), e.g. 0,50,200 for a time-lapse's early ones")
	keep := fs.Int("keep", 0, "keep only the newest N checkpoints (0: all)")
	devicesFlag := fs.String("devices", "auto", "train data-parallel on N devices of the backend, or all (the batch must divide by N); auto: split batches over the XLA CPU plugin's devices where each shard gets ≥ 64 images (faster on CPU), else one")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *resume && *ckpt == "" {
		return fmt.Errorf("-resume needs -checkpoint")
	}
	if *resume && *overwrite {
		return fmt.Errorf("-resume continues the run in -checkpoint and -overwrite removes it: give one")
	}
	if *ckpt != "" && !*resume && training.UsedBy(*ckpt) {
		if !*overwrite {
			return fmt.Errorf("-checkpoint %s already holds a training run: continue it with -resume, or start over with -overwrite (which removes that run's files)", *ckpt)
		}
		if err := training.ClearRun(*ckpt); err != nil {
			return err
		}
	}
	if *resize != "" && *dataName == "synthetic" {
		return fmt.Errorf("-resize applies to image folders; -data synthetic makes its images at their size")
	}
	for _, err := range []error{
		intFlag("batch", *batch, 1, 1<<16), intFlag("epochs", *epochs, 0, 1_000_000), intFlag("steps", *steps, 0, 1<<40),
		intFlag("checkpoint-every", *ckptEvery, 0, 1<<40), intFlag("keep", *keep, 0, 1<<20), intFlag("stats-every", *statsEvery, -1, 1<<40),
		floatFlag("lr", *lr, 0, 10), writableFile("metrics", *metrics), writableDir("checkpoint", *ckpt),
	} {
		if err != nil {
			return err
		}
	}
	steps0, err := stepList("checkpoint-steps", *ckptSteps)
	if err != nil {
		return err
	}
	devices, err := parseDevices(*devicesFlag)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	b, err := backend.Open(*backendName)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, b)
	h, w, err := parseSize(*resize)
	if err != nil {
		return err
	}
	src := data.Source{Name: *dataName, Dir: *dataDir, Height: h, Width: w}.Absolute()
	train, test, err := data.Load(src, *seed)
	if err != nil {
		return err
	}
	var m *layers.Model
	var hist *training.History
	var resumed *training.Meta
	if *resume {
		loaded, err := training.Load(*ckpt, b)
		if err != nil {
			return err
		}
		m, hist, resumed = loaded.Model, loaded.History, loaded.Meta
		for _, s := range loaded.Skipped {
			fmt.Fprintf(os.Stderr, "warning: skipped %s\n", s)
		}
		if err := resumeMatches(loaded.Meta, set, *model, src, *batch, *lr); err != nil {
			return err
		}
		if s := m.Spec; train.H != s.Height || train.W != s.Width || train.C != s.Chans || len(train.Classes) != s.Classes {
			return fmt.Errorf("-resume: %s has %dx%dx%d images in %d classes, the checkpoint's model wants %dx%dx%d in %d", *dataName, train.H, train.W, train.C, len(train.Classes), s.Height, s.Width, s.Chans, s.Classes)
		}
		fmt.Fprintf(os.Stderr, "resuming %s from step %d\n", loaded.Path, loaded.Step)
	} else {
		spec, err := layers.Preset(*model, train.H, train.W, train.C, len(train.Classes))
		if err != nil {
			return err
		}
		norm := train.ComputeNormalization()
		spec.InputMean, spec.InputStd = norm.Mean, norm.Std
		spec.ClassNames = train.Classes
		if m, err = layers.New(spec, b, *seed); err != nil {
			return err
		}
	}
	cfg := training.Config{Steps: *steps, Epochs: *epochs, Batch: *batch, LearningRate: *lr, Seed: *seed,
		StatsEvery: *statsEvery, CheckpointDir: *ckpt, CheckpointEvery: *ckptEvery, CheckpointSteps: steps0, KeepCheckpoints: *keep, Devices: devices}
	if resumed != nil { // the run continues as it was configured; only its length may change
		was := resumed.Config
		cfg.Batch, cfg.LearningRate, cfg.Seed, cfg.Schedule = was.Batch, was.LearningRate, was.Seed, was.Schedule
		if !set["steps"] && !set["epochs"] {
			cfg.Steps, cfg.Epochs = was.Steps, was.Epochs
		}
	}
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	tr, err := training.NewTrainer(m, train, test, cfg)
	if err != nil {
		return err
	}
	if hist != nil {
		tr.History = hist
	}
	tr.Meta.Dataset = *dataName
	tr.Meta.Source = &src
	res, err := tr.Run()
	if err != nil {
		return err
	}
	sum, err := m.Spec.Summarize()
	if err != nil {
		return err
	}
	out := Metrics{Backend: b.Kind, BackendReason: b.Reason, Dataset: *dataName, Model: m.Spec.Name,
		InputShape: []int{m.Spec.Height, m.Spec.Width, m.Spec.Chans}, Classes: train.Classes, Devices: tr.Devices(), Steps: res.Steps,
		Batch: tr.Config.Batch, Seed: tr.Config.Seed, TestAccuracy: finite(res.TestAccuracy), TestLoss: finite(res.TestLoss),
		FinalTrainLoss: finite(res.FinalTrainLoss), ImagesPerSecMedian: finite(res.ImagesPerSecMedian),
		ParamsTotal: sum.TotalParams, FLOPsPerImage: sum.TotalFLOPs, WallSeconds: res.WallSeconds,
		Checkpoint: res.Checkpoint, Layers: sum.Layers}
	if out.Devices > 1 {
		fmt.Fprintf(os.Stderr, "trained data-parallel on %d devices\n", out.Devices)
	}
	fmt.Fprintf(os.Stderr, "%s on %s: test accuracy %.4f, final train loss %.4f, %.0f img/s, %.1f s (%s)\n",
		out.Model, out.Dataset, out.TestAccuracy, out.FinalTrainLoss, out.ImagesPerSecMedian, out.WallSeconds, out.Backend)
	if *metrics != "" {
		if err := writeJSON(*metrics, out); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "metrics: %s\n", *metrics)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}

// resumeMatches refuses a -resume whose explicitly given -model, -data, -batch or -lr
// differ from what the checkpoint was trained with, naming the difference.
func resumeMatches(meta *training.Meta, set map[string]bool, model string, src data.Source, batch int, lr float64) error {
	var diffs []string
	if set["model"] && model != meta.Spec.Name {
		diffs = append(diffs, fmt.Sprintf("-model %s (checkpoint: %s)", model, meta.Spec.Name))
	}
	if set["data"] {
		was := meta.Dataset
		if meta.Source != nil {
			was = meta.Source.Name
		}
		if src.Name != was && !strings.HasPrefix(was, src.Name+"-") {
			diffs = append(diffs, fmt.Sprintf("-data %s (checkpoint: %s)", src.Name, was))
		}
	}
	if set["batch"] && batch != meta.Config.Batch {
		diffs = append(diffs, fmt.Sprintf("-batch %d (checkpoint: %d)", batch, meta.Config.Batch))
	}
	if set["lr"] && lr != meta.Config.LearningRate {
		diffs = append(diffs, fmt.Sprintf("-lr %g (checkpoint: %g)", lr, meta.Config.LearningRate))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("-resume continues the run as it was trained; these flags differ: %s (drop them, or train a new run)", strings.Join(diffs, ", "))
	}
	return nil
}

// parseDevices reads -devices: a count, "all" (training.AllDevices) or "auto"
// (training.AutoDevices).
func parseDevices(s string) (int, error) {
	switch s {
	case "all":
		return training.AllDevices, nil
	case "auto":
		return training.AutoDevices, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 4096 {
		return 0, fmt.Errorf("-devices %q: want a count from 1, all or auto", s)
	}
	return n, nil
}

// stepList parses comma-separated step numbers (≥ 0).
func stepList(name, v string) ([]int64, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []int64
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("-%s %q: want step numbers ≥ 0, comma-separated", name, v)
		}
		out = append(out, n)
	}
	return out, nil
}

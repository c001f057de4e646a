package nb

import (
	"os"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/training"
)

// TutorialConfig is the training run the tutorial notebooks share: one epoch of MNIST at
// batch 32, seed 1, statistics every 25 steps and a checkpoint every 100 steps (the
// time-lapse notebook replays them), in CacheDir("lenet-mnist").
func TutorialConfig() training.Config {
	return training.Config{Epochs: 1, Batch: 32, Seed: 1, StatsEvery: 25, CheckpointEvery: 100,
		CheckpointDir: CacheDir("lenet-mnist")}
}

// TutorialSpec is LeNet with MNIST's pixel normalisation built in.
func TutorialSpec(train *data.Dataset) *layers.Spec {
	spec := layers.LeNet()
	nz := train.ComputeNormalization()
	spec.InputMean, spec.InputStd = nz.Mean, nz.Std
	return spec
}

// TutorialLeNet returns the tutorial's trained LeNet and MNIST, training it (about half a
// minute on XLA) only if no finished checkpoint of TutorialConfig exists.
func TutorialLeNet(b *backend.Backend) (*training.Loaded, *data.Dataset, *data.Dataset, error) {
	train, err := data.LoadMNIST("", data.Train)
	if err != nil {
		return nil, nil, nil, err
	}
	test, err := data.LoadMNIST("", data.Test)
	if err != nil {
		return nil, nil, nil, err
	}
	loaded, err := training.LoadOrTrain(TutorialSpec(train), b, train, test, TutorialConfig(), os.Stdout)
	return loaded, train, test, err
}

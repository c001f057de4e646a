package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/training"
)

// loadCheckpoint opens the backend, restores a checkpoint and loads the held-out part of
// its dataset (dataName overrides the one it was trained on).
func loadCheckpoint(ckpt, backendName, dataName, dataDir string) (*training.Loaded, *data.Dataset, error) {
	if ckpt == "" {
		return nil, nil, fmt.Errorf("-checkpoint is required")
	}
	b, err := backend.Open(backendName)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(os.Stderr, b)
	loaded, err := training.Load(ckpt, b)
	if err != nil {
		return nil, nil, err
	}
	if dataName == "" {
		dataName, _, _ = strings.Cut(loaded.Meta.Dataset, "-")
	}
	_, test, err := loadData(dataName, dataDir, loaded.Meta.Config.Seed)
	return loaded, test, err
}

// loadData returns the train and held-out parts of a named dataset.
func loadData(name, dir string, seed int64) (train, test *data.Dataset, err error) {
	switch name {
	case "mnist":
		if train, err = data.LoadMNIST(dir, data.Train); err != nil {
			return nil, nil, err
		}
		test, err = data.LoadMNIST(dir, data.Test)
	case "fashion":
		if train, err = data.LoadFashionMNIST(dir, data.Train); err != nil {
			return nil, nil, err
		}
		test, err = data.LoadFashionMNIST(dir, data.Test)
	case "synthetic":
		if train, err = data.Synthetic(6000, 28, 28, 1, 10, uint64(seed)); err != nil {
			return nil, nil, err
		}
		test, err = data.Synthetic(1000, 28, 28, 1, 10, uint64(seed)+1)
	default:
		return nil, nil, fmt.Errorf("unknown dataset %q (want mnist, fashion or synthetic)", name)
	}
	return train, test, err
}

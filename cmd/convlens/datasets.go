package main

import (
	"fmt"

	"github.com/convlens/convlens/data"
)

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

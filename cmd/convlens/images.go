package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/convlens/convlens/data"
)

// runImages writes a dataset as an image folder (DIR/train/<class>/*.png, DIR/test/...).
func runImages(args []string) error {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	dataName := fs.String("data", "dogscats", "dataset: "+fmt.Sprint(data.Names())+", or a folder")
	dataDir := fs.String("data-dir", "", "where a named dataset's files are (default: its standard place)")
	out := fs.String("out", "", "folder to write (must not exist or be empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: convlens images -data NAME -out DIR")
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty: refusing to write into it", *out)
	}
	train, test, err := data.Load(data.Source{Name: *dataName, Dir: *dataDir}, 1)
	if err != nil {
		return err
	}
	for split, ds := range map[data.Split]*data.Dataset{data.Train: train, data.Test: test} {
		if err := data.WriteImageFolder(ds, *out, split); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %d training and %d test images of %dx%dx%d to %s\n", train.N, test.N, train.H, train.W, train.C, *out)
	return nil
}

package main

import (
	"flag"
	"time"

	"github.com/convlens/convlens/report"
)

func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	ckpt := fs.String("checkpoint", "", "checkpoint directory (or a ckpt-*.bin file) written by convlens train")
	dataName := fs.String("data", "", "held-out dataset: mnist, fashion or synthetic (default: the one it was trained on)")
	dataDir := fs.String("data-dir", "", "folder with the IDX files")
	images := fs.Int("images", 3, "example images whose feature maps are shown")
	examples := fs.Int("examples", 1000, "held-out examples for the confusion matrix, embedding and activation statistics")
	out := fs.String("out", "report.html", "output HTML file")
	backendName := fs.String("backend", "auto", "auto, xla, xla:cpu, xla:cuda or go")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, err := range []error{intFlag("images", *images, 1, 32), intFlag("examples", *examples, 1, 100_000), writableFile("out", *out)} {
		if err != nil {
			return err
		}
	}
	loaded, test, err := loadCheckpoint(*ckpt, *backendName, *dataName, *dataDir)
	if err != nil {
		return err
	}
	start := time.Now()
	page, err := report.Build(report.Input{Model: loaded.Model, History: loaded.History, Data: test, Step: loaded.Step},
		report.Options{Images: *images, Examples: *examples})
	if err != nil {
		return err
	}
	return writePage(page, *out, start)
}

package training

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
)

// LoadOrTrain returns the model in cfg.CheckpointDir when its newest checkpoint has
// reached the configured number of steps; otherwise it trains spec from scratch (seeded
// by cfg.Seed) and checkpoints into that folder. Notebooks use it to share one trained
// model between cells, which GoNB runs as separate processes.
func LoadOrTrain(spec *layers.Spec, b Backend, train, heldOut *data.Dataset, cfg Config, log io.Writer) (*Loaded, error) {
	if cfg.CheckpointDir == "" {
		return nil, errors.New("LoadOrTrain needs Config.CheckpointDir")
	}
	if log == nil {
		log = io.Discard
	}
	if loaded, err := Load(cfg.CheckpointDir, b); err == nil && loaded.Step >= cfg.TotalSteps(train.N) && loaded.Meta.Spec.Name == spec.Name {
		// One short line: a notebook's output should not show this machine's paths.
		fmt.Fprintf(log, "loaded the trained %s (step %d, %s)\n", spec.Name, loaded.Step, filepath.Base(loaded.Path))
		return loaded, nil
	}
	// Start over, removing only what convlens wrote there (never a user's files).
	if err := removeOwnFiles(cfg.CheckpointDir); err != nil {
		return nil, fmt.Errorf("clearing %s: %w", cfg.CheckpointDir, err)
	}
	m, err := layers.New(spec, b, cfg.Seed)
	if err != nil {
		return nil, err
	}
	tr, err := NewTrainer(m, train, heldOut, cfg)
	if err != nil {
		return nil, err
	}
	res, err := tr.Run()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "trained %s for %d steps: held-out accuracy %.4f\n", spec.Name, res.Steps, res.TestAccuracy)
	return &Loaded{Model: m, Meta: tr.Meta, History: tr.History, Step: tr.Step(), Path: res.Checkpoint}, nil
}

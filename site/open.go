// Package site is convlens in a browser with nothing installed: the engine opens an ONNX
// file there (OpenONNX), and Page is the static site that holds the engine.
package site

import (
	"fmt"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/onnx"
	"github.com/convlens/convlens/report"
)

// ImageNet's per-channel mean and standard deviation, which torchvision's models expect.
var (
	ImageNetMean = layers.PerChannel{0.485, 0.456, 0.406}
	ImageNetStd  = layers.PerChannel{0.229, 0.224, 0.225}
)

// Opened is an ONNX model opened in the page: its engine, the explorer's data for a first
// (mid-grey) image, and its layer table.
type Opened struct {
	Engine   *live.Engine
	Explorer []byte // report.ExplorerJSON
	Summary  *layers.Summary
	Notices  []string
}

// OpenONNX imports an ONNX file's bytes onto be. imageNet normalises a 3-channel input with
// ImageNet's mean and std inside the model (as torchvision's models expect their input).
func OpenONNX(data []byte, name string, be *backend.Backend, imageNet bool) (*Opened, error) {
	dec, err := onnx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	imp, err := onnx.Import(dec, name, onnx.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if imageNet {
		if imp.Spec.Chans != 3 {
			return nil, fmt.Errorf("%s: ImageNet normalisation needs 3 input channels, the model takes %d", name, imp.Spec.Chans)
		}
		imp.Spec.InputMean, imp.Spec.InputStd = ImageNetMean, ImageNetStd
	}
	m, err := imp.Model(be)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	e, err := live.EngineFor(m)
	if err != nil {
		return nil, err
	}
	sum, err := m.Spec.Summarize()
	if err != nil {
		return nil, err
	}
	s := m.Spec
	grey := nd.New(1, s.Height, s.Width, s.Chans)
	for i := range grey.Data {
		grey.Data[i] = 0.5
	}
	explorer, err := report.ExplorerJSON(m, grey, report.ExplorerOptions{CAMClasses: 1, Names: []string{"a mid-grey image"}})
	if err != nil {
		return nil, err
	}
	return &Opened{Engine: e, Explorer: explorer, Summary: sum, Notices: imp.Notices}, nil
}

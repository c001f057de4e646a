package nb

import (
	"time"

	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/report"
	"github.com/convlens/convlens/training"
)

// Dashboard is a live training display: one output area, redrawn in place at most every
// Every (default 2 s) and at the end, so the executed notebook keeps the final state.
//
//	dash := nb.NewDashboard(model, probeImages)
//	cfg.OnProgress = dash.OnProgress
type Dashboard struct {
	Model *layers.Model
	Probe nd.Array // [P,H,W,C] probe images whose feature maps are shown (may be empty)
	Every time.Duration
	live  *Live
	last  time.Time
}

// NewDashboard reserves the output area.
func NewDashboard(m *layers.Model, probe nd.Array) *Dashboard {
	return &Dashboard{Model: m, Probe: probe, Every: 2 * time.Second, live: NewLive()}
}

// OnProgress is a training.Config.OnProgress callback. Drawing errors are shown, not
// returned: a display problem never stops training.
func (d *Dashboard) OnProgress(p *training.Progress) error {
	if !p.Done && time.Since(d.last) < d.Every {
		return nil
	}
	d.last = time.Now()
	f, err := report.Dashboard(d.Model, p, d.Probe)
	if err != nil {
		ShowError(err)
		return nil
	}
	d.live.Update(f)
	return nil
}

package layers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convlens/convlens/nd"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TapResult is the logits and the requested layer outputs of one forward pass.
type TapResult struct {
	Logits nd.Array
	// Names lists the taps in forward order; Outputs[name] is [N, ...layer shape].
	Names   []string
	Outputs map[string]nd.Array
}

// CheckTapNames returns an error naming any name that is not a tap of the model.
func (m *Model) CheckTapNames(names []string) error {
	all := m.Spec.TapNames()
	for _, n := range names {
		if !slices.Contains(all, n) {
			return fmt.Errorf("unknown layer %q in model %q (taps: %s)", n, m.Spec.Name, strings.Join(all, ", "))
		}
	}
	return nil
}

// Taps runs one forward pass in inference mode and returns the logits and the outputs of
// the named taps (all taps when names is empty). One compiled executable returns every
// tap, so the pass is never repeated per layer.
func (m *Model) Taps(images nd.Array, names ...string) (*TapResult, error) {
	if err := m.CheckImages(images); err != nil {
		return nil, err
	}
	all := m.Spec.TapNames()
	if len(names) == 0 {
		names = all
	}
	if err := m.CheckTapNames(names); err != nil {
		return nil, err
	}
	res := &TapResult{Outputs: map[string]nd.Array{}}
	// One executable returns every tap; a few taps of a large model get their own (XLA
	// compiles an executable with a thousand outputs for tens of seconds).
	key, outputs := "", all
	if len(names) < len(all) {
		m.mu.Lock()
		_, haveAll := m.tapsExec[""]
		m.mu.Unlock()
		if !haveAll && len(all) > 64 {
			outputs = inForwardOrder(all, names)
			key = strings.Join(outputs, "\x00")
		}
	}
	err := Safe("taps", func() error {
		m.mu.Lock()
		if m.tapsExec == nil {
			m.tapsExec = map[string]*context.Exec{}
		}
		if m.tapsExec[key] == nil {
			exec, err := context.NewExec(m.Backend, m.Ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
				f := m.Build(ctx, x, false)
				out := []*graph.Node{f.Logits}
				for _, n := range outputs {
					out = append(out, f.Taps[n])
				}
				return out
			})
			if err != nil {
				m.mu.Unlock()
				return err
			}
			m.tapsExec[key] = exec
		}
		exec := m.tapsExec[key]
		m.mu.Unlock()
		outs, err := exec.Exec(ImagesTensor(images))
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		for i, t := range outs {
			if i > 0 && !want[outputs[i-1]] {
				t.FinalizeAll()
				continue
			}
			a, err := ToArray(t)
			if err != nil {
				return err
			}
			if i == 0 {
				res.Logits = a
			} else {
				res.Outputs[outputs[i-1]] = a
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range all {
		if _, ok := res.Outputs[n]; ok {
			res.Names = append(res.Names, n)
		}
	}
	return res, nil
}

// inForwardOrder keeps the names of all (forward order) that names lists.
func inForwardOrder(all, names []string) []string {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []string
	for _, n := range all {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}

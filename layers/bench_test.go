package layers_test

import (
	"testing"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
)

// BenchmarkForwardVsTaps compares a logits-only forward pass with one that also returns
// every layer's output (pre- and post-activation), on XLA, LeNet, batch 256.
func BenchmarkForwardVsTaps(b *testing.B) {
	m, err := layers.New(layers.LeNet(), testutil.XLA(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	images := testutil.RandomArray(1, 0, 1, 256, 28, 28, 1)
	b.Run("xla/lenet/batch=256/forward", func(b *testing.B) {
		if _, err := m.Logits(images); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := m.Logits(images); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Same executable (every tap computed), only the logits copied to the host: the device cost of taps.
	b.Run("xla/lenet/batch=256/taps_logits_fetched", func(b *testing.B) {
		if _, err := m.Taps(images, "logits"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := m.Taps(images, "logits"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xla/lenet/batch=256/taps", func(b *testing.B) {
		if _, err := m.Taps(images); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := m.Taps(images); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package onnx_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/onnx"
)

// Any bytes give a model or an error from Decode and Import, never a panic or a hang.
func FuzzDecodeImport(f *testing.F) {
	for _, spec := range []*layers.Spec{importedKinds()} {
		m, err := layers.New(spec, testutil.Go(f), 1)
		if err != nil {
			f.Fatal(err)
		}
		b, err := onnx.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x08\x07\x12\x04test"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := onnx.Decode(b)
		if err != nil {
			return
		}
		for _, o := range []onnx.Options{{}, {AnyInput: true, Height: 8, Width: 8}} {
			imp, err := onnx.Import(m, "fuzz", o)
			if err == nil && imp.Spec.Validate() != nil {
				t.Errorf("an import whose spec is invalid: %v", imp.Spec.Validate())
			}
		}
	})
}

// Random byte changes of a model with every imported kind (20,000 files, seeded): each
// decodes and imports, or fails with an error, within a second, never panicking. A cheap
// complement to the fuzzer, which runs slowly in a binary this large.
func TestMutatedFilesNeverPanic(t *testing.T) {
	m, err := layers.New(importedKinds(), testutil.Go(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	imported := 0
	for range 20000 {
		b := slices.Clone(seed)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		start := time.Now()
		if d, err := onnx.Decode(b); err == nil {
			if _, err := onnx.Import(d, "mutated", onnx.Options{}); err == nil {
				imported++
			}
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("a mutated file took %v", el)
		}
	}
	if imported == 0 {
		t.Error("no mutated file imported: the mutations only broke the protobuf")
	}
}

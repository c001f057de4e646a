package nd

import (
	"bytes"
	"testing"
)

// Any bytes read as an array or an error, never a panic, with memory bounded by the input.
func FuzzReadNpy(f *testing.F) {
	var buf bytes.Buffer
	for _, a := range []Array{{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}, {Shape: []int{1}, Data: []float32{-1}}} {
		buf.Reset()
		if err := encodeNpy(&buf, a); err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Clone(buf.Bytes()))
	}
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2, 4611686018427387904), }"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeNpy(bytes.NewReader(b), int64(len(b)))
		if err == nil && a.Validate() != nil {
			t.Errorf("an invalid array: %v", a.Validate())
		}
	})
}

package nd

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNpyRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.npy")
	a := Array{Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 4, 5, 6e-7}}
	if err := WriteNpy(p, a); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if hl := int(b[8]) | int(b[9])<<8; (10+hl)%64 != 0 || b[9+hl] != '\n' {
		t.Errorf("header of %d bytes not padded to 64", hl)
	}
	got, err := ReadNpy(p)
	if err != nil || !slices.Equal(got.Shape, a.Shape) || !slices.Equal(got.Data, a.Data) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	one := Array{Shape: []int{4}, Data: []float32{1, 2, 3, 4}}
	WriteNpy(p, one)
	if got, _ := ReadNpy(p); !slices.Equal(got.Shape, []int{4}) {
		t.Errorf("1-D shape read back as %v", got.Shape)
	}
	for name, body := range map[string]string{
		"not a .npy file":  "hello",
		"truncated":        "\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		"not supported":    "\x93NUMPY\x01\x00\x3a\x00{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }  \n",
		"Fortran order":    "\x93NUMPY\x01\x00\x39\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }  \n",
		"larger than the ": "\x93NUMPY\x01\x00\x4e\x00{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }  \n",
	} {
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := ReadNpy(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%q: got %v", name, err)
		}
	}
}

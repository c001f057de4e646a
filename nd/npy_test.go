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
		"not supported":    "\x93NUMPY\x01\x00\x3a\x00{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }  \n",
		"Fortran order":    "\x93NUMPY\x01\x00\x39\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }  \n",
		"larger than the ": "\x93NUMPY\x01\x00\x4e\x00{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }  \n",
	} {
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := ReadNpy(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%q: got %v", name, err)
		}
	}
	// A shape whose product overflows int64 is refused, not allocated.
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4611686018427387904), }"
	hdr += strings.Repeat(" ", 63-len(hdr)%64) + "\n"
	os.WriteFile(p, append([]byte{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, byte(len(hdr)), byte(len(hdr) >> 8)}, hdr...), 0o644)
	if _, err := ReadNpy(p); err == nil || !strings.Contains(err.Error(), "larger than the file") {
		t.Errorf("overflowing shape: %v", err)
	}
}

// TestNpyIntegers: integer arrays (numpy's default for labels) read as their values.
func TestNpyIntegers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "labels.npy")
	for _, c := range []struct {
		descr string
		raw   []byte
		want  []float32
	}{
		{"<i8", []byte{255, 255, 255, 255, 255, 255, 255, 255, 7, 0, 0, 0, 0, 0, 0, 0}, []float32{-1, 7}},
		{"<i4", []byte{3, 0, 0, 0, 0, 1, 0, 0}, []float32{3, 256}},
		{">i2", []byte{0, 9, 255, 254}, []float32{9, -2}},
		{"|u1", []byte{0, 200}, []float32{0, 200}},
		{"|i1", []byte{128, 5}, []float32{-128, 5}},
		{"<u2", []byte{1, 1, 0, 0}, []float32{257, 0}},
		{"<u4", []byte{0, 0, 1, 0, 2, 0, 0, 0}, []float32{65536, 2}},
		{"<u8", []byte{9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []float32{9, 0}},
	} {
		hdr := "{'descr': '" + c.descr + "', 'fortran_order': False, 'shape': (2,), }"
		hdr += strings.Repeat(" ", 63-(10+len(hdr))%64) + "\n"
		body := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
		body = append(append(body, hdr...), c.raw...)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNpy(p)
		if err != nil || !slices.Equal(got.Data, c.want) {
			t.Errorf("%s: got %v %v, want %v", c.descr, got.Data, err, c.want)
		}
	}
}

func TestChannelLayoutsInvert(t *testing.T) {
	a := New(2, 3, 4, 5)
	for i := range a.Data {
		a.Data[i] = float32(i)
	}
	nhwc, err := NCHWToNHWC(a)
	if err != nil || !slices.Equal(nhwc.Shape, []int{2, 4, 5, 3}) {
		t.Fatalf("%v %v", nhwc.Shape, err)
	}
	// Element n=1, c=1, h=2, w=3 of the [2,3,4,5] batch, in both layouts.
	if got := nhwc.Data[((1*4+2)*5+3)*3+1]; got != a.Data[((1*3+1)*4+2)*5+3] {
		t.Errorf("moved value %v", got)
	}
	back, err := NHWCToNCHW(nhwc)
	if err != nil || !slices.Equal(back.Shape, a.Shape) || !slices.Equal(back.Data, a.Data) {
		t.Errorf("round trip: %v %v", back.Shape, err)
	}
	if _, err := NHWCToNCHW(Array{Shape: []int{2, 3}, Data: make([]float32, 6)}); err == nil {
		t.Error("a 2-D array converted")
	}
}

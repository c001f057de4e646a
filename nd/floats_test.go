package nd

import (
	"math"
	"testing"
)

// Every bit survives, NaN's payload and the zero's sign included; what is not base64 of
// whole float32s is refused.
func TestEncodeFloatsKeepsEveryBit(t *testing.T) {
	v := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -3.5, float32(math.Inf(1)), float32(math.NaN()), math.MaxFloat32}
	got, err := DecodeFloats(EncodeFloats(v))
	if err != nil || !SameBits(got, v) {
		t.Fatalf("round trip %v: %v", got, err)
	}
	if SameBits([]float32{0}, []float32{float32(math.Copysign(0, -1))}) || SameBits([]float32{1}, nil) {
		t.Error("SameBits: +0 and -0, or slices of two lengths, the same")
	}
	for _, bad := range []string{"!!!", "AAA=", "AAAAAAA="} {
		if _, err := DecodeFloats(bad); err == nil {
			t.Errorf("DecodeFloats(%q) accepted", bad)
		}
	}
}

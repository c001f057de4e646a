package vizhtml

import (
	"math"
	"strings"
	"testing"
)

func TestMeasuresReadBackWhatWasShown(t *testing.T) {
	values := map[string]float64{"conv1-init-corr": 0.98312345678901, "a&b<\"c\">": -3e-9, "zero": 0, "nan": math.NaN(), "inf": math.Inf(-1)}
	var page strings.Builder
	for _, id := range []string{"conv1-init-corr", "a&b<\"c\">", "zero", "nan", "inf"} {
		page.WriteString(MeasureHTML(id, values[id], "a <b>sentence</b> with "+id))
	}
	if strings.Contains(page.String(), "<b>") {
		t.Error("the sentence is not escaped")
	}
	got, err := Measures(page.String() + page.String()) // shown twice with the same value: fine
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(values) {
		t.Fatalf("read %d measurements, want %d: %v", len(got), len(values), got)
	}
	for id, want := range values {
		v, ok := got[id]
		if !ok || (v != want && !(math.IsNaN(v) && math.IsNaN(want))) {
			t.Errorf("%q read back as %v (present %v), want %v", id, v, ok, want)
		}
	}
	if _, err := Measures(MeasureHTML("x", 1, "") + MeasureHTML("x", 2, "")); err == nil {
		t.Error("an id with two values is accepted")
	}
}

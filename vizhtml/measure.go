package vizhtml

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
)

// MeasureHTML is a sentence stating a measured value, tagged with the measurement's id and
// the exact value (strconv 'g', full precision) so that the claims a text makes about it
// can be checked: Measures reads them back.
func MeasureHTML(id string, value float64, sentence string) string {
	return fmt.Sprintf(`<p class="cl-measure" data-measure="%s" data-value="%s">%s</p>`,
		esc(id), strconv.FormatFloat(value, 'g', -1, 64), esc(sentence))
}

var measureRE = regexp.MustCompile(`class="cl-measure" data-measure="([^"]*)" data-value="([^"]*)"`)

// Measures reads every tagged measurement of a page or notebook output. An id measured
// twice with different values is an error (a claim could not say which it means).
func Measures(page string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, m := range measureRE.FindAllStringSubmatch(page, -1) {
		id := html.UnescapeString(m[1])
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, fmt.Errorf("measurement %q: value %q: %v", id, m[2], err)
		}
		if old, ok := out[id]; ok && old != v && !(old != old && v != v) {
			return nil, fmt.Errorf("measurement %q has two values, %v and %v", id, old, v)
		}
		out[id] = v
	}
	return out, nil
}

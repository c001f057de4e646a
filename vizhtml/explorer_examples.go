package vizhtml

import (
	"fmt"
	"math"
)

type explorerTopJSON struct {
	PNG   string `json:"png"`
	Label string `json:"label"`
}

type explorerExamplesJSON struct {
	Channel int               `json:"ch"`
	Tops    []explorerTopJSON `json:"tops"`
	Means   []float64         `json:"means,omitempty"`
}

// explorerExamples encodes the dataset examples of the page's spatial layers' channels.
func explorerExamples(ex map[string][]ChannelRow, shapes map[string][]int, classes int) (map[string][]explorerExamplesJSON, int, error) {
	if len(ex) == 0 {
		return nil, 0, nil
	}
	out, size := map[string][]explorerExamplesJSON{}, 0
	for _, layer := range sortedKeys(ex) {
		s, ok := shapes[layer]
		if !ok || len(s) != 3 {
			return nil, 0, fmt.Errorf("dataset examples for %q, not a shown layer with channels", layer)
		}
		for _, r := range ex[layer] {
			if r.Channel < 0 || r.Channel >= s[2] {
				continue // a channel the page does not show
			}
			if len(r.ClassMeans) != 0 && len(r.ClassMeans) != classes {
				return nil, 0, fmt.Errorf("dataset examples for %q channel %d: %d class means, want %d", layer, r.Channel, len(r.ClassMeans), classes)
			}
			row := explorerExamplesJSON{Channel: r.Channel}
			for _, m := range r.ClassMeans {
				if math.IsNaN(m) || math.IsInf(m, 0) {
					m = 0
				}
				row.Means = append(row.Means, m)
			}
			for _, t := range r.Examples {
				if err := checkImage("example", t.Image, 1, 3); err != nil {
					return nil, 0, fmt.Errorf("dataset examples for %q channel %d: %w", layer, r.Channel, err)
				}
				png, err := ImagePNG(t.Image, RangeOf(t.Image.Data, false))
				if err != nil {
					return nil, 0, err
				}
				top := explorerTopJSON{PNG: DataURI(png), Label: t.Label}
				size += len(top.PNG) + len(top.Label)
				row.Tops = append(row.Tops, top)
			}
			out[layer] = append(out[layer], row)
		}
	}
	return out, size, nil
}

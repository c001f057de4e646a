package vizhtml

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	archBoxRE  = regexp.MustCompile(`<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"[^>]*/><text[^>]*font-weight="bold">([^<]*)</text>`)
	archPathRE = regexp.MustCompile(`<path data-from="([^"]*)" data-to="([^"]*)" d="M(\d+),(\d+)[^"]*?(\d+),(\d+)"`)
	archSizeRE = regexp.MustCompile(`<svg [^>]*width="(\d+)" height="(\d+)"`)
)

// A long residual chain wraps into columns: every box inside the picture and apart from
// the others, the picture far shorter than one column would be, and every edge leaving its
// source's bottom and ending on its target.
func TestArchitectureGraphWrapsLongModels(t *testing.T) {
	var rows []ArchLayer
	prev := "input"
	for i := 0; i < 60; i++ {
		name := fmt.Sprintf("l%02d", i)
		in := []string{prev}
		kind := "conv2d"
		if i%3 == 2 && i >= 3 {
			in = []string{prev, fmt.Sprintf("l%02d", i-3)} // a residual add
			kind = "add"
		}
		rows = append(rows, ArchLayer{Name: name, Kind: kind, OutShape: []int{8, 8, 4}, Inputs: in})
		prev = name
	}
	svg, err := archGraph([]int{8, 8, 1}, rows)
	if err != nil {
		t.Fatal(err)
	}
	size := archSizeRE.FindStringSubmatch(svg)
	w, _ := strconv.Atoi(size[1])
	h, _ := strconv.Atoi(size[2])
	type rect struct{ x, y, w, h int }
	boxes := map[string]rect{}
	for _, m := range archBoxRE.FindAllStringSubmatch(svg, -1) {
		var r rect
		r.x, _ = strconv.Atoi(m[1])
		r.y, _ = strconv.Atoi(m[2])
		r.w, _ = strconv.Atoi(m[3])
		r.h, _ = strconv.Atoi(m[4])
		boxes[html.UnescapeString(m[5])] = r
	}
	if len(boxes) != 61 {
		t.Fatalf("%d boxes, want 61", len(boxes))
	}
	if oneColumn := 20 + 61*(archBoxH+archGapY); h > oneColumn/3 || w < 2*archBoxW {
		t.Errorf("picture %d×%d px; one column would be %d px tall", w, h, oneColumn)
	}
	names := make([]string, 0, len(boxes))
	for n, r := range boxes {
		names = append(names, n)
		if r.x < 0 || r.y < 0 || r.x+r.w > w || r.y+r.h > h {
			t.Errorf("box %s at %+v outside %d×%d", n, r, w, h)
		}
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			p, q := boxes[a], boxes[b]
			if p.x < q.x+q.w && q.x < p.x+p.w && p.y < q.y+q.h && q.y < p.y+p.h {
				t.Errorf("boxes %s and %s overlap", a, b)
			}
		}
	}
	paths := archPathRE.FindAllStringSubmatch(svg, -1)
	if len(paths) != 60+19 {
		t.Errorf("%d edges, want 79", len(paths))
	}
	for _, m := range paths {
		from, to := boxes[m[1]], boxes[m[2]]
		x0, _ := strconv.Atoi(m[3])
		y0, _ := strconv.Atoi(m[4])
		x1, _ := strconv.Atoi(m[5])
		y1, _ := strconv.Atoi(m[6])
		leaves := (y0 == from.y+from.h && x0 == from.x+from.w/2) || (x0 == from.x+from.w && y0 == from.y+from.h/2)
		arrives := x1 >= to.x && x1 <= to.x+to.w && y1 >= to.y && y1 <= to.y+to.h
		if !leaves || !arrives {
			t.Errorf("edge %s → %s runs (%d,%d) … (%d,%d); boxes %+v, %+v", m[1], m[2], x0, y0, x1, y1, from, to)
		}
	}
	if !strings.Contains(svg, "columns of") {
		t.Error("no note says how to read the wrapped graph")
	}
}

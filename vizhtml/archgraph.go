package vizhtml

import (
	"fmt"
	"strings"
)

// inputsOf returns row i's inputs: its own, or the previous row (the image for the first).
func inputsOf(rows []ArchLayer, i int) []string {
	if len(rows[i].Inputs) > 0 {
		return rows[i].Inputs
	}
	if i == 0 {
		return []string{"input"}
	}
	return []string{rows[i-1].Name}
}

// Box geometry of the architecture graph, in SVG units (CSS pixels).
const (
	archBoxW, archBoxH = 168, 52
	archGapX, archGapY = 28, 26
	archMaxRows        = 2000
	archWrapRows       = 14   // ranks per column before a graph wraps
	archMaxWidth       = 1400 // px a wrapped graph may take
)

// archGraph lays the layers out top to bottom by rank (the longest path from the input),
// branches of one rank side by side, and draws it as inline SVG (no script, no stylesheet).
func archGraph(input []int, rows []ArchLayer) (string, error) {
	if len(rows) > archMaxRows {
		return fmt.Sprintf(`<p class="cl-capnote">%d layers: the graph is drawn up to %d; see the table.</p>`, len(rows), archMaxRows), nil
	}
	type box struct {
		name, line1, line2, tip string
		rank, lane              int
	}
	index := map[string]int{"input": 0}
	boxes := []box{{name: "input", line1: "image", line2: shapeText(input), tip: "model input " + shapeText(input)}}
	var edges [][2]int
	for i, r := range rows {
		if _, dup := index[r.Name]; dup {
			return "", fmt.Errorf("layer %q appears twice", r.Name)
		}
		kind := r.Kind
		if r.Activation != "" {
			kind += " + " + r.Activation
		}
		bx := box{name: r.Name, line1: kind, line2: shapeText(r.OutShape),
			tip: fmt.Sprintf("%s (%s): output %s, %d params, %s FLOPs", r.Name, kind, shapeText(r.OutShape), r.Params, human(float64(r.FLOPs)))}
		if r.Params > 0 {
			bx.line2 += " · " + human(float64(r.Params)) + " p"
		}
		for _, in := range inputsOf(rows, i) {
			j, ok := index[in]
			if !ok {
				return "", fmt.Errorf("layer %q: input %q is not an earlier layer", r.Name, in)
			}
			bx.rank = max(bx.rank, boxes[j].rank+1)
			edges = append(edges, [2]int{j, len(boxes)})
		}
		index[r.Name] = len(boxes)
		boxes = append(boxes, bx)
	}
	lanes := map[int]int{}
	maxLane, maxRank := 0, 0
	for i := range boxes {
		boxes[i].lane = lanes[boxes[i].rank]
		lanes[boxes[i].rank]++
		maxLane, maxRank = max(maxLane, boxes[i].lane), max(maxRank, boxes[i].rank)
	}
	// A tall graph wraps into columns of perCol ranks each (a snake read top to bottom, then
	// left to right), so that it fits a page instead of a long scroll.
	arcRoom := 60 // right margin of each column for skip connections and wrapped edges
	colW := (maxLane+1)*(archBoxW+archGapX) + arcRoom
	ranks, perCol := maxRank+1, maxRank+1
	if ranks > archWrapRows {
		cols := min((ranks+archWrapRows-1)/archWrapRows, max(1, archMaxWidth/colW))
		perCol = max(archWrapRows, (ranks+cols-1)/cols)
	}
	col := func(b box) int { return b.rank / perCol }
	x := func(b box) int { return 10 + col(b)*colW + b.lane*(archBoxW+archGapX) }
	y := func(b box) int { return 10 + (b.rank%perCol)*(archBoxH+archGapY) }
	width := 20 + ((maxRank)/perCol+1)*colW
	height := 20 + min(perCol, ranks)*(archBoxH+archGapY)
	var s strings.Builder
	fmt.Fprintf(&s, `<div style="overflow-x:auto"><svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="model graph" font-family="sans-serif" font-size="11">`, width, height, width, height)
	s.WriteString(`<defs><marker id="cl-arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#777"/></marker></defs>`)
	skips, wrapped := 0, 0
	for _, e := range edges {
		a, b := boxes[e[0]], boxes[e[1]]
		x1, y1 := x(a)+archBoxW/2, y(a)+archBoxH
		x2, y2 := x(b)+archBoxW/2, y(b)
		skip := b.rank-a.rank > 1 && a.lane == b.lane
		if skip {
			skips++
		}
		stroke := `stroke="#777" stroke-width="1.3"`
		if skip {
			stroke = `stroke="#c60" stroke-width="1.5" stroke-dasharray="5,3"`
		}
		if col(a) != col(b) {
			// Into a later column: down out of the source, along the gutter to the top, over
			// to the target's right side and into it.
			wrapped++
			gutter := 10 + (col(a)+1)*colW - arcRoom/2 - (wrapped%4)*6
			side := x(b) + archBoxW + 12 + (wrapped%4)*6
			fmt.Fprintf(&s, `<path data-from="%s" data-to="%s" d="M%d,%d L%d,%d L%d,%d L%d,%d L%d,%d L%d,%d L%d,%d" fill="none" %s marker-end="url(#cl-arrowhead)"/>`,
				esc(a.name), esc(b.name), x1, y1, x1, y1+archGapY/3, gutter, y1+archGapY/3, gutter, 4, side, 4, side, y2+archBoxH/2, x(b)+archBoxW, y2+archBoxH/2, stroke)
			continue
		}
		if skip {
			// A skip connection: an arc out to the right of the boxes it passes.
			out := x(a) + archBoxW + 14 + 10*(skips%4)
			fmt.Fprintf(&s, `<path data-from="%s" data-to="%s" d="M%d,%d C%d,%d %d,%d %d,%d" fill="none" %s marker-end="url(#cl-arrowhead)"/>`,
				esc(a.name), esc(b.name), x(a)+archBoxW, y(a)+archBoxH/2, out+40, y(a)+archBoxH/2, out+40, y2-archGapY/2, x2+archBoxW/4, y2, stroke)
			continue
		}
		// Down the source's lane, then across into the target.
		ym := max(y1, y2-archGapY-archBoxH/2)
		fmt.Fprintf(&s, `<path data-from="%s" data-to="%s" d="M%d,%d L%d,%d C%d,%d %d,%d %d,%d" fill="none" %s marker-end="url(#cl-arrowhead)"/>`,
			esc(a.name), esc(b.name), x1, y1, x1, ym, x1, ym+archGapY/2+archBoxH/4, x2, y2-archGapY/2, x2, y2, stroke)
	}
	for _, b := range boxes {
		fill := "#f3f4ff"
		switch {
		case b.name == "input":
			fill = "#e8f5e9"
		case strings.HasPrefix(b.line1, "add") || strings.HasPrefix(b.line1, "concat"):
			fill = "#fff3e0"
		}
		fmt.Fprintf(&s, `<g><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#889"/>`, esc(b.tip), x(b), y(b), archBoxW, archBoxH, fill)
		cx := x(b) + archBoxW/2
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`, cx, y(b)+15, esc(clip(b.name, 26)))
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, cx, y(b)+30, esc(clip(b.line1, 28)))
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle" fill="#555">%s</text></g>`, cx, y(b)+44, esc(clip(b.line2, 30)))
	}
	s.WriteString(`</svg></div>`)
	if skips > 0 {
		fmt.Fprintf(&s, `<p class="cl-note">Dashed orange arcs are skip connections (%d); orange boxes merge branches.</p>`, skips)
	}
	if perCol < ranks {
		fmt.Fprintf(&s, `<p class="cl-note">Read top to bottom, then the next column: %d columns of %d steps; lines along the top carry a layer's output into the next column.</p>`, (maxRank)/perCol+1, perCol)
	}
	return s.String(), nil
}

// clip shortens s to at most n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

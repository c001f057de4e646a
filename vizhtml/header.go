package vizhtml

import (
	"strconv"
	"strings"
)

// Vertical space (px) of a chart's header parts in ECharts' default fonts.
const (
	titleHeight    = 28 // 18 px bold title and its padding
	subtitleLine   = 16 // one 12 px subtitle line
	legendHeight   = 26
	axisNameHeight = 20 // a y-axis name drawn above the axis
	subtitleWidth  = 78 // characters per subtitle line (fits a 600 px chart)
)

// fitHeader stacks a chart's title, subtitle (wrapped to lines that fit a narrow chart),
// legend and y-axis names from the top down, and moves the plot below them, so that none
// of them overlaps another however long the subtitle is.
func fitHeader(opt map[string]any) {
	top := 0
	if t := obj(first(opt["title"])); t != nil {
		if s, _ := t["text"].(string); s != "" {
			top += titleHeight
		}
		if s, _ := t["subtext"].(string); s != "" {
			wrapped := wrapWords(s, subtitleWidth)
			t["subtext"] = wrapped
			t["subtextStyle"] = map[string]any{"lineHeight": subtitleLine}
			top += subtitleLine * (strings.Count(wrapped, "\n") + 1)
		}
	}
	if l := obj(first(opt["legend"])); l != nil && l["show"] == true {
		if pos, _ := l["top"].(string); pos != "bottom" {
			l["top"] = strconv.Itoa(top + 2)
			top += legendHeight
		}
	}
	named := false
	for _, y := range all(opt["yAxis"]) {
		if n, _ := y["name"].(string); n != "" && y["nameLocation"] != "middle" {
			named = true
		}
	}
	if named {
		top += axisNameHeight
	}
	for _, g := range all(opt["grid"]) {
		if have := pixels(g["top"]); have < top+8 {
			g["top"] = strconv.Itoa(top + 8)
		}
	}
}

// spaceCategoryLabels shows every k-th label of a category y axis so that labels (16 px
// apart at least) do not overlap in a chart height px tall.
func spaceCategoryLabels(opt map[string]any, height int) {
	g := obj(first(opt["grid"]))
	plot := height - pixels(g["top"]) - pixels(g["bottom"])
	for _, y := range all(opt["yAxis"]) {
		data, _ := y["data"].([]any)
		if y["type"] != "category" || len(data) == 0 || plot <= 0 {
			continue
		}
		every := (len(data)*16 + plot - 1) / plot
		label, _ := y["axisLabel"].(map[string]any)
		if label == nil {
			label = map[string]any{}
			y["axisLabel"] = label
		}
		if _, set := label["interval"]; !set && every > 1 {
			label["interval"] = every - 1
		}
	}
}

// wrapWords breaks s into lines of at most width characters at spaces (a longer word keeps
// its own line).
func wrapWords(s string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= width:
			line += " " + w
		default:
			lines, line = append(lines, line), w
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// all returns an option component's objects (one object or a list of them).
func all(v any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}
	case []any:
		var out []map[string]any
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// pixels reads a position given in pixels ("70" or 70); anything else (a percentage) is 0.
func pixels(v any) int {
	switch v := v.(type) {
	case float64:
		return int(v)
	case string:
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	return 0
}

package vizhtml

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/convlens/convlens/internal/browser"
)

// textBoxesJS redraws every chart of the page with ECharts' SVG renderer (same option,
// same size) and returns, per chart, the text boxes that overlap another text of the chart
// or stick out of its container.
const textBoxesJS = `(() => {
  const out = [];
  // A text's outline on the screen: its box corners through its transform (rotated labels).
  const quad = t => {
    const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  // Separating axes: two convex outlines overlap by more than 2 px along every edge normal.
  const overlap = (p, q) => {
    for (const poly of [p, q]) {
      for (let i = 0; i < 4; i++) {
        const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
        const len = Math.hypot(x2 - x1, y2 - y1) || 1;
        const nx = (y1 - y2) / len, ny = (x2 - x1) / len;
        const proj = r => r.map(([x, y]) => x * nx + y * ny);
        const a = proj(p), b = proj(q);
        if (Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b)) <= 2) return false;
      }
    }
    return true;
  };
  for (const el of document.querySelectorAll('.cl-chart')) {
    const old = echarts.getInstanceByDom(el);
    if (!old) { out.push({chart: el.id, problem: 'not drawn'}); continue; }
    const option = old.getOption();
    old.dispose();
    const c = echarts.init(el, null, {renderer: 'svg'});
    option.animation = false;
    c.setOption(option);
    const title = (option.title && option.title[0] && option.title[0].text) || el.id;
    const frame = el.getBoundingClientRect();
    const boxes = [];
    for (const t of el.querySelectorAll('svg text')) {
      const s = (t.textContent || '').trim();
      const r = t.getBoundingClientRect();
      if (!s || r.width === 0 || r.height === 0) continue;
      boxes.push({s, q: quad(t)});
    }
    for (const b of boxes) {
      if (b.q.some(([x, y]) => x < frame.left - 1 || y < frame.top - 1 || x > frame.right + 1 || y > frame.bottom + 1)) {
        out.push({chart: title, problem: 'clipped: "' + b.s + '"'});
      }
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        if (overlap(boxes[i].q, boxes[j].q)) out.push({chart: title, problem: 'overlap: "' + boxes[i].s + '" / "' + boxes[j].s + '"'});
      }
    }
  }
  return out;
})()`

type textProblem struct {
	Chart   string `json:"chart"`
	Problem string `json:"problem"`
}

// No text of any chart (titles, subtitles, legends, axis names, tick labels, colour-scale
// ends) overlaps another or is cut off by its container, at a notebook's width (900 px)
// and a narrow one (600 px).
func TestChartTextDoesNotOverlap(t *testing.T) {
	browser.Require(t)
	p := viewsLabelled(t, "conv2") // realistic names (hostile ones are checked for safety elsewhere)
	digits := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	logits := []float32{-2, 1, 0.5, 7, -1, 2, 0, 3, 1, -3}
	f, err := ClassProbabilities("logits → softmax probabilities", logits, digits)
	p.Add(Section{Title: "Ten digits", Body: f, Err: err})
	var names []string
	var many []float32
	for i := 0; i < 20; i++ {
		names = append(names, fmt.Sprintf("golden retriever %d", i))
		many = append(many, float32(i%7))
	}
	f, err = ClassProbabilities("twenty long class names", many, names)
	p.Add(Section{Title: "Twenty classes", Body: f, Err: err})
	f, err = UnitValues("fc1 (after ReLU), one bar per unit", logits, nil)
	p.Add(Section{Title: "Units", Body: f, Err: err})
	steps := []string{"logits", "logits+fc2", "logits+fc2+fc1", "logits+fc2+fc1+conv2", "logits+fc2+fc1+conv2+conv1"}
	var sanity []SanityLine
	for k, m := range []string{"saliency", "gradient×input", "smoothgrad(saliency)", "integrated gradients", "grad-cam", "grad-cam++", "occlusion"} {
		sanity = append(sanity, SanityLine{Method: m, Steps: steps, Similarity: []float64{0.9, 0.5, 0.3, 0.2, float64(k) / 7}, Flagged: k > 3})
	}
	f, err = SanityChart(sanity, 0.5)
	p.Add(Section{Title: "Sanity", Body: f, Err: err})
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := browser.Open(t, 2*time.Minute)
	for _, width := range []int{900, 600} {
		page := filepath.Join(dir, "page.html")
		html := bytes.Replace(buf.Bytes(), []byte("<body"), []byte(`<body style="width:`+itoa(width)+`px"`), 1)
		if err := os.WriteFile(page, html, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Load(page); err != nil {
			t.Fatal(err)
		}
		problems, err := browser.Eval[[]textProblem](s, textBoxesJS)
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range problems {
			t.Errorf("%d px: %s: %s", width, pr.Chart, pr.Problem)
		}
	}
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Session is one headless Chromium tab driven over the DevTools protocol (chromedp),
// offline, recording every console error and uncaught exception.
type Session struct {
	Ctx context.Context

	mu     sync.Mutex
	errors []string
}

// Open starts Chromium (skipping or failing the test as Require does) and returns a tab
// that closes with the test. Each action should finish within timeout.
func Open(t testing.TB, timeout time.Duration) *Session {
	t.Helper()
	chromium := Require(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.WindowSize(1280, 1000))
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	s := &Session{Ctx: ctx}
	if err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				msg = "console." + string(e.Type)
				for _, a := range e.Args {
					msg += fmt.Sprintf(" %s%s", a.Description, a.Value)
				}
			}
		}
		if msg != "" {
			s.mu.Lock()
			s.errors = append(s.errors, msg)
			s.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Load opens a local file.
func (s *Session) Load(file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	return chromedp.Do(s.Ctx, chromedp.Navigate("file://"+abs))
}

// Eval evaluates a JavaScript expression and decodes its value.
func Eval[T any](s *Session, expr string) (T, error) {
	return chromedp.Run(s.Ctx, chromedp.Evaluate[T](expr))
}

// Errors returns the console errors and uncaught exceptions seen so far.
func (s *Session) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errors...)
}

// StaticView is what a page shows with JavaScript off: its chart containers and, of
// those, the ones whose static picture is laid out and decoded.
type StaticView struct {
	ScriptsRan bool     // a page script ran after all (the check is void)
	Charts     int      // .cl-chart containers
	Shown      int      // containers showing a decoded .chart-static picture at ≥ 100×50 px
	Missing    []string // the others, by container id and why
}

// ViewWithoutScripts opens a local file in a tab with script execution disabled (as
// GitHub, nbviewer or a mail client shows it) and reads what each chart container shows.
func (s *Session) ViewWithoutScripts(file string) (StaticView, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return StaticView{}, err
	}
	noScripts := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	if err := chromedp.Do(s.Ctx, noScripts, chromedp.Navigate("file://"+abs)); err != nil {
		return StaticView{}, err
	}
	// Pictures are data URIs: wait (briefly) until each has decoded.
	var v StaticView
	for range 50 {
		v, err = Eval[StaticView](s, staticViewJS)
		if err != nil || v.Shown == v.Charts {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return v, err
}

const staticViewJS = `(function(){
var out={ScriptsRan:typeof window.echarts!=="undefined"||document.querySelector("[_echarts_instance_]")!==null,Charts:0,Shown:0,Missing:[]};
document.querySelectorAll(".cl-chart").forEach(function(el){
  out.Charts++;
  var img=el.querySelector(".chart-static img"), why="";
  if(!img){why="no static picture";}
  else if(!img.complete||img.naturalWidth===0){why="picture not decoded";}
  else{var r=img.getBoundingClientRect(),st=getComputedStyle(img);
    if(r.width<100||r.height<50){why="picture "+Math.round(r.width)+"×"+Math.round(r.height)+" px";}
    else if(st.visibility==="hidden"||st.display==="none"||img.offsetParent===null){why="picture hidden";}}
  if(why){out.Missing.push((el.id||"?")+": "+why);}else{out.Shown++;}
});
return out;})()`

// Screenshot opens a local file and writes a picture of the whole page (JPEG) to out.
func (s *Session) Screenshot(file, out string) error {
	if err := s.Load(file); err != nil {
		return err
	}
	buf, err := chromedp.Run(s.Ctx, chromedp.FullScreenshot(70))
	if err != nil {
		return err
	}
	return os.WriteFile(out, buf, 0o644)
}

// chartTextJS redraws every chart of the page with ECharts' SVG renderer (same option,
// same size) and returns, per chart, the text boxes that overlap another text of the chart
// or stick out of its container.
const chartTextJS = `(() => {
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

// TextProblem is a chart text that overlaps another or is cut off.
type TextProblem struct {
	Chart   string `json:"chart"`
	Problem string `json:"problem"`
}

// ChartTextProblems redraws every ECharts chart of the loaded page as SVG and returns the
// texts (titles, subtitles, legends, axis names and labels, colour-scale ends) that
// overlap another text of their chart or stick out of its container.
func (s *Session) ChartTextProblems() ([]TextProblem, error) {
	return Eval[[]TextProblem](s, chartTextJS)
}

// Command live measures the live engine per image, side by side in one run: convlens
// compiled to WebAssembly in Chromium, onnxruntime-web (its wasm backend) on the same ONNX
// file in the same browser, and the same Go code natively on SimpleGo and XLA CPU.
//
//	go run ./bench/live -ort DIR [-resnet18 FILE.onnx] [-iters N]
//
// DIR holds onnxruntime-web's dist files (bench/live.sh installs them from npm). Pages are
// served from a local HTTP server (onnxruntime-web fetches its wasm; the engine does not).
package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/internal/browser"
	"github.com/convlens/convlens/internal/testutil"
	"github.com/convlens/convlens/layers"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/onnx"
	"github.com/convlens/convlens/site"
	"github.com/convlens/convlens/vizhtml"
)

type model struct {
	name string
	onnx []byte
}

// timing is milliseconds per image: median over the iterations.
type timing struct{ forward, withMap float64 }

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

func native(m model, be *backend.Backend, iters int) (timing, error) {
	o, err := site.OpenONNX(m.onnx, m.name, be, false)
	if err != nil {
		return timing{}, err
	}
	s := o.Engine.Model.Spec
	img := testutil.RandomArray(1, 0, 1, s.Height, s.Width, s.Chans)
	t, _ := s.Topology()
	var fwd, all []float64
	for i := 0; i < iters+2; i++ {
		start := time.Now()
		if _, err := o.Engine.Run(img, []string{t.Logits}, live.NoMap); err != nil {
			return timing{}, err
		}
		mid := time.Now()
		if _, err := o.Engine.Run(img, nil, -1); err != nil {
			return timing{}, err
		}
		if i >= 2 {
			fwd, all = append(fwd, float64(mid.Sub(start).Microseconds())/1000), append(all, float64(time.Since(mid).Microseconds())/1000)
		}
	}
	return timing{median(fwd), median(all)}, nil
}

const benchJS = `
async function benchEngine(b64, name, iters) {
  const E = globalThis.convlensEngine, bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const res = E.openONNX(bytes, name, false);
  if (res.error) throw new Error(res.error);
  const spec = JSON.parse(res.spec), px = new Float32Array(spec.height * spec.width * spec.channels).map((_, i) => (i % 7) / 7);
  const explorer = JSON.parse(res.explorer), names = explorer.layers.map(l => l.name), logits = [explorer.logits];
  const fwd = [], all = [];
  for (let i = 0; i < iters + 2; i++) {
    let t = performance.now(); let r = E.run(px, logits, -2); if (r.error) throw new Error(r.error);
    const a = performance.now() - t;
    t = performance.now(); r = E.run(px, names, -1); if (r.error) throw new Error(r.error);
    if (i >= 2) { fwd.push(a); all.push(performance.now() - t); }
  }
  const med = v => v.sort((x, y) => x - y)[v.length >> 1];
  return [med(fwd), med(all)];
}
async function benchORT(b64, iters) {
  ort.env.wasm.numThreads = 1; ort.env.wasm.wasmPaths = location.origin + "/ort/";
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const meta = s.inputMetadata ? s.inputMetadata[0] : null;
  const dims = (meta && meta.shape ? meta.shape : [1, 3, 224, 224]).map(d => typeof d === "number" ? d : 1);
  const n = dims.reduce((a, b) => a * b, 1), x = new ort.Tensor("float32", new Float32Array(n).map((_, i) => (i % 7) / 7), dims);
  const t = [];
  for (let i = 0; i < iters + 2; i++) {
    const t0 = performance.now(); await s.run({ [s.inputNames[0]]: x });
    if (i >= 2) t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[t.length >> 1];
}`

func main() {
	ortDir := flag.String("ort", "", "onnxruntime-web's dist folder")
	resnet := flag.String("resnet18", "", "a ResNet-18 ONNX file (one file, 224×224)")
	iters := flag.Int("iters", 10, "timed images per measurement (after 2 warm-ups)")
	flag.Parse()
	if browser.Find() == "" {
		log.Fatal("no Chromium: make chromium installs it")
	}
	tb := &testing.T{} // browser.Open's cleanups never run: the process ends with the browser
	goBE, err := backend.Open("go")
	if err != nil {
		log.Fatal(err)
	}
	xlaBE, err := backend.Open("xla:cpu")
	if err != nil {
		log.Fatal(err)
	}
	var models []model
	for _, p := range []struct {
		name string
		spec *layers.Spec
	}{{"lenet", layers.LeNet()}, {"tinyvgg", layers.TinyVGG(64, 64, 3, 10)}} {
		m, err := layers.New(p.spec, goBE, 1)
		if err != nil {
			log.Fatal(err)
		}
		b, err := onnx.Encode(m)
		if err != nil {
			log.Fatal(err)
		}
		models = append(models, model{p.name, b})
	}
	if *resnet != "" {
		b, err := os.ReadFile(*resnet)
		if err != nil {
			log.Fatal(err)
		}
		models = append(models, model{"resnet18", b})
	}
	dir, err := os.MkdirTemp("", "convlens-live-bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	engine, err := live.BuildEngine(dir)
	if err != nil {
		log.Fatal(err)
	}
	page, err := vizhtml.SitePage(vizhtml.SiteOptions{Engine: engine.Wasm, Exec: engine.Exec})
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		log.Fatal(err)
	}
	if err := page.Render(f); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(f, `<script src="ort/ort.min.js"></script><script>%s</script>`, benchJS)
	f.Close()
	if err := os.Symlink(*ortDir, filepath.Join(dir, "ort")); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, http.FileServer(http.Dir(dir)))
	s := browser.Open(tb, 20*time.Minute)
	start := time.Now()
	if err := chromedp.Do(s.Ctx, chromedp.Navigate("http://"+ln.Addr().String()+"/index.html")); err != nil {
		log.Fatal(err)
	}
	for {
		st, _ := browser.Eval[string](s, `document.querySelector(".cl-site").dataset.engine||""`)
		if st == "ready" {
			break
		}
		if st == "failed" || time.Since(start) > 2*time.Minute {
			log.Fatalf("engine: %q", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := os.Stat(filepath.Join(dir, "index.html"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("page loaded and engine started: %.2f s (the page %.1f MB with the engine inlined; %.1f MB of WebAssembly)\n\n",
		time.Since(start).Seconds(), float64(st.Size())/(1<<20), float64(len(engine.Wasm))/(1<<20))
	fmt.Println("| model | convlens wasm: forward | + every layer and Grad-CAM | onnxruntime-web wasm: forward | ORT / convlens (forward) | SimpleGo native: forward | + layers and Grad-CAM | XLA CPU: forward | + layers and Grad-CAM |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, m := range models {
		b64 := base64.StdEncoding.EncodeToString(m.onnx)
		ours, err := chromedp.Run(s.Ctx, chromedp.Evaluate[[]float64](fmt.Sprintf("benchEngine(%q, %q, %d)", b64, m.name, *iters),
			chromedp.EvalAwaitPromise))
		if err != nil {
			log.Fatalf("%s in the engine: %v", m.name, err)
		}
		theirs, err := chromedp.Run(s.Ctx, chromedp.Evaluate[float64](fmt.Sprintf("benchORT(%q, %d)", b64, *iters), chromedp.EvalAwaitPromise))
		if err != nil {
			log.Fatalf("%s in onnxruntime-web: %v", m.name, err)
		}
		g, err := native(m, goBE, *iters)
		if err != nil {
			log.Fatal(err)
		}
		x, err := native(m, xlaBE, *iters)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("| %s | %.1f ms | %.1f ms | %.1f ms | %.2f× | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n", m.name, ours[0], ours[1], theirs,
			theirs/ours[0], g.forward, g.withMap, x.forward, x.withMap)
	}
}

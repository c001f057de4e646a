package notebooks

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/convlens/convlens/internal/browser"
)

// jupyterLab returns the pinned JupyterLab (scripts/install-jupyterlab.sh), skipping or
// failing as tools does when it is missing.
func jupyterLab(t *testing.T) string {
	venv := os.Getenv("CONVLENS_JUPYTERLAB_VENV")
	if venv == "" {
		home, _ := os.UserHomeDir()
		venv = filepath.Join(home, ".cache", "convlens", "jupyterlab-venv")
	}
	lab := filepath.Join(venv, "bin", "jupyter-lab")
	if _, err := os.Stat(lab); err != nil {
		msg := "JupyterLab not installed (scripts/install-jupyterlab.sh installs it)"
		if os.Getenv("CONVLENS_REQUIRE_NOTEBOOKS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return lab
}

// labServer is a JupyterLab started on localhost over a working folder.
type labServer struct {
	URL, Token, Dir string
	log             *lockedBuffer
}

// lockedBuffer collects the server's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// labConfig is the server configuration `make lab` uses too: GoNB's kernel shows its status
// (idle) as soon as a notebook opens (see the file).
var labConfig, _ = filepath.Abs("../scripts/jupyterlab/jupyter_server_config.json")

func startLab(t *testing.T, lab, dir string, env []string) *labServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	s := &labServer{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: hex.EncodeToString(tok), Dir: dir, log: &lockedBuffer{}}
	state := t.TempDir()
	// Settings: every cell kept rendered (no windowing), so the whole notebook can be read.
	settings := filepath.Join(state, "settings", "@jupyterlab", "notebook-extension")
	if err := os.MkdirAll(settings, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(settings, "tracker.jupyterlab-settings"), []byte(`{"windowingMode": "none"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lab, "--no-browser", "--ip=127.0.0.1", fmt.Sprint("--port=", port),
		"--IdentityProvider.token="+s.Token, "--allow-root", "--ServerApp.root_dir="+dir, "--ServerApp.port_retries=0",
		"--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
		"--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--config="+labConfig)
	cmd.Env = append(os.Environ(), append(env,
		"JUPYTER_CONFIG_DIR="+filepath.Join(state, "config"), "JUPYTER_RUNTIME_DIR="+filepath.Join(state, "runtime"),
		"JUPYTERLAB_SETTINGS_DIR="+filepath.Join(state, "settings"), "JUPYTERLAB_WORKSPACES_DIR="+filepath.Join(state, "workspaces"))...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	// Its own process group, so the kernels it started stop with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	for deadline := time.Now().Add(90 * time.Second); ; {
		resp, err := http.Get(s.URL + "/api/status?token=" + s.Token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("JupyterLab exited (%v):\n%s", err, tail(s.log.String(), 3000))
		case <-time.After(300 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("JupyterLab did not answer in 90 s:\n%s", tail(s.log.String(), 3000))
		}
	}
}

// startPage (re)loads JupyterLab in the tab with a reset workspace (no notebook open).
func startPage(t *testing.T, s *browser.Session, srv *labServer) {
	t.Helper()
	if _, err := chromedp.Run(s.Ctx, chromedp.Navigate(srv.URL+"/lab?reset&token="+srv.Token)); err != nil {
		t.Fatal(err)
	}
	if _, err := evalAsync[bool](s, `(async () => {
		for (let i = 0; i < 600 && !window.jupyterapp; i++) await new Promise(r => setTimeout(r, 100));
		await jupyterapp.restored;
		return true;
	})()`); err != nil {
		t.Fatalf("JupyterLab did not start in the browser: %v\n%s", err, tail(srv.log.String(), 3000))
	}
}

// evalAsync evaluates a JavaScript expression, awaiting it when it is a promise.
func evalAsync[T any](s *browser.Session, expr string) (T, error) {
	return chromedp.Run(s.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// openNotebook opens path in the lab as the current widget (window.__nb) and waits until its
// kernel session is ready; it returns the kernel's displayed status right then.
func openNotebook(t *testing.T, s *browser.Session, path string) string {
	t.Helper()
	status, err := evalAsync[string](s, fmt.Sprintf(`(async () => {
		const w = await jupyterapp.commands.execute('docmanager:open', {path: %q, factory: 'Notebook'});
		window.__nb = w;
		await w.context.ready;
		await w.sessionContext.ready;
		jupyterapp.shell.activateById(w.id);
		// The status arrives with the kernel's first counted message: wait for it (20 s at most).
		for (let i = 0; i < 200 && w.sessionContext.kernelDisplayStatus !== 'idle'; i++) await new Promise(r => setTimeout(r, 100));
		await new Promise(r => setTimeout(r, 500));
		return w.sessionContext.kernelDisplayStatus;
	})()`, path))
	if err != nil {
		t.Fatalf("opening %s in JupyterLab: %v", path, err)
	}
	return status
}

// labNotebookState reads the open notebook: code cells, those executed, error outputs, charts
// and charts drawn (ECharts instances), static pictures visible, and the hint count.
type labNotebookState struct {
	Code, Executed, Charts, Drawn, Static, Hints int
	Errors                                       []string
	Status                                       string
}

const labStateJS = `(() => {
	const w = window.__nb, cells = w.content.model.cells;
	const st = {Code: 0, Executed: 0, Errors: [], Status: w.sessionContext.kernelDisplayStatus};
	for (let i = 0; i < cells.length; i++) {
		const c = cells.get(i);
		if (c.type !== 'code') continue;
		st.Code++;
		if (c.executionCount) st.Executed++;
		for (let j = 0; j < c.outputs.length; j++) {
			const o = c.outputs.get(j).toJSON();
			if (o.output_type === 'error') st.Errors.push('cell ' + i + ': ' + o.ename + ': ' + o.evalue);
		}
	}
	const charts = [...w.content.node.querySelectorAll('.cl-chart')];
	st.Charts = charts.length;
	st.Drawn = charts.filter(el => el.hasAttribute('_echarts_instance_') && el.querySelector('canvas')).length;
	st.Static = charts.filter(el => {
		const img = el.querySelector('.chart-static img');
		if (!img || !img.complete || img.naturalWidth < 100) return false;
		const r = img.getBoundingClientRect();
		return r.width > 100 && r.height > 50;
	}).length;
	st.Hints = charts.filter(el => (el.querySelector('.chart-static') || {}).innerText?.includes('trust the notebook')).length;
	return st;
})()`

// TestJupyterLab drives JupyterLab, the client a user opens the notebooks in, in headless
// Chromium: notebooks 01 and 02 (copied to a working folder) run with Run All, every chart
// draws, notebook 02's dashboard redraws in place during training, no cell errs and the
// console stays clean; saved, they still build from their sources; an untrusted copy (as
// downloaded: scripts and style sheets stripped by JupyterLab) shows every chart's static
// picture and its hint, and keeps its tile grids and architecture diagram laid out.
func TestJupyterLab(t *testing.T) {
	tools(t)
	lab := jupyterLab(t)
	work := t.TempDir()
	names := []string{"01-building-blocks", "02-training-dashboard"}
	for _, n := range names {
		raw, err := os.ReadFile(n + ".ipynb")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, n+".ipynb"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := filepath.Abs("..")
	srv := startLab(t, lab, work, []string{"CONVLENS_ROOT=" + root, "CONVLENS_NB_CACHE=" + filepath.Join(work, ".cache")})
	s := browser.Open(t, 15*time.Minute)
	startPage(t, s, srv)

	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			status := openNotebook(t, s, n+".ipynb")
			if status != "idle" {
				t.Errorf("kernel status once the notebook opened: %q, want idle", status)
			}
			if _, err := evalAsync[bool](s, `(() => {
				window.__ran = undefined;
				jupyterapp.commands.execute('notebook:run-all-cells').then(r => window.__ran = r, e => window.__ran = String(e));
				return true;
			})()`); err != nil {
				t.Fatal(err)
			}
			// While it runs, sample the dashboard's output area (notebook 02): it must be
			// one output redrawn with new content, not outputs appended.
			states := map[string]bool{}
			maxOutputs := 0
			start := time.Now()
			for {
				done, err := evalAsync[bool](s, `window.__ran !== undefined`)
				if err != nil {
					t.Fatal(err)
				}
				if done {
					break
				}
				if time.Since(start) > 10*time.Minute {
					t.Fatal("Run All did not finish in 10 minutes")
				}
				dash, _ := evalAsync[[]string](s, `[...window.__nb.content.node.querySelectorAll('.jp-OutputArea-output')]
					.map(o => (o.innerText.match(/(training|done): step \d+ of \d+/) || [''])[0]).filter(m => m)`)
				maxOutputs = max(maxOutputs, len(dash))
				for _, d := range dash {
					states[d] = true
				}
				time.Sleep(700 * time.Millisecond)
			}
			ran, _ := evalAsync[any](s, `window.__ran`)
			t.Logf("%s: Run All took %s (result %v)", n, time.Since(start).Round(time.Second), ran)
			st, err := evalAsync[labNotebookState](s, labStateJS)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range st.Errors {
				t.Errorf("%s", tail(e, 1500))
			}
			if st.Executed != st.Code || ran != true {
				t.Errorf("%d of %d code cells ran (Run All: %v)", st.Executed, st.Code, ran)
			}
			if st.Charts == 0 || st.Drawn != st.Charts {
				t.Errorf("%d of %d charts drew", st.Drawn, st.Charts)
			}
			if n == "02-training-dashboard" {
				if len(states) < 3 || maxOutputs != 1 {
					t.Errorf("the dashboard showed %d distinct states during training in up to %d outputs; want ≥ 3 in one", len(states), maxOutputs)
				}
				t.Logf("dashboard: %d distinct states seen during training", len(states))
			}
			// Where scripts run, diagrams are live SVG again (with their tooltips).
			if d, err := evalAsync[[]int](s, `[window.__nb.content.node.querySelectorAll('img.cl-svg').length, window.__nb.content.node.querySelectorAll('.jp-OutputArea svg title').length]`); err != nil || d[0] != 0 || (n == "02-training-dashboard" && d[1] == 0) {
				t.Errorf("[diagrams as images, SVG box titles] = %v (%v): want no images left and live SVG", d, err)
			}
			if st.Status != "idle" {
				t.Errorf("kernel status after Run All is %q, want idle", st.Status)
			}
			if _, err := evalAsync[bool](s, `window.__nb.context.save().then(() => true)`); err != nil {
				t.Fatal(err)
			}
			saved, err := os.ReadFile(filepath.Join(work, n+".ipynb"))
			if err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("python3", "build.py", "--check-file", filepath.Join(work, n+".ipynb"), n).CombinedOutput(); err != nil {
				t.Errorf("the notebook saved by JupyterLab no longer matches its source: %v\n%s", err, out)
			}
			t.Logf("%s: %d charts drew, saved %.2f MB", n, st.Drawn, float64(len(saved))/1e6)
		})
	}

	t.Run("untrusted", func(t *testing.T) {
		for _, n := range names {
			raw, err := os.ReadFile(filepath.Join(work, n+".ipynb"))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			// A changed byte voids JupyterLab's signature: the copy is untrusted, as one
			// downloaded or received is.
			doc["metadata"].(map[string]any)["received_from"] = "a colleague"
			b, _ := json.Marshal(doc)
			copyName := "untrusted-" + n + ".ipynb"
			if err := os.WriteFile(filepath.Join(work, copyName), b, 0o644); err != nil {
				t.Fatal(err)
			}
			// A fresh page with only this notebook: a trusted one's style sheet would style
			// it too.
			startPage(t, s, srv)
			openNotebook(t, s, copyName)
			if sheets, err := evalAsync[int](s, `[...document.querySelectorAll('style')].filter(e => e.textContent.includes('.cl-grid')).length`); err != nil || sheets != 0 {
				t.Fatalf("%d convlens style sheets in the page of an untrusted notebook (%v)", sheets, err)
			}
			st, err := evalAsync[labNotebookState](s, labStateJS)
			if err != nil {
				t.Fatal(err)
			}
			if st.Charts == 0 || st.Drawn != 0 || st.Static != st.Charts || st.Hints != st.Charts {
				t.Errorf("%s untrusted: %d charts, %d live, %d static pictures shown, %d hints; want every chart static with its hint", n, st.Charts, st.Drawn, st.Static, st.Hints)
			}
			layout, err := evalAsync[map[string]int](s, labLayoutJS)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s untrusted: %d static charts with hints; layout %v", n, st.Static, layout)
			if layout["grids"] == 0 || layout["gridsInRows"] != layout["grids"] {
				t.Errorf("%s untrusted: %d of %d tile grids keep their tiles side by side", n, layout["gridsInRows"], layout["grids"])
			}
			if layout["diagrams"] != layout["diagramsShown"] {
				t.Errorf("%s untrusted: %d of %d diagrams shown", n, layout["diagramsShown"], layout["diagrams"])
			}
			if n == "02-training-dashboard" && layout["diagrams"] == 0 {
				t.Errorf("%s untrusted: the architecture diagram is missing", n)
			}
			if out := os.Getenv("CONVLENS_NB_OUT"); out != "" {
				// Pictures of the untrusted view, for a person to look at.
				for i, sel := range []string{"img.cl-svg", ".cl-grid", ".cl-chart"} {
					if ok, _ := evalAsync[bool](s, fmt.Sprintf(`(() => { const e = window.__nb.content.node.querySelector(%q); if (!e) return false; e.scrollIntoView(); return true; })()`, sel)); ok {
						time.Sleep(300 * time.Millisecond)
						if buf, err := chromedp.Run(s.Ctx, chromedp.CaptureScreenshot()); err == nil {
							_ = os.MkdirAll(out, 0o755)
							_ = os.WriteFile(filepath.Join(out, fmt.Sprintf("untrusted-%s-%d.png", n, i)), buf, 0o644)
						}
					}
				}
			}
			if layout["blurry"] > 0 {
				t.Errorf("%s untrusted: %d enlarged pixel images are smoothed (blurry)", n, layout["blurry"])
			}
		}
	})
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("console errors in JupyterLab: %s", strings.Join(errs, "\n"))
	}
}

// labLayoutJS counts tile grids with several tiles and how many still place two on one row,
// diagrams (SVG as images) and those shown, and enlarged images (shown bigger than their pixels)
// that the browser smooths.
const labLayoutJS = `(() => {
	const root = window.__nb.content.node, r = {grids: 0, gridsInRows: 0, diagrams: 0, diagramsShown: 0, blurry: 0};
	const sideBySide = el => {
		const k = [...el.children].filter(c => c.getBoundingClientRect().width > 0);
		return k.length > 1 && Math.abs(k[0].getBoundingClientRect().top - k[1].getBoundingClientRect().top) < 2 &&
			k[1].getBoundingClientRect().left > k[0].getBoundingClientRect().left;
	};
	for (const g of root.querySelectorAll('.cl-grid')) {
		if (g.children.length < 2) continue;
		r.grids++; if (sideBySide(g)) r.gridsInRows++;
	}
	for (const d of root.querySelectorAll('img.cl-svg')) {
		r.diagrams++; if (d.complete && d.naturalWidth > 100 && d.getBoundingClientRect().height > 50) r.diagramsShown++;
	}
	for (const img of root.querySelectorAll('img')) {
		if (img.closest('.chart-static') || !img.naturalWidth) continue;
		const w = img.getBoundingClientRect().width;
		const ir = getComputedStyle(img).imageRendering;
		if (w > 1.5 * img.naturalWidth && ir !== 'pixelated' && ir !== 'crisp-edges') r.blurry++;
	}
	return r;
})()`

// The Docker image and the local tools (make lab, this test) pin the same JupyterLab and
// gopls.
func TestJupyterLabPinnedOnce(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	script, tools, docker := read("../scripts/install-jupyterlab.sh"), read("../scripts/install-notebook-tools.sh"), read("../docker/Dockerfile")
	pin := func(text string, re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(text); m != nil {
			return m[1]
		}
		return ""
	}
	lab := pin(script, regexp.MustCompile(`jupyterlab==([0-9.]+)`))
	if lab == "" || lab != pin(docker, regexp.MustCompile(`JUPYTERLAB_VERSION=([0-9.]+)`)) {
		t.Errorf("JupyterLab pinned as %q by the install script but differently in docker/Dockerfile", lab)
	}
	gopls := pin(tools, regexp.MustCompile(`GOPLS_VERSION=(v[0-9.]+)`))
	if gopls == "" || gopls != pin(docker, regexp.MustCompile(`GOPLS_VERSION=(v[0-9.]+)`)) {
		t.Errorf("gopls pinned as %q by the notebook tools but differently in docker/Dockerfile", gopls)
	}
}

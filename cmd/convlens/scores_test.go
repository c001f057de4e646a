package main

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/convlens/convlens/nd"
)

// explain -method auto scores every candidate (each CAM method at several layers), says
// which it chose and why, shows the best three first with the ranked scores beside the
// baselines, and -save-maps writes the chosen method's maps.
func TestExplainAutoChoosesByScore(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-data", "synthetic", "-steps", "20", "-batch", "32", "-backend", "go", "-checkpoint", ckpt, "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	page, maps := filepath.Join(dir, "explain.html"), filepath.Join(dir, "maps.npy")
	out, err := convlens(t, "explain", "-checkpoint", ckpt, "-backend", "go", "-images", "3", "-method", "auto", "-class-vis=false",
		"-sanity=false", "-save-maps", maps, "-out", page)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	chose := regexp.MustCompile(`chose (.+?): mean rank ([0-9.]+) over deletion, insertion, road`).FindStringSubmatch(out)
	if chose == nil {
		t.Fatalf("no choice reported:\n%s", out)
	}
	b, _ := os.ReadFile(page)
	html := string(b)
	rows := regexp.MustCompile(`data-method="([^"]+)" data-baseline="(true|false)"`).FindAllStringSubmatch(html, -1)
	if len(rows) < 8 || rows[0][1] != chose[1] || rows[len(rows)-2][1] != "random" || rows[len(rows)-1][1] != "sobel" {
		t.Fatalf("score rows %v, chosen %q", rows, chose[1])
	}
	layersSeen := map[string]bool{}
	for _, r := range rows {
		if i := strings.Index(r[1], "grad-cam @ "); i == 0 {
			layersSeen[r[1]] = true
		}
	}
	if len(layersSeen) < 2 {
		t.Errorf("Grad-CAM scored at %d layers, want at least 2: %v", len(layersSeen), rows)
	}
	values := regexp.MustCompile(`data-metric="(deletion|insertion|road)" data-value="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(values) != 3*len(rows) {
		t.Fatalf("%d score cells for %d rows", len(values), len(rows))
	}
	for _, v := range values {
		x, err := strconv.ParseFloat(v[2], 64)
		if err != nil || math.IsNaN(x) || (v[1] != "road" && (x < 0 || x > 1)) {
			t.Errorf("%s score %q", v[1], v[2])
		}
	}
	if !strings.Contains(html, "<th>"+chose[1]+"</th>") {
		t.Errorf("the chosen %s is not among the maps shown", chose[1])
	}
	if m, err := nd.ReadNpy(maps); err != nil || len(m.Shape) != 3 || m.Shape[0] != 3 {
		t.Errorf("saved maps: %v %v", m.Shape, err)
	}
	name := chose[1]
	if i := strings.Index(name, " @ "); i > 0 {
		name = name[:i]
	}
	if !strings.Contains(out, "maps: "+maps+" ("+name+",") {
		t.Errorf("-save-maps did not write the chosen method's maps:\n%s", out)
	}
}

// report -method puts any method's maps beside saliency and on the summary's predictions.
func TestReportTakesAnyMethod(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	if out, err := convlens(t, "train", "-data", "synthetic", "-steps", "20", "-batch", "32", "-backend", "go", "-checkpoint", ckpt, "-quiet"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	page := filepath.Join(dir, "report.html")
	if out, err := convlens(t, "report", "-checkpoint", ckpt, "-backend", "go", "-examples", "64", "-method", "eigencam", "-out", page); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	b, _ := os.ReadFile(page)
	for _, want := range []string{"Saliency and eigen-cam", "Predictions (with eigen-cam)", "<th>eigen-cam</th>"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report -method eigencam lacks %q", want)
		}
	}
	out, err := convlens(t, "report", "-checkpoint", ckpt, "-backend", "go", "-method", "gradcam", "-layer", "nowhere", "-out", page)
	if err == nil || !strings.Contains(out, `unknown layer "nowhere"`) {
		t.Errorf("report -layer nowhere: %v %s", err, out)
	}
	// -projection adds the projector: the held-out images placed by UMAP, their recall.
	if out, err := convlens(t, "report", "-checkpoint", ckpt, "-backend", "go", "-examples", "64", "-projection", "umap", "-out", page); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	b, _ = os.ReadFile(page)
	if m := regexp.MustCompile(`10-NN recall ([0-9.]+)`).FindStringSubmatch(string(b)); !strings.Contains(string(b), "Projector (umap)") || m == nil {
		t.Error("report -projection umap: no projector")
	}
	if out, err := convlens(t, "report", "-checkpoint", ckpt, "-backend", "go", "-projection", "isomap", "-out", page); err == nil || !strings.Contains(out, "want one of pca, tsne, umap") {
		t.Errorf("report -projection isomap: %v %s", err, out)
	}
}

package vizhtml

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/convlens/convlens/nd"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// PCA projects features [N, D] onto their first two principal components. It returns the
// [N, 2] coordinates and the share of variance each component explains.
func PCA(features nd.Array) (nd.Array, [2]float64, error) {
	var explained [2]float64
	if err := features.Validate(); err != nil {
		return nd.Array{}, explained, fmt.Errorf("PCA: %w", err)
	}
	if len(features.Shape) != 2 || features.Shape[0] < 3 || features.Shape[1] < 2 {
		return nd.Array{}, explained, fmt.Errorf("PCA: features shape %v, want [N>=3, D>=2]", features.Shape)
	}
	if err := nd.CheckFinite("PCA features", features.Data); err != nil {
		return nd.Array{}, explained, err
	}
	n, d := features.Shape[0], features.Shape[1]
	if n*d > 1<<26 {
		return nd.Array{}, explained, fmt.Errorf("PCA: %d×%d features is too many", n, d)
	}
	x := mat.NewDense(n, d, nil)
	for i, v := range features.Data {
		x.Set(i/d, i%d, float64(v))
	}
	var pc stat.PC
	if ok := pc.PrincipalComponents(x, nil); !ok {
		return nd.Array{}, explained, fmt.Errorf("PCA: decomposition failed")
	}
	vars := pc.VarsTo(nil)
	total := 0.0
	for _, v := range vars {
		total += v
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	var proj mat.Dense
	proj.Mul(x, vecs.Slice(0, d, 0, 2))
	out := nd.New(n, 2)
	for i := 0; i < n; i++ {
		out.Data[2*i], out.Data[2*i+1] = float32(proj.At(i, 0)), float32(proj.At(i, 1))
	}
	if total > 0 {
		explained = [2]float64{vars[0] / total, vars[1] / total}
	}
	return out, explained, nil
}

// EmbeddingScatter plots 2-D points [N, 2] coloured by class, one legend entry per class.
func EmbeddingScatter(titleText, sub string, points nd.Array, labels []int, classes []string) (Fragment, error) {
	if err := points.Validate(); err != nil || len(points.Shape) != 2 || points.Shape[1] != 2 {
		return Fragment{}, fmt.Errorf("embedding scatter: points shape %v, want [N 2] (%v)", points.Shape, err)
	}
	if len(labels) != points.Shape[0] {
		return Fragment{}, fmt.Errorf("embedding scatter: %d points, %d labels", points.Shape[0], len(labels))
	}
	byClass := make([][]opts.ScatterData, len(classes))
	for i, l := range labels {
		if l < 0 || l >= len(classes) {
			return Fragment{}, fmt.Errorf("embedding scatter: label %d of point %d outside [0, %d)", l, i, len(classes))
		}
		x, y := float64(points.Data[2*i]), float64(points.Data[2*i+1])
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return Fragment{}, fmt.Errorf("embedding scatter: point %d is not finite", i)
		}
		byClass[l] = append(byClass[l], opts.ScatterData{Value: []float64{round(x, 4), round(y, 4)}, SymbolSize: 6})
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(title(titleText, sub),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true)}),
		charts.WithLegendOpts(opts.Legend{Show: tf(true), Type: "scroll", Top: "40"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "PC1", Scale: tf(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "PC2", Scale: tf(true)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: []int{0}}, opts.DataZoom{Type: "inside", YAxisIndex: []int{0}}),
		charts.WithGridOpts(opts.Grid{Top: "80", ContainLabel: tf(true)}),
		charts.WithColorsOpts(classColors(len(classes))),
	)
	for c, data := range byClass {
		sc.AddSeries(classes[c], data)
	}
	return render(sc, "100%", "480px")
}

// categorical is a palette of 20 distinct colours (Tableau 10, then its light variants), so
// that up to 20 classes never share one; ECharts' default has 9.
var categorical = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
	"#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e"}

// classColors returns one colour per class (cycling beyond 20).
func classColors(n int) opts.Colors {
	out := make(opts.Colors, n)
	for i := range out {
		out[i] = categorical[i%len(categorical)]
	}
	return out
}

// ProjectorData is what a projector shows, one entry per point.
type ProjectorData struct {
	Points   nd.Array // [n, 2]
	Labels   []int    // true classes: one series each
	Wrong    []bool   // drawn as triangles
	Thumbs   [][]byte // each point's image (PNG; nil entries allowed), shown on hover
	Captions []string
	// Neighbours (optional) are each point's nearest others in the original space, listed
	// with their images when the point is clicked.
	Neighbours [][]int
	// Overlays (optional) are each image with an explanation map over it (PNG), shown on a
	// click above the neighbours; OverlayName names the map.
	Overlays    [][]byte
	OverlayName string
	// Preds (optional) are the predicted classes: buttons then colour the points by true
	// class, predicted class or right and wrong.
	Preds []int
}

// ProjectorScatter is a projection's points, one series per true class (the legend toggles
// them), a wrong prediction drawn as a triangle, each point's image shown on hover with its
// caption. A click on a point shows its explanation map and lists its neighbours, and a
// rectangle or lasso selection (the toolbox) lists the images inside it. With predictions,
// buttons colour the points by true class, predicted class or right and wrong.
func ProjectorScatter(titleText, sub, xName, yName string, d ProjectorData, classes []string) (Fragment, error) {
	points := d.Points
	if err := points.Validate(); err != nil || len(points.Shape) != 2 || points.Shape[1] != 2 {
		return Fragment{}, fmt.Errorf("projector: points shape %v, want [N 2] (%v)", points.Shape, err)
	}
	n := points.Shape[0]
	if len(d.Labels) != n || len(d.Wrong) != n || len(d.Thumbs) != n || len(d.Captions) != n ||
		d.Neighbours != nil && len(d.Neighbours) != n || d.Overlays != nil && len(d.Overlays) != n || d.Preds != nil && len(d.Preds) != n {
		return Fragment{}, fmt.Errorf("projector: %d points, %d labels, %d marks, %d images, %d captions, %d neighbour lists, %d overlays",
			n, len(d.Labels), len(d.Wrong), len(d.Thumbs), len(d.Captions), len(d.Neighbours), len(d.Overlays))
	}
	for i, nb := range d.Neighbours {
		for _, j := range nb {
			if j < 0 || j >= n {
				return Fragment{}, fmt.Errorf("projector: point %d's neighbour %d outside [0, %d)", i, j, n)
			}
		}
	}
	byClass := make([][]opts.ScatterData, len(classes))
	where := make([][2]int, n) // each point's series and index in it
	for i, l := range d.Labels {
		if l < 0 || l >= len(classes) {
			return Fragment{}, fmt.Errorf("projector: label %d of point %d outside [0, %d)", l, i, len(classes))
		}
		x, y := float64(points.Data[2*i]), float64(points.Data[2*i+1])
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return Fragment{}, fmt.Errorf("projector: point %d is not finite", i)
		}
		name := esc(d.Captions[i]) // the tooltip shows the name as HTML
		if d.Thumbs[i] != nil {
			name = fmt.Sprintf(`<img src="%s" width="56" height="56" style="image-rendering:pixelated"><br>%s`, DataURI(d.Thumbs[i]), name)
		}
		value := []float64{round(x, 4), round(y, 4), float64(i)}
		if d.Preds != nil {
			if p := d.Preds[i]; p < 0 || p >= len(classes) {
				return Fragment{}, fmt.Errorf("projector: prediction %d of point %d outside [0, %d)", p, i, len(classes))
			}
			value = append(value, float64(d.Preds[i]))
		}
		item := opts.ScatterData{Name: name, Value: value, SymbolSize: 6, Symbol: "circle"}
		if d.Wrong[i] {
			item.Symbol, item.SymbolSize = "triangle", 9
		}
		where[i] = [2]int{l, len(byClass[l])}
		byClass[l] = append(byClass[l], item)
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(title(titleText, sub),
		charts.WithTooltipOpts(opts.Tooltip{Show: tf(true)}),
		charts.WithLegendOpts(opts.Legend{Show: tf(true), Type: "scroll", Top: "40"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: xName, Scale: tf(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, Scale: tf(true)}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: []int{0}}, opts.DataZoom{Type: "inside", YAxisIndex: []int{0}}),
		charts.WithGridOpts(opts.Grid{Top: "80", ContainLabel: tf(true)}),
		charts.WithColorsOpts(classColors(len(classes))),
	)
	for c, data := range byClass {
		sc.AddSeries(classes[c], data)
	}
	f, err := render(sc, "100%", "560px")
	if err != nil {
		return f, err
	}
	// The tooltip shows each point's name as HTML (its image and escaped caption, made
	// here) and its class escaped: a formatter function, which an option's JSON cannot hold.
	js := `c.setOption({tooltip:{formatter:function(p){return p.name+"<br>"+echarts.format.encodeHTML(p.seriesName);}}});`
	w, _ := json.Marshal(where)
	js += fmt.Sprintf(`var where=%s;`, w) // each point's series and index there, as drawn now
	if d.Preds != nil {
		bar := newID() + "-colour"
		names, _ := json.Marshal(classes) // set as series names: text, never HTML
		f.HTML = `<div class="cl-proj-colour" id="` + bar + `" style="font:13px sans-serif;margin:4px 0">Colour by: ` +
			`<button type="button" data-mode="true" aria-pressed="true">true class</button> ` +
			`<button type="button" data-mode="pred" aria-pressed="false">predicted class</button> ` +
			`<button type="button" data-mode="correct" aria-pressed="false">right / wrong</button></div>` + f.HTML
		js += fmt.Sprintf(`var names=%s,bar=document.getElementById(%q),pts=[],cols=c.getOption().color;`+
			`c.getOption().series.forEach(function(s,si){s.data.forEach(function(it){pts[it.value[2]]={it:it,truth:si};});});`+
			`function colourBy(mode){var sn=mode==="correct"?["right","wrong"]:names,g=sn.map(function(){return [];});`+
			`pts.forEach(function(p,i){var k=mode==="true"?p.truth:mode==="pred"?p.it.value[3]:(p.it.value[3]===p.truth?0:1);where[i]=[k,g[k].length];g[k].push(p.it);});`+
			`c.setOption({color:mode==="correct"?["#59a14f","#e15759"]:cols,legend:{data:sn},`+
			`series:g.map(function(d,k){return {type:"scatter",name:sn[k],data:d,animation:false};})},{replaceMerge:["series"]});`+
			`bar.querySelectorAll("button").forEach(function(b){b.setAttribute("aria-pressed",String(b.dataset.mode===mode));});}`+
			`bar.querySelectorAll("button").forEach(function(b){b.onclick=function(){colourBy(b.dataset.mode);};});`, names, bar)
	}
	if d.Neighbours != nil || d.Overlays != nil {
		overlays := make([]string, n)
		for i, o := range d.Overlays {
			if o != nil {
				overlays[i] = DataURI(o)
			}
		}
		nb, _ := json.Marshal(d.Neighbours)
		ov, _ := json.Marshal(overlays)
		overlayName, _ := json.Marshal(esc(d.OverlayName))
		box := newID() + "-nb"
		js += fmt.Sprintf(`var nbrs=%s,overlays=%s,overlayName=%s,box=document.getElementById(%q);`+
			`c.on("click",function(p){if(!p.value||p.value.length<3){return;}var i=p.value[2],o=c.getOption(),h="";`+
			`if(overlays[i]){h+='<div class="cl-tile cl-proj-overlay"><img src="'+overlays[i]+'" width="96" height="96" style="image-rendering:pixelated" alt="'+overlayName+'"><span>'+overlayName+"</span></div>";}`+
			`(nbrs?nbrs[i]:[]).forEach(function(j){var w=where[j];h+='<div class="cl-tile" data-point="'+j+'">'+o.series[w[0]].data[w[1]].name+"</div>";});`+
			`box.innerHTML='<p class="cl-note">Nearest to '+p.name.replace(/^.*<br>/,"")+' in the layer\'s space:</p><div class="cl-grid">'+h+"</div>";});`+
			// A rectangle or lasso selection lists the images inside it.
			`c.setOption({brush:{xAxisIndex:0},toolbox:{right:10,bottom:0,feature:{brush:{type:["rect","polygon","clear"]}}}});`+
			`c.on("brushselected",function(e){var o=c.getOption(),h="",count=0;(e.batch[0]?e.batch[0].selected:[]).forEach(function(sel){`+
			`sel.dataIndex.forEach(function(d){count++;if(count<=48){var it=o.series[sel.seriesIndex].data[d];h+='<div class="cl-tile" data-point="'+it.value[2]+'">'+it.name+"</div>";}});});`+
			`if(count){box.innerHTML='<p class="cl-note">'+count+" images selected"+(count>48?" (the first 48 shown)":"")+':</p><div class="cl-grid">'+h+"</div>";}});`, nb, ov, overlayName, box)
		f.HTML += `<div class="cl-proj-nb" id="` + box + `"><p class="cl-note">Click a point for its map and its nearest images in the layer's space; select with the toolbox (bottom right) to list images.</p></div>`
	}
	return onChart(f, js), nil
}

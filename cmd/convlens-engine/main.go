//go:build js && wasm

// Command convlens-engine is convlens compiled to WebAssembly for the live explorer: it
// sets globalThis.convlensEngine with load, openONNX, decode, run, set, skip, reset and field, and waits.
package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"syscall/js"
	"time"

	"github.com/convlens/convlens/backend"
	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/live"
	"github.com/convlens/convlens/nd"
	"github.com/convlens/convlens/site"
)

var engine *live.Engine

// floatsFrom copies a Float32Array.
func floatsFrom(v js.Value) []float32 {
	n := v.Get("length").Int()
	b := make([]byte, 4*n)
	js.CopyBytesToGo(b, js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), 4*n))
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// floatsTo makes a Float32Array.
func floatsTo(v []float32) js.Value {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return js.Global().Get("Float32Array").New(u.Get("buffer"))
}

// guard turns a panic or an error into {error: text}.
func guard(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = map[string]any{"error": fmt.Sprint(r)}
			}
		}()
		v, err := f(args)
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		return v
	})
}

func load(args []js.Value) (any, error) {
	b, err := live.Parse([]byte(args[0].String()))
	if err != nil {
		return nil, err
	}
	be, err := backend.Open("go")
	if err != nil {
		return nil, err
	}
	if engine, err = live.NewEngine(b, be); err != nil {
		return nil, err
	}
	return map[string]any{"camLayer": engine.CAMLayer}, nil
}

// run(pixels Float32Array [H*W*C], names [string], target, method) → {values, logits, target, cam, camShape, ms}
func run(args []js.Value) (any, error) {
	if engine == nil {
		return nil, fmt.Errorf("no model loaded")
	}
	start := time.Now()
	s := engine.Model.Spec
	img := nd.Array{Shape: []int{s.Height, s.Width, s.Chans}, Data: floatsFrom(args[0])}
	if len(img.Data) != s.Height*s.Width*s.Chans {
		return nil, fmt.Errorf("%d pixel values, the model takes %dx%dx%d", len(img.Data), s.Height, s.Width, s.Chans)
	}
	var names []string
	for i := 0; i < args[1].Length(); i++ {
		names = append(names, args[1].Index(i).String())
	}
	method := live.GradCAM
	if len(args) > 3 && args[3].Type() == js.TypeString {
		method = args[3].String()
	}
	r, err := engine.RunWith(img, names, args[2].Int(), method)
	if err != nil {
		return nil, err
	}
	values := map[string]any{}
	for name, a := range r.Values {
		values[name] = floatsTo(a.Data)
	}
	out := map[string]any{"values": values, "logits": floatsTo(r.Logits), "target": r.Target}
	if len(r.CAM.Shape) == 2 {
		out["cam"], out["camShape"] = floatsTo(r.CAM.Data), []any{r.CAM.Shape[0], r.CAM.Shape[1]}
	}
	out["ms"] = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// set(layer, name, Float32Array, shape [int])
func set(args []js.Value) (any, error) {
	if engine == nil {
		return nil, fmt.Errorf("no model loaded")
	}
	var shape []int
	for i := 0; i < args[3].Length(); i++ {
		shape = append(shape, args[3].Index(i).Int())
	}
	return map[string]any{}, engine.Set(args[0].String(), args[1].String(), nd.Array{Shape: shape, Data: floatsFrom(args[2])})
}

// openONNX(bytes Uint8Array, name, imageNet bool) → {explorer, spec, summary (JSON texts),
// camLayer, notices}: the model runs in the engine from then on.
func openONNX(args []js.Value) (any, error) {
	data := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(data, args[0])
	be, err := backend.Open("go")
	if err != nil {
		return nil, err
	}
	o, err := site.OpenONNX(data, args[1].String(), be, args[2].Bool())
	if err != nil {
		return nil, err
	}
	engine = o.Engine
	spec, err := json.Marshal(o.Engine.Model.Spec)
	if err != nil {
		return nil, err
	}
	sum, err := json.Marshal(o.Summary)
	if err != nil {
		return nil, err
	}
	notices := make([]any, len(o.Notices))
	for i, n := range o.Notices {
		notices[i] = n
	}
	return map[string]any{"explorer": string(o.Explorer), "spec": string(spec), "summary": string(sum),
		"camLayer": o.Engine.CAMLayer, "notices": notices}, nil
}

// field(layer, y, x) → {box: [y0, x0, y1, x1]}
func field(args []js.Value) (any, error) {
	if engine == nil {
		return nil, fmt.Errorf("no model loaded")
	}
	b, err := engine.Field(args[0].String(), args[1].Int(), args[2].Int())
	if err != nil {
		return nil, err
	}
	return map[string]any{"box": []any{b.Y0, b.X0, b.Y1, b.X1}}, nil
}

// decode(bytes Uint8Array, name) → Float32Array: a photo file's pixels as the model takes
// them, cropped and resized as the command line's -images does.
func decode(args []js.Value) (any, error) {
	if engine == nil {
		return nil, fmt.Errorf("no model loaded")
	}
	b := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(b, args[0])
	s := engine.Model.Spec
	img, err := data.DecodeImage(b, args[1].String(), s.Height, s.Width, s.Chans)
	if err != nil {
		return nil, err
	}
	return map[string]any{"pixels": floatsTo(img.Data)}, nil
}

// skip(layer, k, off): input k of a sum layer switched off (or on).
func skip(args []js.Value) (any, error) {
	if engine == nil {
		return nil, fmt.Errorf("no model loaded")
	}
	return map[string]any{}, engine.SetInputOff(args[0].String(), args[1].Int(), args[2].Bool())
}

func reset([]js.Value) (any, error) {
	if engine == nil {
		return nil, fmt.Errorf("no model loaded")
	}
	return map[string]any{}, engine.Reset()
}

func main() {
	js.Global().Set("convlensEngine", js.ValueOf(map[string]any{
		"load": guard(load), "run": guard(run), "set": guard(set), "reset": guard(reset), "field": guard(field), "openONNX": guard(openONNX), "skip": guard(skip), "decode": guard(decode),
	}))
	if cb := js.Global().Get("convlensEngineReady"); cb.Type() == js.TypeFunction {
		cb.Invoke()
	}
	select {}
}

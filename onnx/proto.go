// Package onnx reads ONNX models (the protobuf of onnx.proto, decoded field by field with
// protowire) and turns CNNs into convlens graph models with the file's weights.
package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// The subset of onnx.proto that describes a CNN. Field numbers are onnx.proto's.

// Model is a ModelProto.
type Model struct {
	IRVersion int64
	Producer  string
	Opset     int64 // of the default ("" or "ai.onnx") domain
	Graph     Graph
	// Functions are the model's local functions (FunctionProto), inlined at import.
	Functions []Function
}

// Function is a FunctionProto: a named body of nodes with formal inputs, outputs and
// attributes (the body reads them through AttributeProto.ref_attr_name).
type Function struct {
	Name, Domain    string
	Inputs, Outputs []string
	Attrs           []string
	Defaults        map[string]Attribute
	Nodes           []Node
}

// Graph is a GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is a NodeProto.
type Node struct {
	Name, OpType, Domain string
	Inputs, Outputs      []string
	Attrs                map[string]Attribute
}

// Attribute is an AttributeProto (the kinds CNN ops use).
type Attribute struct {
	// Ref names the attribute of the calling node this one stands for (inside a function).
	Ref    string
	Float  float32
	Int    int64
	String string
	Tensor *Tensor
	Floats []float32
	Ints   []int64
}

// Tensor is a TensorProto converted to float32 or int64 values.
type Tensor struct {
	Name     string
	Dims     []int64
	DataType int32
	Floats   []float32
	Ints     []int64
	// external locates the values in a separate file (filled in by loadExternal).
	external *externalRef
}

// externalRef is where a tensor's raw bytes live: a file beside the model, at an offset.
type externalRef struct {
	location       string
	offset, length int64
	hasLength      bool
}

// ValueInfo is a graph input or output: a name and its tensor shape (-1 for a symbolic dimension).
type ValueInfo struct {
	Name     string
	ElemType int32
	Shape    []int64
	HasShape bool
}

// TensorProto data types.
const (
	typeFloat    = 1
	typeUint8    = 2
	typeInt8     = 3
	typeUint16   = 4
	typeInt16    = 5
	typeInt32    = 6
	typeInt64    = 7
	typeBool     = 9
	typeFloat16  = 10
	typeDouble   = 11
	typeUint32   = 12
	typeUint64   = 13
	typeBFloat16 = 16
)

var errTruncated = errors.New("truncated or corrupt protobuf")

// field walks the fields of one message, calling fn with each number, wire type and raw value
// (the varint/fixed value for scalars, the payload for bytes).
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, payload []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		var v uint64
		var payload []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			payload, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		if err := fn(num, typ, v, payload); err != nil {
			return err
		}
	}
	return nil
}

// Decode parses a serialised ModelProto.
func Decode(b []byte) (*Model, error) {
	m := &Model{Opset: -1}
	sawGraph := false
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch num {
		case 1:
			m.IRVersion = int64(v)
		case 2:
			m.Producer = string(p)
		case 7:
			sawGraph = true
			return decodeGraph(p, &m.Graph)
		case 25:
			f, err := decodeFunction(p)
			if err != nil {
				return err
			}
			m.Functions = append(m.Functions, f)
		case 8:
			var domain string
			var version int64
			if err := fields(p, func(num protowire.Number, _ protowire.Type, v uint64, p []byte) error {
				if num == 1 {
					domain = string(p)
				} else if num == 2 {
					version = int64(v)
				}
				return nil
			}); err != nil {
				return err
			}
			if domain == "" || domain == "ai.onnx" {
				m.Opset = version
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawGraph || len(m.Graph.Nodes) == 0 {
		return nil, errors.New("not an ONNX model: no graph with nodes")
	}
	return m, nil
}

func decodeGraph(b []byte, g *Graph) error {
	return fields(b, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
		switch num {
		case 1:
			n, err := decodeNode(p)
			if err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case 2:
			g.Name = string(p)
		case 5:
			t, err := decodeTensor(p)
			if err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case 11, 12:
			vi, err := decodeValueInfo(p)
			if err != nil {
				return err
			}
			if num == 11 {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
		}
		return nil
	})
}

func decodeFunction(b []byte) (Function, error) {
	f := Function{Defaults: map[string]Attribute{}}
	err := fields(b, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
		switch num {
		case 1:
			f.Name = string(p)
		case 4:
			f.Inputs = append(f.Inputs, string(p))
		case 5:
			f.Outputs = append(f.Outputs, string(p))
		case 6:
			f.Attrs = append(f.Attrs, string(p))
		case 7:
			n, err := decodeNode(p)
			if err != nil {
				return err
			}
			f.Nodes = append(f.Nodes, n)
		case 10:
			f.Domain = string(p)
		case 11:
			name, a, err := decodeAttribute(p)
			if err != nil {
				return err
			}
			f.Attrs = append(f.Attrs, name)
			f.Defaults[name] = a
		}
		return nil
	})
	return f, err
}

func decodeNode(b []byte) (Node, error) {
	n := Node{Attrs: map[string]Attribute{}}
	err := fields(b, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, string(p))
		case 2:
			n.Outputs = append(n.Outputs, string(p))
		case 3:
			n.Name = string(p)
		case 4:
			n.OpType = string(p)
		case 7:
			n.Domain = string(p)
		case 5:
			name, a, err := decodeAttribute(p)
			if err != nil {
				return err
			}
			n.Attrs[name] = a
		}
		return nil
	})
	return n, err
}

func decodeAttribute(b []byte) (string, Attribute, error) {
	var name string
	var a Attribute
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch num {
		case 1:
			name = string(p)
		case 2:
			a.Float = math.Float32frombits(uint32(v))
		case 3:
			a.Int = int64(v)
		case 4:
			a.String = string(p)
		case 5:
			t, err := decodeTensor(p)
			if err != nil {
				return err
			}
			a.Tensor = &t
		case 7:
			if typ == protowire.BytesType {
				fs, err := packedFloats(p)
				a.Floats = append(a.Floats, fs...)
				return err
			}
			a.Floats = append(a.Floats, math.Float32frombits(uint32(v)))
		case 8:
			if typ == protowire.BytesType {
				is, err := packedVarints(p)
				a.Ints = append(a.Ints, is...)
				return err
			}
			a.Ints = append(a.Ints, int64(v))
		case 21:
			a.Ref = string(p)
		}
		return nil
	})
	return name, a, err
}

func decodeValueInfo(b []byte) (ValueInfo, error) {
	var vi ValueInfo
	err := fields(b, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
		switch num {
		case 1:
			vi.Name = string(p)
		case 2: // TypeProto
			return fields(p, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
				if num != 1 { // tensor_type
					return nil
				}
				return fields(p, func(num protowire.Number, _ protowire.Type, v uint64, p []byte) error {
					switch num {
					case 1:
						vi.ElemType = int32(v)
					case 2: // TensorShapeProto
						vi.HasShape = true
						return fields(p, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
							if num != 1 {
								return nil
							}
							d := int64(-1)
							err := fields(p, func(num protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
								if num == 1 {
									d = int64(v)
								}
								return nil
							})
							vi.Shape = append(vi.Shape, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}

// maxTensorValues bounds one tensor (1 GiB of float32).
const maxTensorValues = 1 << 28

func decodeTensor(b []byte) (Tensor, error) {
	var t Tensor
	var raw []byte
	var f64 []float64
	var ext *externalRef
	external := false
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		var err error
		switch num {
		case 1:
			if typ == protowire.BytesType {
				var is []int64
				is, err = packedVarints(p)
				t.Dims = append(t.Dims, is...)
			} else {
				t.Dims = append(t.Dims, int64(v))
			}
		case 2:
			t.DataType = int32(v)
		case 4:
			if typ == protowire.BytesType {
				var fs []float32
				fs, err = packedFloats(p)
				t.Floats = append(t.Floats, fs...)
			} else {
				t.Floats = append(t.Floats, math.Float32frombits(uint32(v)))
			}
		case 5, 7, 11: // int32_data, int64_data, uint64_data
			if typ == protowire.BytesType {
				var is []int64
				is, err = packedVarints(p)
				t.Ints = append(t.Ints, is...)
			} else {
				t.Ints = append(t.Ints, int64(v))
			}
		case 8:
			t.Name = string(p)
		case 9:
			raw = p
		case 10:
			if typ == protowire.BytesType {
				for len(p) >= 8 {
					f64 = append(f64, math.Float64frombits(binary.LittleEndian.Uint64(p)))
					p = p[8:]
				}
			} else {
				f64 = append(f64, math.Float64frombits(v))
			}
		case 13: // external_data: key/value entries
			if ext == nil {
				ext = &externalRef{}
			}
			var key, val string
			if err := fields(p, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
				if num == 1 {
					key = string(p)
				} else if num == 2 {
					val = string(p)
				}
				return nil
			}); err != nil {
				return err
			}
			switch key {
			case "location":
				ext.location = val
			case "offset", "length":
				n, perr := strconv.ParseInt(val, 10, 64)
				if perr != nil || n < 0 {
					return fmt.Errorf("tensor %q: external data %s %q", t.Name, key, val)
				}
				if key == "offset" {
					ext.offset = n
				} else {
					ext.length, ext.hasLength = n, true
				}
			}
		case 14:
			external = v == 1
		}
		return err
	})
	if err != nil {
		return t, err
	}
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 || d > maxTensorValues {
			return t, fmt.Errorf("tensor %q has dimensions %v", t.Name, t.Dims)
		}
		if n *= max(d, 0); n > maxTensorValues {
			return t, fmt.Errorf("tensor %q with dimensions %v is too large", t.Name, t.Dims)
		}
	}
	if external {
		if ext == nil || ext.location == "" {
			return t, fmt.Errorf("tensor %q is stored externally without a location", t.Name)
		}
		if elementBytes(t.DataType) == 0 {
			return t, fmt.Errorf("tensor %q has data type %d, which convlens does not read", t.Name, t.DataType)
		}
		t.external = ext
		return t, nil
	}
	return t, t.fill(raw, f64, n)
}

// elementBytes is the size of one raw value of a data type (0: not read).
func elementBytes(dt int32) int64 {
	switch dt {
	case typeDouble, typeInt64, typeUint64:
		return 8
	case typeFloat, typeInt32, typeUint32:
		return 4
	case typeFloat16, typeBFloat16, typeInt16, typeUint16:
		return 2
	case typeInt8, typeUint8, typeBool:
		return 1
	}
	return 0
}

// fill converts the decoded data (raw bytes, doubles or the typed lists) into Floats or Ints.
func (t *Tensor) fill(raw []byte, f64 []float64, n int64) error {
	eb := elementBytes(t.DataType)
	if eb == 0 {
		return fmt.Errorf("tensor %q has data type %d (want a float or an integer type)", t.Name, t.DataType)
	}
	if raw != nil && int64(len(raw)) != n*eb {
		return fmt.Errorf("tensor %q: dimensions %v need %d bytes, the file holds %d", t.Name, t.Dims, n*eb, len(raw))
	}
	if isFloatType(t.DataType) {
		switch {
		case raw != nil:
			t.Floats = rawFloats(raw, t.DataType)
		case f64 != nil:
			t.Floats = make([]float32, len(f64))
			for i, x := range f64 {
				t.Floats[i] = float32(x)
			}
		case t.DataType == typeFloat16 || t.DataType == typeBFloat16:
			t.Floats = make([]float32, len(t.Ints))
			for i, x := range t.Ints {
				if t.DataType == typeFloat16 {
					t.Floats[i] = halfToFloat(uint16(x))
				} else {
					t.Floats[i] = math.Float32frombits(uint32(uint16(x)) << 16)
				}
			}
			t.Ints = nil
		}
		if t.Floats == nil {
			t.Floats = []float32{}
		}
		if int64(len(t.Floats)) != n {
			return fmt.Errorf("tensor %q: dimensions %v need %d values, the file holds %d", t.Name, t.Dims, n, len(t.Floats))
		}
		return nil
	}
	if raw != nil {
		t.Ints = rawInts(raw, t.DataType)
	}
	if t.Ints == nil {
		t.Ints = []int64{}
	}
	if int64(len(t.Ints)) != n {
		return fmt.Errorf("tensor %q: dimensions %v need %d values, the file holds %d", t.Name, t.Dims, n, len(t.Ints))
	}
	return nil
}

func packedVarints(p []byte) ([]int64, error) {
	var out []int64
	for len(p) > 0 {
		v, n := protowire.ConsumeVarint(p)
		if n < 0 {
			return nil, errTruncated
		}
		out = append(out, int64(v))
		p = p[n:]
	}
	return out, nil
}

func packedFloats(p []byte) ([]float32, error) {
	if len(p)%4 != 0 {
		return nil, errTruncated
	}
	out := make([]float32, len(p)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return out, nil
}

func rawFloats(raw []byte, dt int32) []float32 {
	switch dt {
	case typeBFloat16:
		out := make([]float32, len(raw)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
		return out
	case typeDouble:
		out := make([]float32, len(raw)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
		return out
	case typeFloat16:
		out := make([]float32, len(raw)/2)
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		return out
	}
	out, _ := packedFloats(raw[:len(raw)/4*4])
	return out
}

func rawInts(raw []byte, dt int32) []int64 {
	var out []int64
	switch dt {
	case typeInt64, typeUint64:
		for i := 0; i+8 <= len(raw); i += 8 {
			out = append(out, int64(binary.LittleEndian.Uint64(raw[i:])))
		}
	case typeInt32:
		for i := 0; i+4 <= len(raw); i += 4 {
			out = append(out, int64(int32(binary.LittleEndian.Uint32(raw[i:]))))
		}
	case typeUint32:
		for i := 0; i+4 <= len(raw); i += 4 {
			out = append(out, int64(binary.LittleEndian.Uint32(raw[i:])))
		}
	case typeInt16:
		for i := 0; i+2 <= len(raw); i += 2 {
			out = append(out, int64(int16(binary.LittleEndian.Uint16(raw[i:]))))
		}
	case typeUint16:
		for i := 0; i+2 <= len(raw); i += 2 {
			out = append(out, int64(binary.LittleEndian.Uint16(raw[i:])))
		}
	case typeInt8:
		for _, b := range raw {
			out = append(out, int64(int8(b)))
		}
	default:
		for _, b := range raw {
			out = append(out, int64(b))
		}
	}
	return out
}

// halfToFloat converts an IEEE 754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int32(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		return float32(math.Copysign(float64(frac)/1024*math.Pow(2, -14), float64(int32(sign)|1)))
	case exp == 31:
		if frac == 0 {
			return math.Float32frombits(sign | 0x7f800000)
		}
		return float32(math.NaN())
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// DecodeTensor parses a serialised TensorProto (the .pb files of ONNX test data sets).
func DecodeTensor(b []byte) (*Tensor, error) {
	t, err := decodeTensor(b)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

package nd

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/convlens/convlens/internal/atomicfile"
)

// NumPy .npy files (format version 1.0–3.0) holding little-endian float32 or float64 arrays.

const npyMagic = "\x93NUMPY"

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([<>|=]?[a-z]\d+)'`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// WriteNpy writes a as a float32 .npy file.
func WriteNpy(path string, a Array) error {
	var buf bytes.Buffer
	if err := encodeNpy(&buf, a); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}

// encodeNpy writes a as float32 .npy bytes.
func encodeNpy(buf *bytes.Buffer, a Array) error {
	if err := a.Validate(); err != nil {
		return err
	}
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape)
	pad := 64 - (len(npyMagic)+4+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	buf.WriteString(npyMagic)
	buf.Write([]byte{1, 0})
	binary.Write(buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	return binary.Write(buf, binary.LittleEndian, a.Data)
}

// ReadNpy reads a float32 or float64 .npy file (C order) into a float32 array.
func ReadNpy(path string) (Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return Array{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Array{}, err
	}
	a, err := decodeNpy(f, st.Size())
	if err != nil {
		return Array{}, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

func decodeNpy(r io.Reader, size int64) (Array, error) {
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil || string(pre[:6]) != npyMagic {
		return Array{}, fmt.Errorf("not a .npy file")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var n uint16
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return Array{}, fmt.Errorf("truncated .npy header")
		}
		hlen = int(n)
	case 2, 3:
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return Array{}, fmt.Errorf("truncated .npy header")
		}
		hlen = int(n)
	default:
		return Array{}, fmt.Errorf(".npy format version %d.%d not supported", pre[6], pre[7])
	}
	if int64(hlen) > size {
		return Array{}, fmt.Errorf("truncated .npy header")
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Array{}, fmt.Errorf("truncated .npy header")
	}
	h := string(hdr)
	d, o, s := npyDescr.FindStringSubmatch(h), npyOrder.FindStringSubmatch(h), npyShape.FindStringSubmatch(h)
	if d == nil || o == nil || s == nil {
		return Array{}, fmt.Errorf("unreadable .npy header %q", strings.TrimSpace(h))
	}
	if o[1] == "True" {
		return Array{}, fmt.Errorf(".npy in Fortran order is not supported (save a C-ordered array)")
	}
	var shape []int
	n := int64(1)
	for _, part := range strings.Split(s[1], ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil || v < 1 {
			return Array{}, fmt.Errorf(".npy shape (%s): want positive dimensions", s[1])
		}
		shape = append(shape, v)
		if int64(v) > size || n > size/int64(v) { // checked before multiplying: no overflow
			return Array{}, fmt.Errorf(".npy shape (%s) is larger than the file", s[1])
		}
		n *= int64(v)
	}
	if len(shape) == 0 {
		shape = []int{1}
	}
	var order binary.ByteOrder = binary.LittleEndian
	descr := strings.TrimLeft(d[1], "<=|")
	if strings.HasPrefix(d[1], ">") {
		order, descr = binary.BigEndian, d[1][1:]
	}
	width := map[string]int64{"f4": 4, "f8": 8, "i1": 1, "u1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "i8": 8, "u8": 8}[descr]
	if width == 0 {
		return Array{}, fmt.Errorf(".npy dtype %s not supported (want float32, float64 or an integer type)", d[1])
	}
	raw := make([]byte, n*width)
	if _, err := io.ReadFull(r, raw); err != nil {
		return Array{}, fmt.Errorf(".npy data truncated: shape %v needs %d bytes", shape, n*width)
	}
	out := Array{Shape: shape, Data: make([]float32, n)}
	for i := range out.Data {
		out.Data[i] = npyValue(descr, order, raw[int64(i)*width:])
	}
	return out, nil
}

// npyValue decodes one element of a supported dtype as float32 (integers are exact up to 2^24).
func npyValue(descr string, order binary.ByteOrder, b []byte) float32 {
	switch descr {
	case "f4":
		return math.Float32frombits(order.Uint32(b))
	case "f8":
		return float32(math.Float64frombits(order.Uint64(b)))
	case "i1":
		return float32(int8(b[0]))
	case "u1":
		return float32(b[0])
	case "i2":
		return float32(int16(order.Uint16(b)))
	case "u2":
		return float32(order.Uint16(b))
	case "i4":
		return float32(int32(order.Uint32(b)))
	case "u4":
		return float32(order.Uint32(b))
	case "i8":
		return float32(int64(order.Uint64(b)))
	default: // u8
		return float32(order.Uint64(b))
	}
}

package training

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/convlens/convlens/data"
	"github.com/convlens/convlens/layers"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A checkpoint directory holds:
//
//	model.json            the Meta: model spec, dataset and training configuration
//	history.json          the training History up to the newest checkpoint
//	ckpt-00000938.bin     every variable (weights, optimizer state, RNG, step)
//
// A .bin file is "CLCKPT1\n", a little-endian uint32 header length, a JSON header,
// the raw variable bytes, then a CRC-32 (IEEE) of everything before it.
const (
	ckptMagic   = "CLCKPT1\n"
	metaFile    = "model.json"
	historyFile = "history.json"
	maxHeader   = 16 << 20
)

// Meta describes what a checkpoint directory was trained on.
type Meta struct {
	Spec    *layers.Spec `json:"spec"`
	Dataset string       `json:"dataset"`
	// Source is where the data came from (absent in older checkpoints).
	Source  *data.Source `json:"source,omitempty"`
	Classes []string     `json:"classes"`
	Config  Config       `json:"config"`
}

type ckptVar struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	Shape     []int  `json:"shape"`
	Bytes     int    `json:"bytes"`
	Trainable bool   `json:"trainable"`
}

type ckptHeader struct {
	Step int64     `json:"step"`
	Vars []ckptVar `json:"vars"`
}

var allowedDTypes = map[dtypes.DType]bool{
	dtypes.Float32: true, dtypes.Float64: true, dtypes.Int32: true, dtypes.Int64: true,
	dtypes.Uint32: true, dtypes.Uint64: true,
}

func checkpointName(step int64) string { return fmt.Sprintf("ckpt-%08d.bin", step) }

// encodeCheckpoint serialises every variable of ctx.
func encodeCheckpoint(ctx *context.Context, step int64) ([]byte, error) {
	var hdr ckptHeader
	hdr.Step = step
	var data bytes.Buffer
	var err error
	ctx.EnumerateVariables(func(v *context.Variable) {
		if err != nil {
			return
		}
		if !allowedDTypes[v.DType()] {
			err = fmt.Errorf("variable %s: dtype %s not supported in checkpoints", v.ScopeAndName(), v.DType())
			return
		}
		var t *tensors.Tensor
		if t, err = v.Value(); err != nil {
			return
		}
		n := 0
		err = t.ConstBytes(func(b []byte) { n, _ = data.Write(b) })
		hdr.Vars = append(hdr.Vars, ckptVar{Scope: v.Scope(), Name: v.Name(), DType: v.DType().String(),
			Shape: v.Shape().Dimensions, Bytes: n, Trainable: v.Trainable})
	})
	if err != nil {
		return nil, fmt.Errorf("saving checkpoint: %w", err)
	}
	hjson, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	var file bytes.Buffer
	file.WriteString(ckptMagic)
	_ = binary.Write(&file, binary.LittleEndian, uint32(len(hjson)))
	file.Write(hjson)
	file.Write(data.Bytes())
	_ = binary.Write(&file, binary.LittleEndian, crc32.ChecksumIEEE(file.Bytes()))
	return file.Bytes(), nil
}

// pruneCheckpoints deletes all but the newest keep checkpoints (keep <= 0 keeps all).
func pruneCheckpoints(dir string, keep int) {
	if keep > 0 {
		list, _ := ListCheckpoints(dir)
		for i := 0; i+keep < len(list); i++ {
			_ = os.Remove(list[i])
		}
	}
}

// ListCheckpoints returns the checkpoint files of dir, oldest first.
func ListCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint dir: %w", err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "ckpt-") && strings.HasSuffix(e.Name(), ".bin") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ErrNoCheckpoint is returned when a directory holds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// LatestCheckpoint returns the newest checkpoint file of dir.
func LatestCheckpoint(dir string) (string, error) {
	list, err := ListCheckpoints(dir)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
	}
	return list[len(list)-1], nil
}

// readCheckpoint parses and verifies a checkpoint file.
func readCheckpoint(path string) (*ckptHeader, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint %s is corrupt: %s", path, fmt.Sprintf(format, args...))
	}
	if len(b) < len(ckptMagic)+8 || string(b[:len(ckptMagic)]) != ckptMagic {
		return nil, nil, bad("not a convlens checkpoint (bad magic)")
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, nil, bad("checksum mismatch (truncated or modified)")
	}
	hlen := int(binary.LittleEndian.Uint32(body[len(ckptMagic):]))
	rest := body[len(ckptMagic)+4:]
	if hlen > maxHeader || hlen > len(rest) {
		return nil, nil, bad("header length %d", hlen)
	}
	var hdr ckptHeader
	if err := json.Unmarshal(rest[:hlen], &hdr); err != nil {
		return nil, nil, bad("header: %v", err)
	}
	data := rest[hlen:]
	total := 0
	for _, v := range hdr.Vars {
		dt, err := dtypes.DTypeString(v.DType)
		if err != nil || !allowedDTypes[dt] {
			return nil, nil, bad("variable %s/%s has dtype %q", v.Scope, v.Name, v.DType)
		}
		n := dt.Size()
		for _, d := range v.Shape {
			if d < 0 || d > 1<<30 || (d > 0 && n > len(b)/d) {
				return nil, nil, bad("variable %s/%s has shape %v, larger than the file", v.Scope, v.Name, v.Shape)
			}
			n *= d
		}
		if n != v.Bytes {
			return nil, nil, bad("variable %s/%s: %d bytes for shape %v", v.Scope, v.Name, v.Bytes, v.Shape)
		}
		total += n
	}
	if total != len(data) {
		return nil, nil, bad("%d data bytes, header promises %d", len(data), total)
	}
	// The name orders checkpoints: one whose name disagrees with its step (a copy) would
	// make resume pick the wrong one.
	if base := filepath.Base(path); strings.HasPrefix(base, "ckpt-") && base != checkpointName(hdr.Step) {
		return nil, nil, bad("it holds step %d but is named %s (want %s)", hdr.Step, base, checkpointName(hdr.Step))
	}
	return &hdr, data, nil
}

// setVariables sets every variable of a verified checkpoint in ctx.
func setVariables(path string, hdr *ckptHeader, data []byte, ctx *context.Context) error {
	off := 0
	return layers.Safe("loading "+path, func() error {
		for _, v := range hdr.Vars {
			dt, _ := dtypes.DTypeString(v.DType)
			t := tensors.FromShape(shapes.Make(dt, v.Shape...))
			if err := t.MutableBytes(func(b []byte) { copy(b, data[off:off+v.Bytes]) }); err != nil {
				return err
			}
			off += v.Bytes
			if old := ctx.GetVariableByScopeAndName(v.Scope, v.Name); old != nil {
				if !old.Shape().Equal(t.Shape()) {
					return fmt.Errorf("variable %s/%s: checkpoint shape %s, model wants %s", v.Scope, v.Name, t.Shape(), old.Shape())
				}
				if err := old.SetValue(t); err != nil {
					return err
				}
				continue
			}
			ctx.InAbsPath(v.Scope).Checked(false).VariableWithValue(v.Name, t).SetTrainable(v.Trainable)
		}
		return nil
	})
}

// WriteMeta writes dir/model.json.
func WriteMeta(dir string, meta *Meta) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint dir: %w", err)
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, metaFile), b)
}

// ReadMeta reads and validates dir/model.json.
func ReadMeta(dir string) (*Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, fmt.Errorf("checkpoint dir %s: %w", dir, err)
	}
	var meta Meta
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("checkpoint dir %s: %s is corrupt: %w", dir, metaFile, err)
	}
	if meta.Spec == nil {
		return nil, fmt.Errorf("checkpoint dir %s: %s has no model spec", dir, metaFile)
	}
	if err := meta.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint dir %s: %w", dir, err)
	}
	return &meta, nil
}

// Loaded is a model restored from a checkpoint directory.
type Loaded struct {
	Model   *layers.Model
	Meta    *Meta
	History *History
	Step    int64
	Path    string
	// Skipped says which newer checkpoints failed verification and why.
	Skipped []string
}

// Load restores the newest checkpoint of dir (or the given .bin file) onto backend b.
func Load(dir string, b Backend) (*Loaded, error) {
	path := ""
	if strings.HasSuffix(dir, ".bin") {
		path, dir = dir, filepath.Dir(dir)
	}
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	candidates := []string{path}
	if path == "" {
		if candidates, err = ListCheckpoints(dir); err != nil {
			return nil, err
		}
		if len(candidates) == 0 {
			return nil, fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
		}
		slices.Reverse(candidates)
	}
	want, err := meta.Spec.VariableShapes()
	if err != nil {
		return nil, err
	}
	var skipped []string
	for i, path := range candidates {
		hdr, raw, err := readCheckpoint(path)
		if err != nil {
			if i+1 < len(candidates) {
				skipped = append(skipped, err.Error())
				continue // an older checkpoint may verify
			}
			if len(skipped) > 0 {
				err = fmt.Errorf("%w (and %d newer checkpoint(s) skipped: %s)", err, len(skipped), strings.Join(skipped, "; "))
			}
			return nil, err
		}
		if err := checkShapes(path, hdr, want); err != nil {
			return nil, err
		}
		m, err := layers.NewEmpty(meta.Spec, b)
		if err != nil {
			return nil, err
		}
		if err := setVariables(path, hdr, raw, m.Ctx); err != nil {
			return nil, err
		}
		hist, err := ReadHistory(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		hist.TruncateAfter(hdr.Step)
		return &Loaded{Model: m, Meta: meta, History: hist, Step: hdr.Step, Path: path, Skipped: skipped}, nil
	}
	return nil, fmt.Errorf("%w in %s", ErrNoCheckpoint, dir)
}

// checkShapes compares the checkpoint's layer variables with the shapes the spec implies.
func checkShapes(path string, hdr *ckptHeader, want map[string][]int) error {
	got := map[string][]int{}
	for _, v := range hdr.Vars {
		got[v.Scope+"/"+v.Name] = v.Shape
	}
	for _, key := range slices.Sorted(maps.Keys(want)) { // sorted: the same error every run
		shape := want[key]
		g, ok := got[key]
		if !ok {
			return fmt.Errorf("checkpoint %s lacks variable %s of the model", path, key)
		}
		if !slices.Equal(g, shape) {
			return fmt.Errorf("checkpoint %s: variable %s has shape %v, the model wants %v", path, key, g, shape)
		}
	}
	return nil
}

// ReadHistory reads dir/history.json.
func ReadHistory(dir string) (*History, error) {
	f, err := os.Open(filepath.Join(dir, historyFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h History
	if err := json.NewDecoder(io.LimitReader(f, 1<<30)).Decode(&h); err != nil {
		return nil, fmt.Errorf("%s in %s is corrupt: %w", historyFile, dir, err)
	}
	return &h, nil
}

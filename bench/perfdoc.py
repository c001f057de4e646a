#!/usr/bin/env python3
"""Turns `go test -bench` output into docs/PERFORMANCE.md: ratios against the targets."""
import json, os, platform, re, statistics, subprocess, sys, datetime

raw = open(sys.argv[1]).read()
rows = {}  # benchmark name -> metrics of each run of it (bench/run.sh repeats some in rounds)
for line in raw.splitlines():
    m = re.match(r"^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+([\d.]+) ns/op(.*)$", line)
    if not m:
        continue
    metrics = {"ns/op": float(m.group(4))}
    for val, unit in re.findall(r"([\d.e+]+) (\S+)", m.group(5)):
        metrics[unit] = float(val)
    rows.setdefault(m.group(1), []).append(metrics)

def get(name, unit="ns/op"):
    """The median over the runs of a benchmark (None when it did not run)."""
    vals = [r[unit] for r in rows.get(name, []) if unit in r]
    return statistics.median(vals) if vals else None

def runs(name):
    return len(rows.get(name, []))

CPUINFO = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""

def cpuinfo(key):
    """The first value of key in /proc/cpuinfo ("" when absent)."""
    return (re.findall(rf"^{key}\s*:\s*(.*)$", CPUINFO, re.M) or [""])[0].strip()

def cpu():
    """The model name, with the CPU family and model (VMs often name only the vendor's line)."""
    name = cpuinfo("model name") or platform.processor() or "unknown CPU"
    family = cpuinfo("cpu family")
    return f"{name} (family {family}, model {cpuinfo('model')})" if family else name

def peak():
    """FP32 peak of the machine's cores and how it is counted: cores × clock × FLOP per cycle, where
    one 256-bit FMA is 16 FLOP and AMD Zen 2-4 and AVX2 Intel cores issue two a cycle (Zen 4 runs
    AVX-512 as two 256-bit halves); Intel cores with AVX-512 and AMD Zen 5 (family 26) issue two
    512-bit FMAs."""
    mhz = [float(x) for x in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", CPUINFO, re.M)]
    flags = set(cpuinfo("flags").split())
    family = int(cpuinfo("cpu family") or 0)
    if not mhz:
        return None, "unknown (no /proc/cpuinfo)"
    amd = "AuthenticAMD" in CPUINFO
    wide512 = "avx512f" in flags and (not amd or family >= 26)
    per_cycle = 64 if wide512 else 32 if {"avx2", "fma"} <= flags else 16
    cores, ghz = os.cpu_count(), max(mhz) / 1e3
    return cores * ghz * per_cycle, f"{cores} cores × {ghz:.2f} GHz × {per_cycle} FP32 FLOP/cycle"


def paired(conv, torch):
    """Ratios convlens / PyTorch of the rounds both ran (bench/run.sh alternates them round by
    round, so each pair met the same load): their median, min and max, or None."""
    r = [c / t for c, t in zip(conv, torch) if c and t]
    return (statistics.median(r), min(r), max(r)) if r else None


def torch_anchor(path):
    """PyTorch results from bench/torch_throughput.py: meta, per-key lists, and why it is missing."""
    meta, res, why = {}, {}, None
    if path and os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r["what"] == "meta":
                meta = r
            elif r["what"] == "unavailable":
                why = r.get("why", "unavailable")
            elif r["what"] == "train":
                res.setdefault(("train", r["model"], r["batch"]), []).append(r.get("median_images_per_s", r["images_per_s"]))
            else:
                res.setdefault((r["what"], r["model"], r["batch"]), []).append(r["ms"])
    else:
        why = "not run (no bench/run.sh anchor file)"
    return meta, res, why if not res else None


def paired_table(w, bench, batches, intro, header, row):
    """A table of a paired Go benchmark (two trainers alternating step by step), one row per model and
    batch that ran: row(name, model, batch) gives a row's cells after the model and batch."""
    cases = [(m, b) for m in ["lenet", "tinyvgg", "resnet"] for b in batches
             if get(f"{bench}/xla/{m}/batch={b}", "pair-speedup")]
    if not cases:
        return
    w(intro + "\n")
    w("| model | batch | " + " | ".join(header) + " |")
    w("|---|---|" + "---|" * len(header))
    for m, b in cases:
        w(f"| {m} | {b} | " + " | ".join(row(f"{bench}/xla/{m}/batch={b}", b)) + " |")
    w("")


def paired_devices(w):
    """BenchmarkDevicesPaired: one device against two, step by step, behind AutoDevices' threshold."""
    paired_table(
        w, "BenchmarkDevicesPaired", [32, 64],
        "Two shards on the CPU plugin's devices against one step, alternating step by step in one process "
        "(`go test -run '^$' -bench BenchmarkDevicesPaired -benchtime 40x ./training`; speed-up = median over the pairs of "
        "one-device time / two-device time). `-devices auto` splits only where a shard keeps ≥ 64 images: none of these.",
        ["shard", "one device images/s", "two devices images/s", "speed-up", "auto splits"],
        lambda name, b: [str(b // 2), f"{get(name, 'one-device-images/s'):,.0f}", f"{get(name, 'two-device-images/s'):,.0f}",
                         f"{get(name, 'pair-speedup'):.2f}×", "yes" if (get(name, "auto-devices") or 1) > 1 else "no"])


def paired_store(w):
    """BenchmarkStoreConvInputsPaired: the same step with Model.StoreConvInputs off and on."""
    paired_table(
        w, "BenchmarkStoreConvInputsPaired", [64, 256],
        "Convolution inputs stored once for the kernel gradients (`Model.StoreConvInputs`, on by default on XLA CPU; "
        "docs/DESIGN.md), against the same step without, alternating step by step in one process with `-devices auto` "
        "(`go test -run '^$' -bench BenchmarkStoreConvInputsPaired -benchtime 30x ./training`; speed-up = median over "
        "the pairs of the time without / the time with).",
        ["devices", "without images/s", "with images/s", "speed-up"],
        lambda name, b: [f"{get(name, 'devices'):.0f}", f"{get(name, 'without-images/s'):,.0f}",
                         f"{get(name, 'with-images/s'):,.0f}", f"{get(name, 'pair-speedup'):.2f}×"])


def verdict(ratio):
    return "met" if ratio >= 1.0 else f"missed by {1/ratio:.2f}×"


def against_pytorch(w, path):
    meta, rounds_of, why = torch_anchor(path)
    t = {k: statistics.median(v) for k, v in rounds_of.items()}
    pk, pk_how = peak()
    w("## Against PyTorch (same run)\n")
    if why:
        w(f"**PyTorch anchor unavailable in this run: {why}.** convlens figures are below without ratios; "
          "`scripts/install-torch-anchor.sh` installs the anchor (torch from PyPI, about 4 GB).\n")
    else:
        w(f"`make bench` (bench/run.sh) alternates PyTorch {meta.get('torch', '?')} eager CPU "
          f"(`torch.set_num_threads({meta.get('threads', '?')})`, oneDNN {'on' if meta.get('mkldnn') else 'off'}; "
          "`bench/torch_throughput.py`) with convlens on XLA CPU, round by round and configuration by configuration, on "
          "the same architectures, batch sizes, optimiser (Adam) and synthetic inputs. Each figure is the median over rounds of the median step "
          "(convlens: `go test -run '^$' -bench BenchmarkTrainStep/xla -benchtime 30x ./training`, with `convlens train`'s "
          "default `-devices auto`, which splits batches over the XLA CPU plugin's devices where each shard gets ≥ 64 "
          "images; the last column is the same step on one device, from `BenchmarkTrainStepDevices` at batch 256 and "
          "`BenchmarkDevicesPaired` at batch 64); ratio = convlens / "
          "PyTorch, so above 1 is faster than PyTorch.\n")
    w(f"Peak FP32 of this machine: {pk_how}" + (f" = {pk:.0f} GFLOP/s. " if pk else ". ") +
      "A training step is counted as 3× the forward FLOPs of `convlens inspect` (backward = input + weight "
      "gradients).\n")
    w("The ratio is the median over rounds of each round's convlens / PyTorch, with the lowest and highest round beside "
      "it: both sides of a round ran back to back, so a round's ratio is steadier than either side's figure.\n")
    w("| model | batch | convlens images/s (devices) | PyTorch images/s | ratio (rounds' range) | target ≥ 1.0 (aim 1.5) | convlens GFLOP/s (% of peak) | PyTorch GFLOP/s (% of peak) | convlens on one device: images/s, ratio |")
    w("|---|---|---|---|---|---|---|---|---|")
    for model in ["lenet", "tinyvgg", "resnet"]:
        for batch in [64, 256]:
            name = f"BenchmarkTrainStep/xla/{model}/batch={batch}"
            c, gf = get(name, "median-images/s"), get(name, "train-GFLOP/s")
            p = t.get(("train", model, batch))
            if not c:
                continue
            flop_per_image = gf * 1e9 / c if gf else None
            pct = lambda g: f"{g:.1f} ({100*g/pk:.0f} %)" if pk else f"{g:.1f}"
            cg = pct(gf) if gf else "–"
            dev = int(get(name, "devices") or 1)
            one = c
            if dev > 1:
                one = (get(f"BenchmarkTrainStepDevices/xla/{model}/batch={batch}/devices=1", "median-images/s") or
                       get(f"BenchmarkDevicesPaired/xla/{model}/batch={batch}", "one-device-images/s"))
            if p:
                pg = pct(p * flop_per_image / 1e9) if flop_per_image else "–"
                single = f"{one:,.0f}, {one/p:.2f}×" if one else "–"
                pr = paired([r.get("median-images/s") for r in rows.get(name, [])], rounds_of.get(("train", model, batch), []))
                ratio, shown = (pr[0], f"{pr[0]:.2f}× ({pr[1]:.2f}–{pr[2]:.2f})") if pr else (c / p, f"{c/p:.2f}×")
                w(f"| {model} | {batch} | {c:,.0f} ({dev}) | {p:,.0f} | {shown} | {verdict(ratio)} | {cg} | {pg} | {single} |")
            else:
                w(f"| {model} | {batch} | {c:,.0f} ({dev}) | – | – | – | {cg} | – | {f'{one:,.0f}' if one else '–'} |")
    w("")
    w("Explanations, LeNet (XLA CPU; `go test -run '^$' -bench 'BenchmarkMethods/xla/lenet/batch=.*/^(saliency|grad-cam)$' "
      "-benchtime 30x ./explain`, mean per call including the copy of the maps to the host). PyTorch saliency is one "
      "forward + `autograd.grad` to the input and the channel max of |∂score/∂x|; its Grad-CAM rows are "
      "pytorch-grad-cam 1.5.7's `GradCAM` on the ReLU after conv2 (the library a user would pick) and the same "
      "computation written directly with autograd.\n")
    w("| method | batch | convlens | PyTorch | ratio (PyTorch time / convlens time; rounds' range) | target ≥ 1.0 |")
    w("|---|---|---|---|---|---|")
    for meth, peers in [("saliency", [("saliency", "autograd")]),
                        ("grad-cam", [("gradcam_library", "pytorch-grad-cam"), ("gradcam_autograd", "autograd, hand-written")])]:
        for batch in [1, 64]:
            c = get(f"BenchmarkMethods/xla/lenet/batch={batch}/{meth}")
            if not c:
                continue
            for key, label in peers:
                p = t.get((key, "lenet", batch))
                if p:
                    # PyTorch time / convlens time, round by round: the ratio of speeds.
                    pr = paired(rounds_of.get((key, "lenet", batch), []),
                                [r["ns/op"] / 1e6 for r in rows.get(f"BenchmarkMethods/xla/lenet/batch={batch}/{meth}", [])])
                    r, shown = (pr[0], f"{pr[0]:.2f}× ({pr[1]:.2f}–{pr[2]:.2f})") if pr else (p / (c / 1e6), f"{p / (c / 1e6):.2f}×")
                    w(f"| {meth} vs {label} | {batch} | {c/1e6:.2f} ms | {p:.2f} ms | {shown} | {verdict(r)} |")
                else:
                    w(f"| {meth} | {batch} | {c/1e6:.2f} ms | – | – | – |")
    w("")
    if not why:
        rounds = max(len(v) for v in rounds_of.values()) if rounds_of else 0
        w(f"Rounds: {rounds} for PyTorch, {runs('BenchmarkTrainStep/xla/lenet/batch=64')} for convlens. On this shared "
          "2-core VM single figures move by ±30 % between runs; ratios are taken within the same run.\n")
    paired_store(w)
    paired_devices(w)
    once = os.path.join(os.path.dirname(os.path.abspath(__file__)), "against-pytorch.md")
    if os.path.exists(once):
        w(open(once).read())


go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
machine = f"{cpu()}, {os.cpu_count()} cores, {go}, XLA CPU plugin lammps-jax-pjrt-cpu 0.11.2 (PJRT v0.115)"
out = []
w = out.append
w("# Performance\n")
finished = datetime.datetime.fromtimestamp(os.path.getmtime(sys.argv[1]), datetime.timezone.utc)  # the raw output's last write
w(f"Regenerate with `make bench` (runs `bench/run.sh`, then `bench/perfdoc.py`). Last run: "
  f"{finished:%Y-%m-%d %H:%M} UTC on {machine}.\n")
w("Benchmarks are Go benchmarks (`go test -bench`); no test asserts a timing. Raw output: `out/bench/raw.txt`.\n")

against_pytorch(w, sys.argv[3] if len(sys.argv) > 3 else None)

w("## Training throughput: XLA CPU vs SimpleGo\n")
w("Commands: `go test -run '^$' -bench BenchmarkTrainStep/xla -benchtime 30x ./training` and `... BenchmarkTrainStep/go -benchtime 10x ...` "
  "(one Adam step: forward, backward, update; synthetic data; compilation excluded; images/s over all timed steps).\n")
w("| model | batch | XLA CPU images/s | SimpleGo images/s | ratio | target |")
w("|---|---|---|---|---|---|")
for model in ["lenet", "tinyvgg"]:
    for batch in [64, 256]:
        x = get(f"BenchmarkTrainStep/xla/{model}/batch={batch}", "images/s")
        g = get(f"BenchmarkTrainStep/go/{model}/batch={batch}", "images/s")
        if x and g:
            ratio = x / g
            verdict = "met" if ratio >= 20 else f"missed by {20/ratio:.1f}×"
            w(f"| {model} | {batch} | {x:,.0f} | {g:,.0f} | {ratio:.1f}× | ≥ 20× ({verdict}) |")
w("")
w("SimpleGo runs im2col convolutions (Gather + DotGeneral) because v0.26.0 cannot differentiate its native "
  "convolution; its matrix products are multi-threaded, the rest of its ops run one after another "
  "(`ops_sequential`, which avoids a worker-pool deadlock; see `backend/backend.go`). On XLA, max pooling keeps the "
  "native op forward but takes its gradient from a window reshape instead of XLA's SelectAndScatter, which is slow on "
  "CPU (LeNet at batch 256 went from about 5,000 to 7,700 images/s). Where the ratio stays below 20×, the models are "
  "small: SimpleGo is relatively good at their small matrix products, while XLA's per-step costs (launch, parameter "
  "and Adam-state buffers, convolutions with 6–16 channels that do not fill the vector units) weigh on a 5–35 ms step "
  "on two cores.\n")

w("## Taps and statistics overhead\n")
w("| measure | command | plain | with | ratio | target |")
w("|---|---|---|---|---|---|")
f, t = get("BenchmarkForwardVsTaps/xla/lenet/batch=256/forward"), get("BenchmarkForwardVsTaps/xla/lenet/batch=256/taps")
if f and t:
    w(f"| taps (all 13 layer outputs) vs logits-only forward, XLA, LeNet, batch 256 | `go test -run '^$' -bench BenchmarkForwardVsTaps -benchtime 100x ./layers` | {f/1e6:.2f} ms | {t/1e6:.2f} ms | {t/f:.3f} | ≤ 1.05 ({'met' if t/f <= 1.05 else 'missed'}) |")
t1 = get("BenchmarkForwardVsTaps/xla/lenet/batch=256/taps_logits_fetched")
if f and t1:
    w(f"| same taps executable, only the logits copied to the host (the device cost of computing every tap) | same command | {f/1e6:.2f} ms | {t1/1e6:.2f} ms | {t1/f:.3f} | ≤ 1.05 ({'met' if t1/f <= 1.05 else 'missed'}) |")
p, s = get("BenchmarkStatistics/xla/lenet/batch=64/plain"), get("BenchmarkStatistics/xla/lenet/batch=64/stats")
if p and s:
    w(f"| training step recording weight + gradient statistics vs plain step, XLA, LeNet, batch 64 | `go test -run '^$' -bench BenchmarkStatistics -benchtime 200x ./training` | {p/1e6:.2f} ms | {s/1e6:.2f} ms | {s/p:.3f} | ≤ 1.10 ({'met' if s/p <= 1.10 else 'missed'}) |")
w("")
w("Computing every tap inside the forward pass is within the target (second row); what the full-taps row adds on top "
  "is copying all 13 activations (4.7 MB for LeNet at batch 256) out of XLA's output buffers into newly allocated Go "
  "slices that callers own. Asking for fewer taps (`Model.Taps(images, names...)`) copies only those.")
if p and s:
    w(f"Statistics copy every weight and gradient of the step to Go and summarise them there (histogram, mean, std, min, "
      f"max, norm): {(s-p)/1e6:.2f} ms for LeNet's 61,706 parameters in this run. They are recorded every 50 steps by "
      f"default, so their amortised cost is a fiftieth of that ({(s-p)/p/50*100:.2f} % of a step).")
w("\nTimings on this shared 2-core VM vary by up to ±30 % from run to run; each ratio compares figures from the same run.\n")

w("## Explanation methods relative to one forward + backward pass\n")
w("Command: `go test -run '^$' -bench BenchmarkMethods -benchtime 5x ./explain` (XLA CPU, LeNet, random weights; "
  "saliency = one forward + backward to the input, the unit). Grad-CAM stops its backward pass at the explained layer.\n")
w("| method | batch 1 | ratio | batch 64 | ratio |")
w("|---|---|---|---|---|")
names = []
for name in rows:
    m = re.match(r"BenchmarkMethods/xla/lenet/batch=1/(.+)$", name)
    if m and m.group(1) not in names:
        names.append(m.group(1))
for meth in names:
    cells = []
    for batch in [1, 64]:
        v, base = get(f"BenchmarkMethods/xla/lenet/batch={batch}/{meth}"), get(f"BenchmarkMethods/xla/lenet/batch={batch}/saliency")
        cells.append(f"{v/1e6:.2f} ms | {v/base:.2f}×" if v and base else "– | –")
    w(f"| {meth} | {cells[0]} | {cells[1]} |")
gc, sal = get("BenchmarkMethods/xla/lenet/batch=64/grad-cam"), get("BenchmarkMethods/xla/lenet/batch=64/saliency")
if gc and sal:
    w(f"\nTarget: Grad-CAM at batch 64 ≤ 1.3× one forward + backward: {gc/sal:.2f}× ({'met' if gc/sal <= 1.3 else 'missed'}).\n")
m50 = get("BenchmarkIntegratedGradientsMemory/xla/lenet/batch=64/steps=50", "peak-RSS-MB")
m400 = get("BenchmarkIntegratedGradientsMemory/xla/lenet/batch=64/steps=400", "peak-RSS-MB")
if m50 and m400:
    w(f"Integrated gradients memory (`go test -run '^$' -bench BenchmarkIntegratedGradientsMemory -benchtime 2x ./explain`): "
      f"path points go through the model 64 at a time (Explainer.MaxBatch), so memory does not grow with the number of "
      f"steps: peak process RSS {m50:.0f} MB with 50 steps and {m400:.0f} MB with 400 steps on 64 images "
      f"(bound: MaxBatch × one image's activations and gradients, plus the N×H×W×C attribution sums).\n")

w("## Render time and size of each view\n")
w("Command: `go test -run '^$' -bench BenchmarkViews -benchtime 10x ./vizhtml`. Size is the HTML fragment "
  "(PNG images inline as base64); the ECharts library adds 1,034,102 bytes once per page.\n")
w("| view | time | HTML bytes |")
w("|---|---|---|")
for name in rows:
    if name.startswith("BenchmarkViews/"):
        w(f"| {name.split('/', 1)[1]} | {get(name)/1e6:.2f} ms | {int(get(name, 'html-bytes') or 0):,} |")
w("")
w("Bounds checked by tests: a 64-channel 28×28 feature-map grid ≤ 150 KB (`TestFeatureMapSizeBound`); "
  "the full LeNet/MNIST report ≤ 3 MB (`TestReportDrawsEveryChart`, and `make demo` prints its size).\n")
w("## GPU\n")
w("Not measured: GPU runs need a machine lent with an accelerator, and none was lent to the task that wrote this "
  "suite. On one, build `cmd/convlens` (or the benchmarks) here with cgo, carry the binary, and run with the CUDA "
  "recipe of `shared/gpu/README.md`; `-backend xla:cuda` selects the CUDA plugin. To compare with PyTorch eager and "
  "`torch.compile`, use `shared/gpu/torch_reference_cnn.py` on the same model and batch sizes (256, 1024).\n")

# One-off measurements (not regenerated by make bench) are kept beside this script.
once = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measured-once.md")
if os.path.exists(once):
    w(open(once).read())

if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
    import json
    nbs = json.load(open(sys.argv[2]))
    w("## Tutorial notebooks\n")
    w("Command: `make notebooks` (executes every notebook headless through Jupyter + GoNB on XLA CPU, in order; notebook 2 "
      "trains the LeNet the others load). Times include compiling each cell's Go program (each GoNB cell is a new "
      "program). Budget: ≤ 5 minutes each, ≤ 30 minutes in all.\n")
    w("| notebook | time | charts | executed notebook |")
    w("|---|---|---|---|")
    total = 0
    for n in nbs:
        total += n["seconds"]
        w(f"| {n['notebook']} | {n['seconds']:.0f} s | {n['charts']} | {n['bytes']/1e6:.2f} MB |")
    w(f"| all | {total/60:.1f} min | | |\n")
    w("Each executed notebook carries the ECharts library (1.03 MB) once; the rest is inline PNG images and chart data.\n")
print("\n".join(out))

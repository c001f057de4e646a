/* convlens live explorer: the model runs in the page, in the convlens engine (the same Go
   code as the command line, compiled to WebAssembly, on the SimpleGo backend). Draw or drop
   an image, or change a kernel, a bias or a channel: every value, probability and map is
   computed here. One live explorer per page (the engine is global). */

// convlensStartEngine unpacks the engine (gzip, then base64: a page opened from a file cannot
// fetch one beside it), runs it and resolves to its API.
function convlensStartEngine(b64) {
  "use strict";
  var bin = atob(b64), gz = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) gz[i] = bin.charCodeAt(i);
  return new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer().then(function (buf) {
    var go = new Go();
    return WebAssembly.instantiate(buf, go.importObject).then(function (r) {
      go.run(r.instance);
      return globalThis.convlensEngine;
    });
  });
}

// convlensLive makes an explorer (convlensExplore's result) compute live: with started
// ({engine, spec, camLayer}) on a running engine that holds the model, else on the engine
// and the model embedded beside the explorer.
function convlensLive(ex, started) {
  "use strict";
  // version counts the model's states (never reused); changed says it differs from the file's.
  var D = ex.D, root = ex.root, id = root.id, el = ex.el, E = null, version = 0, changed = false, camLayer = "";
  var modelText = started ? "" : document.getElementById(id + "-model").textContent;
  var spec = started ? started.spec : JSON.parse(modelText).spec;
  var H = D.input[0], W = D.input[1], C = D.input[2];
  var names = D.layers.map(function (L) { return L.name; });
  D.images.forEach(function (im) { im.rawData = ex.floats(im.raw); im.base = im.caption; im.version = 0; });
  root.convlensExplorer = ex; // for scripts and tests: ex.D holds every value shown

  var panel = el("div", "cl-ex-live"), status = el("p", "cl-ex-note cl-ex-livestatus", "Starting the convlens engine…");
  var tools = el("div", "cl-ex-livetools");
  panel.appendChild(status); panel.appendChild(tools);
  root.insertBefore(panel, root.firstChild);

  function perChannel(v, c, def) { return v == null ? def : (typeof v === "number" ? v : (v.length === 1 ? v[0] : v[c])); }
  function normalise(raw) { // as the model does before its first layer, in float32
    var out = new Float32Array(raw.length), f = Math.fround;
    for (var i = 0; i < raw.length; i++) {
      var c = i % C, mean = perChannel(spec.input_mean, c, 0), std = perChannel(spec.input_std, c, 1);
      out[i] = (spec.input_std && spec.input_std.length) ? f(f(raw[i] - f(mean)) * f(1 / std)) : raw[i];
    }
    return out;
  }
  function fit(v, L) { // the channels the page shows of a layer output
    var s = ex.shapes[L.name];
    if (s.length !== 3 || v.length === s[0] * s[1] * s[2]) return v;
    var full = v.length / (s[0] * s[1]), out = new Float32Array(s[0] * s[1] * s[2]);
    for (var p = 0; p < s[0] * s[1]; p++) for (var c = 0; c < s[2]; c++) out[p * s[2] + c] = v[p * full + c];
    return out;
  }
  function heatPNG(m, shape) { // a map (non-negative) min..max in viridis, as the explorer's tiles
    return ex.paint(el("canvas"), shape[1], shape[0], ex.rangeOf(m), function (i) { return m[i]; }).toDataURL("image/png");
  }
  function imagePNG(raw) {
    var lo = Infinity, hi = -Infinity, i, c;
    for (i = 0; i < raw.length; i++) { if (raw[i] < lo) lo = raw[i]; if (raw[i] > hi) hi = raw[i]; }
    var cv = el("canvas"); cv.width = W; cv.height = H;
    var g = cv.getContext("2d"), im = g.createImageData(W, H);
    for (i = 0; i < H * W; i++) {
      for (c = 0; c < 3; c++) im.data[4 * i + c] = Math.round(255 * (hi > lo ? (raw[i * C + Math.min(c, C - 1)] - lo) / (hi - lo) : 0));
      im.data[4 * i + 3] = 255;
    }
    g.putImageData(im, 0, 0);
    return cv.toDataURL("image/png");
  }
  // compute runs the engine on image i's pixels and puts what it computed in its place.
  function compute(i, target) {
    var im = D.images[i], t0 = performance.now();
    var out = E.run(im.rawData, names, target == null ? -1 : target, method.value);
    if (out.error) throw new Error(out.error);
    var values = { input: normalise(im.rawData) };
    D.layers.forEach(function (L) { values[L.name] = fit(out.values[L.name], L); });
    im.values = values;
    var p = ex.softmax(Array.from(out.logits)), best = 0;
    for (var k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    var pred = "predicted " + D.classes[best] + " (" + Math.round(100 * p[best]) + "%)";
    im.caption = /predicted .*$/.test(im.base) ? im.base.replace(/predicted .*$/, pred) : im.base + ": " + pred;
    if (changed) im.caption += ", changed model";
    im.cams = out.cam ? [{ class: out.target, png: heatPNG(out.cam, out.camShape), map: out.cam, method: method.value }] : [];
    im.version = version;
    ex.clearCache();
    status.dataset.ms = (performance.now() - t0).toFixed(1);
    status.textContent = "Computed live in this page by the convlens engine: " + status.dataset.ms + " ms for every layer" +
      (out.cam ? (method.value === "saliency" ? " and saliency" : " and Grad-CAM at " + camLayer) : "") + ".";
    return out;
  }
  function refresh() { ex.state.camClass = -1; ex.redraw(); }
  function computeOrSay(i, target) { // an engine error is said, and the page keeps what it had
    try { compute(i, target); } catch (err) {
      status.textContent = "The engine: " + err.message;
      if (!D.images[i].values.input) ex.state.img = 0; // nothing computed for it: show a held-out image
    }
  }
  ex.hooks.beforeRedraw = function () {
    var im = D.images[ex.state.img];
    if (E && im.version !== version) computeOrSay(ex.state.img);
  };
  ex.hooks.camClass = function (k) { if (E) computeOrSay(ex.state.img, k); };

  // ---- inputs: a drawing (grey models), a photo, or a held-out image ----
  var slot = -1; // the image the page draws into
  function setInput(raw, caption) {
    if (slot < 0) {
      slot = D.images.length;
      D.images.push({ caption: caption, base: caption, png: "", values: {}, cams: [], version: -1 });
    }
    var im = D.images[slot];
    im.rawData = raw; im.base = caption; im.png = imagePNG(raw); im.version = -1;
    ex.state.img = slot;
    refresh();
  }
  if (C === 1 && H <= 64 && W <= 64) {
    var scale = Math.max(1, Math.floor(224 / Math.max(H, W))), pad = el("canvas", "cl-ex-draw");
    pad.width = W * scale; pad.height = H * scale;
    pad.setAttribute("aria-label", "draw here");
    var pg = pad.getContext("2d");
    var clear = function () { pg.fillStyle = "#000"; pg.fillRect(0, 0, pad.width, pad.height); };
    clear();
    var drawing = false, last = null, queued = false;
    var sample = function () { // each pixel: the mean of its scale×scale block, in [0, 1]
      var d = pg.getImageData(0, 0, pad.width, pad.height).data, raw = new Float32Array(H * W);
      for (var y = 0; y < H; y++) for (var x = 0; x < W; x++) {
        var s = 0;
        for (var dy = 0; dy < scale; dy++) for (var dx = 0; dx < scale; dx++) s += d[4 * ((y * scale + dy) * pad.width + x * scale + dx)];
        raw[y * W + x] = s / (255 * scale * scale);
      }
      return raw;
    };
    // MNIST's own preparation: the ink's box scaled to fit 20×20, then centred by its centre
    // of mass in 28×28 (LeCun et al.); what a model trained on MNIST expects.
    var likeMNIST = function (raw) {
      var y0 = H, y1 = -1, x0 = W, x1 = -1, y, x;
      for (y = 0; y < H; y++) for (x = 0; x < W; x++) if (raw[y * W + x] > 0.05) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); x0 = Math.min(x0, x); x1 = Math.max(x1, x); }
      if (y1 < 0) return raw;
      var side = Math.max(y1 - y0 + 1, x1 - x0 + 1) * scale, k = 20 / side, cv = el("canvas");
      cv.width = W; cv.height = H;
      var g = cv.getContext("2d"), bw = (x1 - x0 + 1) * scale, bh = (y1 - y0 + 1) * scale;
      g.fillStyle = "#000"; g.fillRect(0, 0, W, H); g.imageSmoothingEnabled = true; g.imageSmoothingQuality = "high";
      g.drawImage(pad, x0 * scale, y0 * scale, bw, bh, (W - bw * k) / 2, (H - bh * k) / 2, bw * k, bh * k);
      var d = g.getImageData(0, 0, W, H).data, fit = new Float32Array(H * W), m = 0, my = 0, mx = 0;
      for (var i = 0; i < H * W; i++) { fit[i] = d[4 * i] / 255; m += fit[i]; my += fit[i] * Math.floor(i / W); mx += fit[i] * (i % W); }
      var dy = Math.round((H - 1) / 2 - my / m), dx = Math.round((W - 1) / 2 - mx / m), out = new Float32Array(H * W);
      for (y = 0; y < H; y++) for (x = 0; x < W; x++) {
        var sy = y - dy, sx = x - dx;
        if (sy >= 0 && sy < H && sx >= 0 && sx < W) out[y * W + x] = fit[sy * W + sx];
      }
      return out;
    };
    var centre = el("input", "cl-ex-centre");
    centre.type = "checkbox"; centre.checked = H === 28 && W === 28;
    var update = function () { queued = false; var raw = sample(); setInput(centre.checked ? likeMNIST(raw) : raw, "your drawing"); };
    var at = function (e) { var r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; };
    pad.addEventListener("pointerdown", function (e) { drawing = true; last = at(e); pad.setPointerCapture(e.pointerId); stroke(last); });
    pad.addEventListener("pointermove", function (e) { if (drawing) { stroke(at(e)); } });
    pad.addEventListener("pointerup", function () { drawing = false; last = null; update(); });
    function stroke(p) {
      pg.strokeStyle = "#fff"; pg.lineWidth = 2.2 * scale; pg.lineCap = "round";
      pg.beginPath(); pg.moveTo(last[0], last[1]); pg.lineTo(p[0], p[1]); pg.stroke();
      last = p;
      if (!queued && E) { queued = true; requestAnimationFrame(update); }
    }
    var drawBox = el("div", "cl-ex-drawbox"), cb = el("button", "", "clear");
    cb.type = "button";
    cb.onclick = function () { clear(); update(); };
    drawBox.appendChild(el("span", "cl-ex-note", "Draw a digit (white on black):"));
    var centreLabel = el("label", "cl-ex-note");
    centreLabel.appendChild(centre); centreLabel.appendChild(document.createTextNode(" scale and centre it as MNIST's digits are"));
    centre.onchange = function () { update(); };
    drawBox.appendChild(pad); drawBox.appendChild(cb); drawBox.appendChild(centreLabel);
    tools.appendChild(drawBox);
    ex.drawPad = pad;
  }
  var file = el("input", "cl-ex-file");
  file.type = "file"; file.accept = "image/*";
  var fileLabel = el("label", "cl-ex-note", "Or a photo (its centre cropped and resized to " + W + "×" + H + ", as -images does): ");
  fileLabel.appendChild(file);
  tools.appendChild(fileLabel);
  function takePhoto(f, name) { // decoded, cropped and resized by the engine, as -images does
    name = name || f.name;
    f.arrayBuffer().then(function (buf) {
      var r = E.decode(new Uint8Array(buf), name);
      if (r.error) throw new Error(r.error);
      setInput(r.pixels, name);
    }).catch(function (err) { status.textContent = "Could not read " + name + ": " + err.message; });
  }
  file.onchange = function () { if (file.files[0]) takePhoto(file.files[0]); };
  panel.addEventListener("dragover", function (e) { e.preventDefault(); });
  panel.addEventListener("drop", function (e) { e.preventDefault(); if (e.dataTransfer.files[0]) takePhoto(e.dataTransfer.files[0]); });

  // ---- the overlay's method ----
  var method = el("select", "cl-ex-method"), methodLabel = el("label", "cl-ex-note", "Overlay: ");
  [["grad-cam", "Grad-CAM"], ["saliency", "saliency (input gradient)"]].forEach(function (o) {
    var opt = el("option", "", o[1]); opt.value = o[0]; method.appendChild(opt);
  });
  var ownLayer = D.camLayer;
  method.onchange = function () {
    D.camMethod = method.value === "saliency" ? "saliency" : "Grad-CAM";
    D.camLayer = method.value === "saliency" ? "" : ownLayer;
    version++; ex.state.cam = true; refresh();
  };
  methodLabel.appendChild(method);
  tools.appendChild(methodLabel);

  // ---- changes to the model ----
  var resetB = el("button", "cl-ex-reset", "reset the model");
  resetB.type = "button"; resetB.disabled = true;
  resetB.onclick = function () {
    var r = E.reset();
    if (r.error) { status.textContent = r.error; return; }
    D.layers.forEach(function (L) { Object.keys(L.params || {}).forEach(function (p) { L.params[p].data = L.params[p].now; }); L.off = null; });
    version++; changed = false; resetB.disabled = true; refresh();
  };
  tools.appendChild(resetB);
  function change(L, p, f) {
    var P = L.params[p];
    if (P.data === P.now) P.data = P.now.slice();
    f(P.data);
    var r = E.set(L.name, p, P.data, P.shape);
    if (r.error) { status.textContent = r.error; return; }
    version++; changed = true; resetB.disabled = false; refresh();
  }
  function numberInput(label, value, cls) {
    var i = el("input", cls); i.type = "number"; i.step = "any"; i.value = value; i.setAttribute("aria-label", label);
    return i;
  }
  function skipPanel(L) { // a sum's inputs, each switched on or off: a skip connection toggled
    var panel = el("div", "cl-ex-edit");
    panel.appendChild(el("h4", "", "Change " + L.name + ": switch an input of the sum off (the page recomputes everything)"));
    L.inputs.forEach(function (n, k) {
      var lab = el("label", "cl-ex-note"), cb = el("input", "cl-ex-skip");
      cb.type = "checkbox"; cb.checked = !(L.off && L.off[k]); cb.dataset.input = k;
      cb.onchange = function () {
        var r = E.skip(L.name, k, !cb.checked);
        if (r.error) { status.textContent = r.error; cb.checked = !cb.checked; return; }
        L.off = L.off || {};
        L.off[k] = !cb.checked;
        version++; changed = true; resetB.disabled = false; refresh();
      };
      lab.appendChild(cb); lab.appendChild(document.createTextNode(" " + n + "  "));
      panel.appendChild(lab);
    });
    return panel;
  }
  ex.hooks.detail = function (box, name, c) {
    var L = ex.byName[name];
    if (E && L && L.kind === "add" && !L.valuesOnly && L.inputs.length > 1) { box.appendChild(skipPanel(L)); return; }
    if (!E || !L || !(L.kind === "conv2d" || L.kind === "dense") || !L.params || !L.params.weights) return;
    var Wt = L.params.weights, out = Wt.shape[Wt.shape.length - 1], panel = el("div", "cl-ex-edit");
    panel.appendChild(el("h4", "", "Change " + name + (L.kind === "conv2d" ? ", channel " : ", unit ") + c + " (the page recomputes everything)"));
    var scaleBy = function (k) { return function () {
      change(L, "weights", function (w) { for (var i = c; i < w.length; i += out) w[i] *= k; });
      if (L.params.biases) change(L, "biases", function (b) { b[c] *= k; });
    }; };
    [["zero it", 0], ["×2", 2], ["×−1", -1]].forEach(function (a) {
      var b = el("button", "cl-ex-scale", a[0]); b.type = "button"; b.dataset.factor = a[1]; b.onclick = scaleBy(a[1]); panel.appendChild(b);
    });
    var dims = Wt.shape.slice(0, -1), idx = dims.map(function (d, a) {
      return numberInput("weight index " + a, 0, "cl-ex-widx");
    });
    var at = function () { var i = 0; idx.forEach(function (e, a) { i = i * dims[a] + Math.max(0, Math.min(dims[a] - 1, Math.floor(Number(e.value) || 0))); }); return i * out + c; };
    var wv = numberInput("weight value", Wt.data[at()], "cl-ex-wval");
    idx.forEach(function (e) { e.min = 0; e.oninput = function () { wv.value = Wt.data[at()]; }; });
    var set = el("button", "cl-ex-wset", "set weight"); set.type = "button";
    set.onclick = function () { var v = Number(wv.value), i = at(); if (isFinite(v)) change(L, "weights", function (w) { w[i] = v; }); };
    var row = el("div", "cl-ex-note");
    row.appendChild(document.createTextNode("weight [" + dims.join("×") + "] at "));
    idx.forEach(function (e) { row.appendChild(e); });
    row.appendChild(document.createTextNode(" = ")); row.appendChild(wv); row.appendChild(set);
    if (L.params.biases) {
      var bv = numberInput("bias value", L.params.biases.data[c], "cl-ex-bval"), bs = el("button", "cl-ex-bset", "set bias");
      bs.type = "button";
      bs.onclick = function () { var v = Number(bv.value); if (isFinite(v)) change(L, "biases", function (b) { b[c] = v; }); };
      row.appendChild(document.createTextNode(" · bias = ")); row.appendChild(bv); row.appendChild(bs);
    }
    panel.appendChild(row);
    box.appendChild(panel);
  };

  // ---- receptive field: the input pixels the hovered value sees ----
  ex.hooks.moved = function (layer, y, x) {
    var wrap = root.querySelector('[data-node="input"] .cl-ex-imgwrap');
    if (!E || !wrap) return;
    var old = wrap.querySelector(".cl-ex-field");
    if (old) old.remove();
    if (!ex.shapes[layer] || ex.shapes[layer].length !== 3) return;
    var f = E.field(layer, y, x);
    if (f.error) return;
    var box = el("div", "cl-ex-field");
    box.dataset.field = f.box.join(",");
    box.title = "what " + layer + " at (" + y + ", " + x + ") sees: rows " + f.box[0] + "–" + (f.box[2] - 1) + ", columns " + f.box[1] + "–" + (f.box[3] - 1);
    box.style.top = (100 * f.box[0] / H) + "%"; box.style.left = (100 * f.box[1] / W) + "%";
    box.style.height = (100 * (f.box[2] - f.box[0]) / H) + "%"; box.style.width = (100 * (f.box[3] - f.box[1]) / W) + "%";
    wrap.appendChild(box);
  };

  // ---- start ----
  var t0 = performance.now();
  function ready() {
    version = 1; // from now on every value shown is the engine's: each image is recomputed when shown
    root.dataset.engineMs = (performance.now() - t0).toFixed(0);
    status.textContent = (started ? "The model runs in the convlens engine" : "The convlens engine started in " + root.dataset.engineMs + " ms") +
      ": draw, pick a photo or change the model.";
    root.dataset.live = "ready";
    ex.redraw();
  }
  if (started) {
    E = started.engine; camLayer = started.camLayer;
    ready();
  } else {
    convlensStartEngine(document.getElementById(id + "-engine").textContent).then(function (engine) {
      E = engine;
      var res = E.load(modelText);
      if (res.error) throw new Error(res.error);
      camLayer = res.camLayer;
      ready();
    }).catch(function (err) {
      root.dataset.live = "failed";
      status.textContent = "The engine could not start (" + err + "); the page shows the values computed ahead of time.";
    });
  }
  ex.setInput = setInput; ex.takePhoto = takePhoto;
  return ex;
}

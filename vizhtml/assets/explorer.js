/* convlens explorer: every layer of a model for one image, and the arithmetic of any value.
   Data (exact float32 values, base64) comes from a <script type="application/json"> beside
   the root element; names are only ever set as text, never parsed as HTML. */
function convlensExplore(id) {
  "use strict";
  var root = document.getElementById(id);
  var D = JSON.parse(document.getElementById(id + "-data").textContent);
  var byName = {}, shapes = { input: D.input }, dims = { input: D.input }, rank = { input: 0 }, cache = {};
  D.layers.forEach(function (L) {
    byName[L.name] = L;
    shapes[L.name] = L.shape;
    dims[L.name] = L.dims || L.shape; // the true shape; shape is the one drawn (other ranks flat)
    rank[L.name] = 1 + Math.max.apply(null, L.inputs.map(function (n) { return rank[n]; }));
    Object.keys(L.params || {}).forEach(function (p) { L.params[p].data = L.params[p].now = floats(L.params[p].b64); });
  });
  var steps = D.steps || [];
  // state.step indexes steps; steps.length is the model as given ("now").
  var state = { img: 0, layer: null, ch: 0, y: 0, x: 0, cam: false, camClass: -1, expanded: {}, step: steps.length };
  var hooks = {}; // a live explorer's: beforeRedraw(), camClass(k), moved(layer, y, x), detail(box, layer, ch)

  // ---- helpers ----
  function floats(b64) {
    if (typeof b64 !== "string") return b64; // computed in the page (a live explorer)
    var s = atob(b64), u = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    return new Float32Array(u.buffer);
  }
  function image(i) { return state.step < steps.length ? steps[state.step].images[i] : D.images[i]; }
  function vals(name) {
    var key = state.step + "\u0000" + state.img + "\u0000" + name;
    if (!cache[key]) cache[key] = floats(image(state.img).values[name]);
    return cache[key];
  }
  // setStep shows the model at checkpoint k: its parameters and its values.
  function setStep(k) {
    state.step = k;
    D.layers.forEach(function (L) {
      Object.keys(L.params || {}).forEach(function (p) {
        var P = L.params[p], st = k < steps.length ? steps[k].params[L.name][p] : null;
        if (st && !st.data) st.data = floats(st.b64);
        P.data = st ? st.data : P.now;
      });
    });
    redraw();
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(v, p) {
    if (!isFinite(v)) return String(v);
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential((p || 4) - 1);
    return String(Number(v.toPrecision(p || 4)));
  }
  function spatial(s) { return s.length === 3; }
  function channels(s) { return s[s.length - 1]; }
  function idx(s, y, x, c) { return spatial(s) ? (y * s[1] + x) * s[2] + c : c; }
  function kindText(L) { return L.kind + (L.act ? " + " + L.act : ""); }
  function shapeText(s) { return s.join("×"); }
  // erf to 1.2e-7 (Numerical Recipes' erfc approximation).
  function erf(x) {
    var z = Math.abs(x), t = 1 / (1 + 0.5 * z);
    var r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - r : r - 1;
  }
  function act(L, v) {
    switch (L.act) {
      case "relu": return Math.max(v, 0);
      case "leakyrelu": return v > 0 ? v : L.alpha * v;
      case "sigmoid": return 1 / (1 + Math.exp(-v));
      case "tanh": return Math.tanh(v);
      case "clip": return Math.min(Math.max(v, L.clip[0]), L.clip[1]);
      case "hardsigmoid": return Math.min(Math.max(L.alpha * v + L.beta, 0), 1);
      case "hardswish": return v * Math.min(Math.max(v / 6 + 0.5, 0), 1);
      case "gelu": return 0.5 * v * (1 + erf(v / Math.SQRT2));
      case "gelu_tanh": return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
      case "erf": return erf(v);
      case "sqrt": return Math.sqrt(v);
      case "exp": return Math.exp(v);
      case "log": return Math.log(v);
      case "neg": return -v;
      case "abs": return Math.abs(v);
      case "reciprocal": return 1 / v;
      case "pow": return Math.pow(v, L.exponent);
      case "softplus": return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      case "elu": return v > 0 ? v : L.alpha * (Math.exp(v) - 1);
    }
    return v;
  }
  function actText(L) {
    switch (L.act) {
      case "leakyrelu": return "LeakyReLU(α=" + num(L.alpha) + ")";
      case "clip": return "clip[" + num(L.clip[0]) + ", " + num(L.clip[1]) + "]";
      case "hardsigmoid": return "hardsigmoid(" + num(L.alpha) + "·x + " + num(L.beta) + ")";
      case "pow": return "x^" + num(L.exponent);
      case "elu": return "ELU(α=" + num(L.alpha) + ")";
    }
    return L.act;
  }
  // Positions in a tensor of any rank, by flat index; a value of input n at output coords c
  // with n's axes of size 1 broadcast.
  function unravel(i, s) { var c = []; for (var a = s.length - 1; a >= 0; a--) { c[a] = i % s[a]; i = Math.floor(i / s[a]); } return c; }
  function ravel(c, s) { var i = 0; for (var a = 0; a < s.length; a++) i = i * s[a] + c[a]; return i; }
  function at(n, c) { var s = dims[n]; return vals(n)[ravel(c.map(function (v, a) { return s[a] === 1 ? 0 : v; }), s)]; }
  function param(L, p, c) { // a broadcast parameter (param_shape, or one per channel) at coords c
    var ps = L.paramShape, d = L.params[p].data;
    if (!ps) return d[c[c.length - 1]];
    return d[ravel(c.map(function (v, a) { return ps[a] === 1 ? 0 : v; }), ps)];
  }
  function hereCoords(L) { return unravel(idx(shapes[L.name], state.y, state.x, state.ch), dims[L.name]); }
  function coordsText(c) { return "[" + c.join(", ") + "]"; }
  // win is a window op's geometry: kernel, stride and dilation per axis.
  function win(L) { return { kh: L.k, kw: L.kw || L.k, sh: L.stride, sw: L.sw || L.stride, dh: L.dil || 1, dw: L.dw || L.dil || 1 }; }
  function softmax(z) {
    var m = -Infinity, s = 0, p = [];
    for (var i = 0; i < z.length; i++) m = Math.max(m, z[i]);
    for (i = 0; i < z.length; i++) { p.push(Math.exp(z[i] - m)); s += p[i]; }
    return p.map(function (v) { return v / s; });
  }

  // ---- colours ----
  var VIR = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  var DIV = [[33, 102, 172], [247, 247, 247], [178, 24, 43]];
  function ramp(stops, t) {
    t = Math.max(0, Math.min(1, isFinite(t) ? t : 0)) * (stops.length - 1);
    var i = Math.min(Math.floor(t), stops.length - 2), f = t - i, a = stops[i], b = stops[i + 1];
    return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
  }
  function rangeOf(v) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < v.length; i++) if (isFinite(v[i])) { lo = Math.min(lo, v[i]); hi = Math.max(hi, v[i]); }
    if (lo > hi) { lo = 0; hi = 1; }
    if (lo < 0) { var m = Math.max(-lo, hi, 1e-12); return { lo: -m, hi: m, signed: true }; }
    return { lo: lo, hi: hi > lo ? hi : lo + 1, signed: false };
  }
  function colour(r, v) { return ramp(r.signed ? DIV : VIR, (v - r.lo) / (r.hi - r.lo)); }
  // paint fills a canvas of w×h cells from value(i) (or null for an empty cell).
  function paint(cv, w, h, r, value) {
    cv.width = w; cv.height = h;
    var g = cv.getContext("2d"), im = g.createImageData(w, h);
    for (var i = 0; i < w * h; i++) {
      var v = value(i);
      if (v === null) { im.data[4 * i + 3] = 0; continue; }
      var c = colour(r, v);
      im.data[4 * i] = c[0]; im.data[4 * i + 1] = c[1]; im.data[4 * i + 2] = c[2]; im.data[4 * i + 3] = 255;
    }
    g.putImageData(im, 0, 0);
    return cv;
  }
  // channelCanvas draws channel c of a value array; vectors are laid out as a grid of cells.
  function channelCanvas(name, c, r) {
    var s = shapes[name], v = vals(name), cv = el("canvas");
    if (spatial(s)) return paint(cv, s[1], s[0], r, function (i) { return v[i * s[2] + c]; });
    var g = vectorGrid(s[0]);
    return paint(cv, g.cols, g.rows, r, function (i) { return i < s[0] ? v[i] : null; });
  }
  function vectorGrid(n) {
    var cols = Math.min(n, Math.max(8, Math.ceil(Math.sqrt(n) * 2)));
    return { cols: cols, rows: Math.ceil(n / cols) };
  }
  function legend(r) {
    var box = el("div", "cl-ex-legend"), cv = el("canvas");
    paint(cv, 60, 1, { lo: 0, hi: 59, signed: r.signed }, function (i) { return i; });
    box.appendChild(el("span", "", num(r.lo, 3)));
    box.appendChild(cv);
    box.appendChild(el("span", "", num(r.hi, 3)));
    return box;
  }
  function sized(cv, side) {
    var s = Math.max(1, Math.round(side / Math.max(cv.width, cv.height)));
    cv.style.width = cv.width * s + "px"; cv.style.height = cv.height * s + "px";
    return cv;
  }

  // ---- layout ----
  root.textContent = "";
  var pick = el("div", "cl-ex-pick"), top = el("div", "cl-ex-top"), ov = el("div", "cl-ex-ov"),
    probs = el("div", "cl-ex-probs"), detail = el("div", "cl-ex-detail");
  var map = el("div", "cl-ex-map"), stepBox = el("div", "cl-ex-steps");
  top.appendChild(ov); top.appendChild(probs);
  root.appendChild(stepBox); root.appendChild(pick); root.appendChild(map); root.appendChild(top); root.appendChild(detail);
  if (D.note) root.insertBefore(el("p", "cl-ex-note", D.note), pick);

  function drawPicker() {
    pick.textContent = "";
    D.images.forEach(function (im, i) {
      var b = el("button");
      b.type = "button"; b.title = image(i).caption; b.setAttribute("aria-label", "image " + (i + 1) + ": " + image(i).caption);
      b.setAttribute("aria-pressed", String(i === state.img));
      b.dataset.image = i;
      var img = el("img"); img.src = im.png; img.alt = "";
      b.appendChild(img);
      b.onclick = function () { state.img = i; state.camClass = -1; redraw(); };
      pick.appendChild(b);
    });
    pick.appendChild(el("span", "cl-ex-note", image(state.img).caption));
  }

  function tile(name, c, r, side) {
    var cv = sized(channelCanvas(name, c, r), side);
    cv.className = "cl-ex-tile" + (state.layer === name && state.ch === c ? " cl-ex-sel" : "");
    cv.tabIndex = 0;
    cv.setAttribute("role", "button");
    cv.setAttribute("aria-label", name + (spatial(shapes[name]) ? " channel " + c : " values"));
    cv.title = name + (spatial(shapes[name]) ? " channel " + c : "");
    cv.dataset.layer = name; cv.dataset.ch = c;
    var choose = function () { select(name, c); };
    cv.onclick = choose;
    cv.onkeydown = function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } };
    return cv;
  }

  function node(name) {
    var s = shapes[name], L = byName[name], box = el("div", "cl-ex-node");
    box.dataset.node = name;
    box.appendChild(el("h4", "", name === "input" ? "input" : name));
    box.appendChild(el("small", "", (L ? kindText(L) : "image, normalised") + " · " + shapeText(s)));
    var r = rangeOf(vals(name));
    if (name === "input") {
      var wrap = el("div", "cl-ex-imgwrap"), img = el("img", "cl-ex-img"), im = D.images[state.img], cam = camFor(image(state.img));
      img.src = im.png;
      img.alt = "input image";
      wrap.appendChild(img);
      if (state.cam && cam) {
        var heat = el("img", "cl-ex-cam");
        heat.src = cam.png;
        heat.alt = camMethod() + " for " + D.classes[cam.class];
        wrap.appendChild(heat);
      }
      box.appendChild(wrap);
    }
    var tiles = el("div", "cl-ex-tiles");
    if (spatial(s)) {
      var shown = state.expanded[name] ? s[2] : Math.min(s[2], 8);
      var side = Math.max(28, Math.min(64, 4 * Math.max(s[0], s[1])));
      for (var c = 0; c < shown; c++) tiles.appendChild(tile(name, c, r, side));
      if (shown < s[2] || state.expanded[name]) {
        var more = el("button", "cl-ex-more", state.expanded[name] ? "show 8" : "+" + (s[2] - shown) + " more");
        more.type = "button";
        more.onclick = function () { state.expanded[name] = !state.expanded[name]; drawOverview(); };
        tiles.appendChild(more);
      }
    } else {
      tiles.appendChild(tile(name, 0, r, 96));
    }
    box.appendChild(tiles);
    if (name === D.logits && D.classes && D.classes.length) {
      var cls = D.classes.slice(0, 12).join(", ") + (D.classes.length > 12 ? ", …" : "");
      box.appendChild(el("small", "cl-ex-classes", "cells in class order: " + cls));
    }
    box.appendChild(legend(r));
    return box;
  }

  // The map: every layer by name, in order; a click scrolls the overview to it, and the
  // layers in view are marked, so that nothing hides behind the sideways scroll.
  function drawMap() {
    map.textContent = "";
    var names = ["input"].concat(D.layers.map(function (L) { return L.name; }));
    map.appendChild(el("span", "cl-ex-maphint", names.length + " layers, each on its own colour scale (its ends under it; red/blue: signed, white: 0). Jump to:"));
    names.forEach(function (n) {
      var b = el("button", "cl-ex-mapbtn", n);
      b.type = "button";
      b.dataset.node = n;
      b.onclick = function () {
        var e = ov.querySelector('[data-node="' + CSS.escape(n) + '"]');
        if (e) ov.scrollLeft = Math.max(0, e.offsetLeft - 8);
        markVisible();
      };
      map.appendChild(b);
    });
    markVisible();
  }
  function markVisible() {
    var v = ov.getBoundingClientRect();
    map.querySelectorAll(".cl-ex-mapbtn").forEach(function (b) {
      var e = ov.querySelector('.cl-ex-node[data-node="' + CSS.escape(b.dataset.node) + '"]');
      var r = e ? e.getBoundingClientRect() : null;
      b.classList.toggle("cl-ex-vis", !!r && r.right > v.left && r.left < v.right);
    });
  }
  ov.addEventListener("scroll", markVisible);

  function drawOverview() {
    ov.textContent = "";
    var cols = el("div", "cl-ex-cols"), byRank = [];
    ["input"].concat(D.layers.map(function (L) { return L.name; })).forEach(function (n) {
      (byRank[rank[n]] = byRank[rank[n]] || []).push(n);
    });
    byRank.forEach(function (names) {
      var col = el("div", "cl-ex-col");
      names.forEach(function (n) { col.appendChild(node(n)); });
      cols.appendChild(col);
    });
    ov.appendChild(cols);
    drawEdges();
    markVisible();
  }

  function drawEdges() {
    var old = ov.querySelector(".cl-ex-edges");
    if (old) old.remove();
    var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), base = ov.getBoundingClientRect();
    svg.setAttribute("class", "cl-ex-edges");
    svg.setAttribute("width", ov.scrollWidth); svg.setAttribute("height", ov.scrollHeight);
    function box(n) {
      var e = ov.querySelector('[data-node="' + CSS.escape(n) + '"]');
      var b = e.getBoundingClientRect();
      return { l: b.left - base.left + ov.scrollLeft, r: b.right - base.left + ov.scrollLeft, y: b.top - base.top + ov.scrollTop + 12 };
    }
    D.layers.forEach(function (L) {
      var b = box(L.name);
      L.inputs.forEach(function (n) {
        var a = box(n), p = document.createElementNS(NS, "path"), mx = (a.r + b.l) / 2;
        var skip = rank[L.name] - rank[n] > 1;
        p.setAttribute("d", "M" + a.r + "," + a.y + " C" + mx + "," + a.y + " " + mx + "," + b.y + " " + b.l + "," + b.y);
        p.setAttribute("fill", "none");
        p.setAttribute("stroke", skip ? "#d62728" : "#999");
        p.setAttribute("stroke-width", skip ? "1.6" : "1.2");
        if (skip) p.setAttribute("stroke-dasharray", "4 3");
        svg.appendChild(p);
      });
    });
    ov.insertBefore(svg, ov.firstChild);
  }

  function camMethod() { return D.camMethod || "Grad-CAM"; }

  function camFor(im) {
    var cams = im.cams || [];
    for (var i = 0; i < cams.length; i++) if (cams[i].class === state.camClass) return cams[i];
    return null;
  }

  function drawProbs() {
    probs.textContent = "";
    var p = softmax(vals(D.logits)), order = p.map(function (_, i) { return i; });
    order.sort(function (a, b) { return p[b] - p[a]; });
    if (state.camClass < 0) state.camClass = order[0];
    probs.appendChild(el("h4", "", "Class probabilities"));
    probs.appendChild(el("div", "cl-ex-note", "softmax of " + D.logits + (D.classes.length > 10 ? "; top 10 of " + D.classes.length : "")));
    order.slice(0, 10).forEach(function (k) {
      var b = el("button", "cl-ex-prob");
      b.type = "button"; b.dataset.class = k;
      b.setAttribute("aria-pressed", String(k === state.camClass));
      b.title = "show " + camMethod() + " for " + D.classes[k];
      b.appendChild(el("span", "", D.classes[k]));
      var bar = el("span", "cl-ex-bar"); bar.style.width = Math.max(1, Math.round(100 * p[k])) + "%";
      var track = el("span"); track.appendChild(bar);
      b.appendChild(track);
      b.appendChild(el("span", "", (100 * p[k]).toFixed(1) + "%"));
      b.onclick = function () { state.camClass = k; if (hooks.camClass) hooks.camClass(k); redraw(); };
      probs.appendChild(b);
    });
    var lab = el("label", "cl-ex-note"), cb = el("input");
    cb.type = "checkbox"; cb.checked = state.cam; cb.className = "cl-ex-camtoggle";
    cb.onchange = function () { state.cam = cb.checked; drawOverview(); };
    lab.appendChild(cb);
    var cam = camFor(image(state.img));
    lab.appendChild(document.createTextNode(cam ? " " + camMethod() + " overlay for " + D.classes[state.camClass] + (D.camLayer ? " (from " + D.camLayer + ")" : "")
      : " " + camMethod() + ": not computed for " + D.classes[state.camClass]));
    cb.disabled = !cam;
    probs.appendChild(lab);
  }

  function select(name, c) {
    state.layer = name; state.ch = c;
    var s = shapes[name];
    if (spatial(s)) { state.y = Math.min(state.y, s[0] - 1); state.x = Math.min(state.x, s[1] - 1); } else { state.y = state.x = 0; }
    ov.querySelectorAll(".cl-ex-sel").forEach(function (e) { e.classList.remove("cl-ex-sel"); });
    ov.querySelectorAll(".cl-ex-tile").forEach(function (e) { if (e.dataset.layer === name && Number(e.dataset.ch) === c) e.classList.add("cl-ex-sel"); });
    drawDetail();
  }

  // ---- detail: one channel large, and the arithmetic of the hovered value ----
  var big = null, calc = null, bigScale = 1;
  function drawDetail() {
    detail.textContent = "";
    var name = state.layer;
    if (name === null) {
      detail.appendChild(el("p", "cl-ex-note", "Click a channel tile to see how its values are computed."));
      return;
    }
    var s = shapes[name], L = byName[name];
    detail.appendChild(el("h3", "", name + (L ? " · " + kindText(L) : "") + " · " + shapeText(s) + (spatial(s) ? " · channel " + state.ch : "")));
    var row = el("div", "cl-ex-drow");
    big = channelCanvas(name, state.ch, rangeOf(vals(name)));
    var w = big.width, h = big.height;
    bigScale = Math.max(1, Math.floor(280 / Math.max(w, h)));
    var src = big;
    big = el("canvas", "cl-ex-big");
    big.width = w * bigScale; big.height = h * bigScale;
    big.tabIndex = 0;
    big.setAttribute("aria-label", "values of " + name + "; arrow keys move the selected value");
    big.offscreen = src;
    big.onmousemove = function (e) {
      var b = big.getBoundingClientRect(), cx = Math.floor((e.clientX - b.left) / (b.width / w)), cy = Math.floor((e.clientY - b.top) / (b.height / h));
      moveTo(cy, cx);
    };
    big.onkeydown = function (e) {
      var d = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
      if (!d) return;
      e.preventDefault();
      if (spatial(s)) moveTo(state.y + d[0], state.x + d[1]);
      else { var g = vectorGrid(s[0]), i = state.ch + d[0] * g.cols + d[1]; moveTo(Math.floor(i / g.cols), i % g.cols); }
    };
    row.appendChild(big);
    calc = el("div", "cl-ex-calc");
    row.appendChild(calc);
    detail.appendChild(row);
    if (L && L.kind === "conv2d") detail.appendChild(filterView(L, state.ch));
    var ex = examplesOf(name, state.ch);
    if (ex) detail.appendChild(examplesView(ex));
    if (hooks.detail) hooks.detail(detail, name, state.ch);
    drawBig(); drawCalc();
  }
  function moveTo(y, x) {
    var s = shapes[state.layer];
    if (spatial(s)) {
      state.y = Math.max(0, Math.min(s[0] - 1, y)); state.x = Math.max(0, Math.min(s[1] - 1, x));
    } else {
      var g = vectorGrid(s[0]), i = Math.max(0, Math.min(s[0] - 1, y * g.cols + x));
      state.ch = i;
    }
    drawBig(); drawCalc();
  }
  function drawBig() {
    var g = big.getContext("2d"), s = shapes[state.layer];
    g.imageSmoothingEnabled = false;
    g.drawImage(big.offscreen, 0, 0, big.width, big.height);
    var y = state.y, x = state.x;
    if (!spatial(s)) { var gr = vectorGrid(s[0]); y = Math.floor(state.ch / gr.cols); x = state.ch % gr.cols; }
    g.strokeStyle = "#d62728"; g.lineWidth = 2;
    g.strokeRect(x * bigScale + 1, y * bigScale + 1, bigScale - 2 > 0 ? bigScale - 2 : 1, bigScale - 2 > 0 ? bigScale - 2 : 1);
    if (hooks.moved) hooks.moved(state.layer, state.y, state.x);
  }

  // grid renders a k×k table of numbers; cls(i) marks cells.
  function grid(caption, rows, cols, value, cls) {
    var t = el("table", "cl-ex-grid"), cap = el("caption", "", caption);
    t.appendChild(cap);
    for (var i = 0; i < rows; i++) {
      var tr = el("tr");
      for (var j = 0; j < cols; j++) {
        var v = value(i, j), td = el("td", cls ? cls(i, j) : "", v === null ? "pad" : num(v, 3));
        tr.appendChild(td);
      }
      t.appendChild(tr);
    }
    return t;
  }
  // windowCanvas draws an input channel with a rectangle over the receptive window.
  function windowCanvas(name, c, y0, x0, span, spanW) {
    var s = shapes[name], cv = channelCanvas(name, c, rangeOf(vals(name))), w = cv.width, h = cv.height;
    var sc = Math.max(1, Math.floor(96 / Math.max(w, h))), out = el("canvas");
    out.width = w * sc; out.height = h * sc;
    var g = out.getContext("2d");
    g.imageSmoothingEnabled = false;
    g.drawImage(cv, 0, 0, out.width, out.height);
    g.strokeStyle = "#d62728"; g.lineWidth = 2;
    g.strokeRect(x0 * sc, y0 * sc, (spanW || span) * sc, span * sc);
    out.title = name + (spatial(s) ? " channel " + c : "");
    return out;
  }
  function eq(text, cls) { return el("div", "cl-ex-eq" + (cls ? " " + cls : ""), text); }

  function drawCalc() {
    calc.textContent = "";
    calc.dataset.pos = [state.y, state.x, state.ch].join(",");
    var name = state.layer, s = shapes[name], L = byName[name], i = idx(s, state.y, state.x, state.ch);
    var where = spatial(s) ? "(y " + state.y + ", x " + state.x + ", c " + state.ch + ")" : "[" + state.ch + "]";
    calc.appendChild(eq(name + " " + where));
    var tapValue = vals(name)[i], computed = null;
    if (L && !L.valuesOnly && explainers[L.kind]) computed = explainers[L.kind](L, s, calc);
    else calc.appendChild(el("p", "cl-ex-note", name === "input" ? "The image after the model's input normalisation." : "No arithmetic shown for this kind of layer."));
    if (computed !== null) {
      var c = eq("computed here: ", "cl-ex-result"), cv = el("span", "", num(computed, 7));
      cv.dataset.role = "computed"; cv.dataset.value = computed;
      c.appendChild(cv);
      calc.appendChild(c);
    }
    var t = eq("value in the model: "), tv = el("span", "", num(tapValue, 7));
    tv.dataset.role = "tap"; tv.dataset.value = tapValue;
    t.appendChild(tv);
    if (computed !== null) {
      var diff = Math.abs(computed - tapValue), ok = diff <= 1e-4 * Math.max(1, Math.abs(tapValue));
      t.appendChild(el("span", ok ? "cl-ex-ok" : "cl-ex-bad", ok ? "  ✓ equal (float32 rounding: " + num(diff, 2) + ")" : "  differs by " + num(diff, 3)));
    }
    calc.appendChild(t);
  }

  // activationStep shows pre → out for a fused activation and returns out.
  function activationStep(L, pre) {
    if (!L.act) return pre;
    var out = act(L, pre);
    calc.appendChild(eq(actText(L) + "(" + num(pre, 6) + ") = " + num(out, 6)));
    return out;
  }

  var explainers = {
    conv2d: function (L, s) {
      var inName = L.inputs[0], is = shapes[inName], X = vals(inName), W = L.params.weights, B = L.params.biases.data;
      var g = win(L), kh = g.kh, kw = g.kw, cpg = W.shape[2], cout = L.shape[2], grp = Math.floor(state.ch / (cout / L.groups));
      var y0 = state.y * g.sh - L.pads[0], x0 = state.x * g.sw - L.pads[2], total = 0, sums = [];
      for (var j = 0; j < cpg; j++) {
        var ci = grp * cpg + j, sum = 0;
        for (var ky = 0; ky < kh; ky++) for (var kx = 0; kx < kw; kx++) {
          var iy = y0 + ky * g.dh, ix = x0 + kx * g.dw;
          if (iy >= 0 && iy < is[0] && ix >= 0 && ix < is[1]) sum += X[idx(is, iy, ix, ci)] * W.data[((ky * kw + kx) * cpg + j) * cout + state.ch];
        }
        sums.push(sum); total += sum;
      }
      var shown = Math.min(cpg, 4), spanH = (kh - 1) * g.dh + 1, spanW = (kw - 1) * g.dw + 1;
      calc.appendChild(el("p", "cl-ex-note", "Each input channel's " + kh + "×" + kw + " window (stride " + (g.sh === g.sw ? g.sh : g.sh + "×" + g.sw) +
        (g.dh > 1 || g.dw > 1 ? ", dilation " + (g.dh === g.dw ? g.dh : g.dh + "×" + g.dw) : "") +
        ") times the kernel slice, summed" + (L.groups > 1 ? "; group " + grp + " of " + L.groups + " sees input channels " + grp * cpg + "–" + (grp * cpg + cpg - 1) : "") + "."));
      for (j = 0; j < shown; j++) {
        var cj = grp * cpg + j, row = el("div", "cl-ex-chan");
        var cell = function (r, c) { var iy = y0 + r * g.dh, ix = x0 + c * g.dw; return iy >= 0 && iy < is[0] && ix >= 0 && ix < is[1] ? X[idx(is, iy, ix, cj)] : null; };
        var wt = function (r, c) { return W.data[((r * kw + c) * cpg + j) * cout + state.ch]; };
        row.appendChild(windowCanvas(inName, cj, y0, x0, spanH, spanW));
        row.appendChild(grid(inName + " c" + cj, kh, kw, cell, function (r, c) { return cell(r, c) === null ? "cl-ex-pad" : ""; }));
        row.appendChild(el("span", "", "×"));
        row.appendChild(grid("kernel", kh, kw, wt));
        row.appendChild(el("span", "", "="));
        row.appendChild(grid("products", kh, kw, function (r, c) { var v = cell(r, c); return v === null ? null : v * wt(r, c); }));
        row.appendChild(el("span", "", "Σ = " + num(sums[j], 6)));
        calc.appendChild(row);
      }
      if (cpg > shown) {
        var rest = 0;
        for (j = shown; j < cpg; j++) rest += sums[j];
        calc.appendChild(eq("channels " + (grp * cpg + shown) + "–" + (grp * cpg + cpg - 1) + " (not drawn): Σ = " + num(rest, 6)));
      }
      var pre = total + B[state.ch];
      calc.appendChild(eq("Σ over " + cpg + " channel" + (cpg > 1 ? "s" : "") + " = " + num(total, 6) + ";  + bias " + num(B[state.ch], 6) + " = " + num(pre, 6)));
      return activationStep(L, pre);
    },
    maxpool2d: function (L) { return pool(L, true); },
    avgpool2d: function (L) { return pool(L, false); },
    dense: function (L) {
      var inName = L.inputs[0], X = vals(inName), W = L.params.weights, n = W.shape[0], u = L.shape[0], contrib = [], total = 0;
      for (var i = 0; i < n; i++) { var c = X[i] * W.data[i * u + state.ch]; contrib.push(i); total += c; }
      contrib.sort(function (a, b) { return Math.abs(X[b] * W.data[b * u + state.ch]) - Math.abs(X[a] * W.data[a * u + state.ch]); });
      var src = byName[inName], from = src && src.kind === "flatten" ? shapes[src.inputs[0]] : null;
      calc.appendChild(el("p", "cl-ex-note", "Every input times its weight, summed; the largest contributions:"));
      var t = el("table", "cl-ex-grid");
      t.appendChild(el("caption", "", "top contributions of " + n + " inputs"));
      contrib.slice(0, 10).forEach(function (i) {
        var tr = el("tr"), at = from ? " = " + src.inputs[0] + " (y " + Math.floor(i / (from[1] * from[2])) + ", x " + Math.floor(i / from[2]) % from[1] + ", c " + i % from[2] + ")" : "";
        [inName + "[" + i + "]" + at, num(X[i], 4) + " × " + num(W.data[i * u + state.ch], 4), "= " + num(X[i] * W.data[i * u + state.ch], 4)].forEach(function (txt) { tr.appendChild(el("td", "", txt)); });
        t.appendChild(tr);
      });
      calc.appendChild(t);
      var pre = total + L.params.biases.data[state.ch];
      calc.appendChild(eq("Σ of all " + n + " = " + num(total, 6) + ";  + bias " + num(L.params.biases.data[state.ch], 6) + " = " + num(pre, 6)));
      var out = activationStep(L, pre);
      if (L.name === D.logits) {
        var p = softmax(vals(L.name));
        calc.appendChild(eq("softmax: p(" + D.classes[state.ch] + ") = e^" + num(out, 4) + " / Σ e^z = " + num(p[state.ch], 4)));
      }
      return out;
    },
    activation: function (L, s) {
      var x = vals(L.inputs[0])[idx(s, state.y, state.x, state.ch)], y = act(L, x);
      calc.appendChild(eq(actText(L) + "(" + num(x, 6) + ") = " + num(y, 6)));
      calc.appendChild(curve(L, x));
      return y;
    },
    add: function (L, s) {
      var i = idx(s, state.y, state.x, state.ch), sum = 0, parts = [];
      L.inputs.forEach(function (n, k) {
        if (L.off && L.off[k]) { parts.push(n + " switched off (0)"); return; }
        var v = vals(n)[i]; sum += v; parts.push(n + " " + num(v, 6));
      });
      calc.appendChild(eq(parts.join("  +  ") + "  =  " + num(sum, 6)));
      return activationStep(L, sum);
    },
    multiply: function (L) {
      var c = hereCoords(L), p = 1, parts = [];
      L.inputs.forEach(function (n) { var v = at(n, c); p *= v; parts.push(n + " " + num(v, 6)); });
      calc.appendChild(eq(parts.join("  ×  ") + "  =  " + num(p, 6)));
      return p;
    },
    merge: function (L) {
      var c = hereCoords(L), xs = L.inputs.map(function (n) { return at(n, c); }), r = xs[0];
      var sym = { sub: " − ", div: " / ", pow: " ^ ", sum: " + ", mean: " + " }[L.op];
      for (var i = 1; i < xs.length; i++) {
        switch (L.op) {
          case "sub": r -= xs[i]; break;
          case "div": r /= xs[i]; break;
          case "pow": r = Math.pow(r, xs[i]); break;
          case "max": r = Math.max(r, xs[i]); break;
          case "min": r = Math.min(r, xs[i]); break;
          default: r += xs[i];
        }
      }
      if (L.op === "mean") r /= xs.length;
      var parts = L.inputs.map(function (n, i) { return n + " " + num(xs[i], 6); });
      calc.appendChild(eq((sym ? (L.op === "mean" ? "mean of " : "") + parts.join(sym) : L.op + "(" + parts.join(", ") + ")") + "  =  " + num(r, 6)));
      return r;
    },
    prelu: function (L) {
      var c = hereCoords(L), x = at(L.inputs[0], c), a = param(L, "slope", c), y = x >= 0 ? x : a * x;
      calc.appendChild(eq(x >= 0 ? "x ≥ 0 passes: " + num(x, 6) : "slope · x = " + num(a, 6) + " · " + num(x, 6) + " = " + num(y, 6)));
      return y;
    },
    reshape: function (L) {
      var i = idx(shapes[L.name], state.y, state.x, state.ch), n = L.inputs[0], ins = dims[n], j = i;
      if (L.perm) {
        var ts = L.perm.map(function (p) { return ins[p]; }), tc = unravel(i, ts), ic = [];
        L.perm.forEach(function (p, a) { ic[p] = tc[a]; });
        j = ravel(ic, ins);
      }
      var v = vals(n)[j];
      calc.appendChild(eq("element " + coordsText(unravel(i, dims[L.name])) + " is " + n + " " + coordsText(unravel(j, ins)) + " = " + num(v, 6)));
      return v;
    },
    gather: function (L) {
      var oc = hereCoords(L), n = L.inputs[0], ins = dims[n], a = L.axes[0], b = L.axes[L.axes.length - 1], k = L.ishape.length;
      var p = L.indices[ravel(oc.slice(a, a + k), L.ishape)];
      if (p < 0) { calc.appendChild(eq("a filled position: " + num(L.fill))); return L.fill; }
      var ic = oc.slice(0, a).concat(unravel(p, ins.slice(a, b + 1)), oc.slice(a + k)), v = vals(n)[ravel(ic, ins)];
      calc.appendChild(eq("picks " + n + " " + coordsText(ic) + " = " + num(v, 6)));
      return v;
    },
    reduce: function (L) {
      var oc = hereCoords(L), n = L.inputs[0], ins = dims[n], red = {}, base = [], j = 0;
      L.axes.forEach(function (a) { red[a] = true; });
      for (var a = 0; a < ins.length; a++) base.push(red[a] ? 0 : oc[L.keep ? a : j++]);
      var r = L.op === "max" ? -Infinity : L.op === "min" ? Infinity : 0, count = 0;
      (function walk(a, c) {
        if (a === ins.length) {
          var v = vals(n)[ravel(c, ins)];
          count++;
          if (L.op === "max") r = Math.max(r, v); else if (L.op === "min") r = Math.min(r, v); else if (L.op === "sum" || L.op === "mean") r += v; else r += v * v;
          return;
        }
        if (!red[a]) return walk(a + 1, c);
        for (var t = 0; t < ins[a]; t++) { c[a] = t; walk(a + 1, c); }
      })(0, base.slice());
      if (L.op === "mean") r /= count;
      if (L.op === "l2") r = Math.sqrt(r);
      calc.appendChild(eq(L.op + " over axes " + coordsText(L.axes) + " of " + n + " (" + count + " values) = " + num(r, 6)));
      return r;
    },
    layernorm: function (L) {
      var oc = hereCoords(L), n = L.inputs[0], ins = dims[n], k = L.axes.length, lead = oc.slice(0, ins.length - k), tail = ins.slice(ins.length - k);
      var m = 1, s = 0, s2 = 0;
      tail.forEach(function (d) { m *= d; });
      for (var t = 0; t < m; t++) { var v = vals(n)[ravel(lead.concat(unravel(t, tail)), ins)]; s += v; s2 += v * v; }
      var mean = s / m, variance = s2 / m - mean * mean, ti = ravel(oc.slice(ins.length - k), tail), x = vals(n)[ravel(oc, ins)];
      var g = L.params.gamma.data[ti], b = L.params.beta.data[ti], eps = L.eps || 1e-5, y = (x - mean) / Math.sqrt(variance + eps) * g + b;
      calc.appendChild(eq("(x − mean) / √(var + ε) · γ + β over the " + m + " values of the normalised axes\n= (" + num(x, 6) + " − " + num(mean, 6) + ") / √(" + num(variance, 6) + " + " + num(eps, 3) + ") · " + num(g, 6) + " + " + num(b, 6) + " = " + num(y, 6)));
      return y;
    },
    concat: function (L) {
      var oc = hereCoords(L), a = L.axes ? L.axes[0] : oc.length - 1, c = oc[a];
      for (var k = 0; k < L.inputs.length; k++) {
        var n = L.inputs[k], d = dims[n][a];
        if (c < d) {
          var ic = oc.slice(); ic[a] = c;
          var v = vals(n)[ravel(ic, dims[n])];
          calc.appendChild(eq("position " + oc[a] + " of axis " + a + " is position " + c + " of " + n + ": " + num(v, 6)));
          return v;
        }
        c -= d;
      }
      return null;
    },
    batchnorm: function (L, s) {
      var x = vals(L.inputs[0])[idx(s, state.y, state.x, state.ch)], c = state.ch, P = L.params;
      var m = P.moving_mean.data[c], v = P.moving_var.data[c], g = P.gamma.data[c], b = P.beta.data[c], eps = L.eps || 1e-3;
      var y = (x - m) / Math.sqrt(v + eps) * g + b;
      calc.appendChild(eq("(x − mean) / √(var + ε) · γ + β\n= (" + num(x, 6) + " − " + num(m, 6) + ") / √(" + num(v, 6) + " + " + num(eps, 3) + ") · " + num(g, 6) + " + " + num(b, 6) + " = " + num(y, 6)));
      return y;
    },
    affine: function (L) {
      var c = hereCoords(L), x = at(L.inputs[0], c), a = param(L, "scale", c), b = param(L, "shift", c), y = x * a + b;
      calc.appendChild(eq("x · scale + shift = " + num(x, 6) + " · " + num(a, 6) + " + " + num(b, 6) + " = " + num(y, 6)));
      return y;
    },
    globalavgpool: function (L) {
      var n = L.inputs[0], t = shapes[n], X = vals(n), sum = 0;
      for (var p = 0; p < t[0] * t[1]; p++) sum += X[p * t[2] + state.ch];
      var row = el("div", "cl-ex-chan");
      row.appendChild(windowCanvas(n, state.ch, 0, 0, 0));
      row.appendChild(el("span", "", "mean of the " + t[0] + "×" + t[1] + " values of channel " + state.ch + " = " + num(sum, 6) + " / " + t[0] * t[1]));
      calc.appendChild(row);
      return sum / (t[0] * t[1]);
    },
    flatten: function (L) {
      var n = L.inputs[0], t = shapes[n], i = state.ch, v = vals(n)[i];
      calc.appendChild(eq("element " + i + " is " + n + " (y " + Math.floor(i / (t[1] * t[2])) + ", x " + Math.floor(i / t[2]) % t[1] + ", c " + i % t[2] + ") = " + num(v, 6)));
      return v;
    },
    softmax: function (L) {
      var oc = hereCoords(L), ds = dims[L.name], a = L.axes ? L.axes[0] : ds.length - 1, n = ds[a], z = [];
      for (var t = 0; t < n; t++) { var c = oc.slice(); c[a] = t; z.push(vals(L.inputs[0])[ravel(c, ds)]); }
      var p = softmax(z)[oc[a]];
      calc.appendChild(eq("e^" + num(z[oc[a]], 5) + " / Σ over the " + n + " values of axis " + a + " of e^z = " + num(p, 6)));
      return p;
    },
    pad: function (L, s) {
      var n = L.inputs[0], t = shapes[n], y = state.y - L.pads[0], x = state.x - L.pads[2];
      if (y < 0 || y >= t[0] || x < 0 || x >= t[1]) { calc.appendChild(eq("added border cell: " + num(L.fill))); return L.fill; }
      var v = vals(n)[idx(t, y, x, state.ch)];
      calc.appendChild(eq(n + " (y " + y + ", x " + x + ") = " + num(v, 6)));
      return v;
    },
    identity: passThrough,
    dropout: passThrough
  };
  function passThrough(L, s) {
    var v = vals(L.inputs[0])[idx(s, state.y, state.x, state.ch)];
    calc.appendChild(eq((L.kind === "dropout" ? "dropout is off at inference: " : "passes ") + L.inputs[0] + " through: " + num(v, 6)));
    return v;
  }
  function pool(L, isMax) {
    var n = L.inputs[0], t = shapes[n], X = vals(n), g = win(L), y0 = state.y * g.sh - L.pads[0], x0 = state.x * g.sw - L.pads[2];
    var best = -Infinity, bi = -1, sum = 0, count = 0;
    var cell = function (r, c) { var iy = y0 + r * g.dh, ix = x0 + c * g.dw; return iy >= 0 && iy < t[0] && ix >= 0 && ix < t[1] ? X[idx(t, iy, ix, state.ch)] : null; };
    for (var r = 0; r < g.kh; r++) for (var c = 0; c < g.kw; c++) {
      var v = cell(r, c);
      if (v === null) continue;
      count++; sum += v;
      if (v > best) { best = v; bi = r * g.kw + c; }
    }
    var row = el("div", "cl-ex-chan");
    row.appendChild(windowCanvas(n, state.ch, y0, x0, (g.kh - 1) * g.dh + 1, (g.kw - 1) * g.dw + 1));
    row.appendChild(grid(n + " c" + state.ch, g.kh, g.kw, cell, function (r, c) { return cell(r, c) === null ? "cl-ex-pad" : isMax && r * g.kw + c === bi ? "cl-ex-hi" : ""; }));
    calc.appendChild(row);
    var div = L.countPad ? g.kh * g.kw : count, out = isMax ? best : sum / div;
    calc.appendChild(eq(isMax ? "max of the window = " + num(out, 6) : "mean of " + div + " cells" + (L.countPad ? " (padding counted)" : "") + " = " + num(sum, 6) + " / " + div + " = " + num(out, 6)));
    return out;
  }
  function curve(L, x) {
    var NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg"), r = Math.max(3, Math.abs(x) * 1.2), W = 220, H = 120, pts = [];
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i <= 80; i++) { var u = -r + 2 * r * i / 80, v = act(L, u); pts.push([u, v]); lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (hi - lo < 1e-9) hi = lo + 1;
    var px = function (u) { return 10 + (u + r) / (2 * r) * (W - 20); }, py = function (v) { return H - 10 - (v - lo) / (hi - lo) * (H - 20); };
    svg.setAttribute("width", W); svg.setAttribute("height", H);
    var path = document.createElementNS(NS, "polyline");
    path.setAttribute("points", pts.map(function (p) { return px(p[0]) + "," + py(p[1]); }).join(" "));
    path.setAttribute("fill", "none"); path.setAttribute("stroke", "#4c78a8"); path.setAttribute("stroke-width", "2");
    svg.appendChild(path);
    var dot = document.createElementNS(NS, "circle");
    dot.setAttribute("cx", px(x)); dot.setAttribute("cy", py(act(L, x))); dot.setAttribute("r", 4); dot.setAttribute("fill", "#d62728");
    svg.appendChild(dot);
    return svg;
  }
  // filterView shows a conv channel's kernel: one tile per input channel, and in colour for RGB input.
  function filterView(L, c) {
    var W = L.params.weights, kh = W.shape[0], kw = W.shape[1], cpg = W.shape[2], cout = L.shape[2], box = el("div", "cl-ex-chan");
    var wv = []; for (var j = 0; j < cpg; j++) for (var p = 0; p < kh * kw; p++) wv.push(W.data[(p * cpg + j) * cout + c]);
    var r = rangeOf(wv);
    box.appendChild(el("span", "cl-ex-note", "filter of channel " + c + " (" + kh + "×" + kw + "×" + cpg + "):"));
    for (j = 0; j < Math.min(cpg, 16); j++) {
      var cv = el("canvas"), jj = j;
      paint(cv, kw, kh, r, function (p) { return W.data[(p * cpg + jj) * cout + c]; });
      box.appendChild(sized(cv, 40));
    }
    if (cpg === 3) {
      var rgb = el("canvas"); rgb.width = kw; rgb.height = kh;
      var g = rgb.getContext("2d"), im = g.createImageData(kw, kh), m = Math.max(Math.abs(r.lo), Math.abs(r.hi), 1e-12);
      for (p = 0; p < kh * kw; p++) {
        for (j = 0; j < 3; j++) im.data[4 * p + j] = Math.round(255 * (0.5 + 0.5 * W.data[(p * 3 + j) * cout + c] / m));
        im.data[4 * p + 3] = 255;
      }
      g.putImageData(im, 0, 0);
      rgb.title = "as colour";
      box.appendChild(el("span", "cl-ex-note", "as colour:"));
      box.appendChild(sized(rgb, 40));
    }
    box.appendChild(legend(r));
    return box;
  }

  // ---- dataset examples: the held-out images that excite the channel most ----
  function examplesOf(name, c) {
    var rows = (D.examples || {})[name] || [];
    for (var i = 0; i < rows.length; i++) if (rows[i].ch === c) return rows[i];
    return null;
  }
  function examplesView(r) {
    var box = el("div", "cl-ex-examples");
    box.appendChild(el("h4", "", "What excites channel " + r.ch + " most" + (steps.length ? " at " + (D.stepLabel || "now") : "") +
      (D.examplesFrom ? " in " + D.examplesFrom : "") +
      ": each image cropped to what the channel's largest value sees"));
    var row = el("div", "cl-ex-tops");
    r.tops.forEach(function (t) {
      var f = el("figure", "cl-ex-topimg"), img = el("img");
      img.src = t.png; img.alt = t.label; img.title = t.label;
      f.appendChild(img); f.appendChild(el("figcaption", "", t.label));
      row.appendChild(f);
    });
    box.appendChild(row);
    if (r.means && r.means.length) {
      var order = r.means.map(function (_, i) { return i; });
      order.sort(function (a, b) { return r.means[b] - r.means[a]; });
      box.appendChild(el("p", "cl-ex-note cl-ex-means", "Mean largest value by class: " + order.slice(0, 3).map(function (k) {
        return D.classes[k] + " " + num(r.means[k], 3);
      }).join(", ") + (order.length > 3 ? "; lowest " + D.classes[order[order.length - 1]] + " " + num(r.means[order[order.length - 1]], 3) : "")));
    }
    return box;
  }

  // ---- time-lapse: the model at each saved checkpoint ----
  function drawSteps() {
    stepBox.textContent = "";
    if (!steps.length) return;
    var lab = el("label", "cl-ex-note"), sl = el("input", "cl-ex-step"), now = el("b", "cl-ex-steplabel");
    sl.type = "range"; sl.min = 0; sl.max = steps.length; sl.step = 1; sl.value = state.step;
    sl.setAttribute("aria-label", "training checkpoint");
    now.textContent = state.step < steps.length ? steps[state.step].label : (D.stepLabel || "now");
    sl.oninput = function () { setStep(Number(sl.value)); };
    lab.appendChild(document.createTextNode("Checkpoint: "));
    lab.appendChild(sl);
    lab.appendChild(now);
    stepBox.appendChild(lab);
    stepBox.appendChild(el("span", "cl-ex-note", " (every value, parameter and map below is the model's at that checkpoint)"));
  }

  function redraw() {
    if (hooks.beforeRedraw) hooks.beforeRedraw();
    drawSteps(); drawPicker(); drawProbs(); drawOverview(); drawDetail();
  }
  // First selection: the strongest value of the Grad-CAM layer (else the last convolution),
  // not a corner of padding.
  var convs = D.layers.filter(function (L) { return L.kind === "conv2d" && spatial(L.shape); });
  var start = (byName[D.camLayer] && spatial(shapes[D.camLayer])) ? byName[D.camLayer] : convs[convs.length - 1] || D.layers[0];
  state.layer = start.name;
  if (spatial(shapes[start.name])) {
    var sv = vals(start.name), ss = shapes[start.name], best = 0;
    for (var i = 1; i < sv.length; i++) if (sv[i] > sv[best]) best = i;
    state.ch = best % ss[2]; state.x = Math.floor(best / ss[2]) % ss[1]; state.y = Math.floor(best / (ss[1] * ss[2]));
    if (state.ch >= 8) state.expanded[start.name] = true;
  }
  redraw();
  drawMap();
  var startNode = ov.querySelector('[data-node="' + CSS.escape(start.name) + '"]');
  if (startNode) ov.scrollLeft = Math.max(0, startNode.offsetLeft - ov.clientWidth / 3);
  window.addEventListener("resize", drawEdges);
  return { D: D, root: root, state: state, hooks: hooks, shapes: shapes, byName: byName, floats: floats, el: el, num: num,
    paint: paint, rangeOf: rangeOf, softmax: softmax, redraw: redraw, clearCache: function () { cache = {}; } };
}

/* convlens static site: opens an ONNX file in the engine and mounts the live explorer on it. */
function convlensSite(id) {
  "use strict";
  var root = document.getElementById(id), status = root.querySelector(".cl-site-status"), E = null, count = 0, current = null;
  var data = JSON.parse(document.getElementById(id + "-samples").textContent);
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function bytesOf(b64) { var s = atob(b64), u = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return u; }
  function fmt(n) { return n >= 1e9 ? (n / 1e9).toFixed(2) + " G" : n >= 1e6 ? (n / 1e6).toFixed(2) + " M" : n >= 1e3 ? (n / 1e3).toFixed(1) + " k" : String(n); }

  function summary(sum) {
    var box = root.querySelector(".cl-site-summary"), t = el("table", "cl-site-table"), head = el("tr");
    box.textContent = "";
    ["layer", "kind", "output", "parameters", "FLOPs"].forEach(function (h) { head.appendChild(el("th", "", h)); });
    t.appendChild(head);
    sum.layers.forEach(function (l) {
      var tr = el("tr");
      tr.appendChild(el("td", "", l.name));
      tr.appendChild(el("td", "", l.kind + (l.activation ? " + " + l.activation : "")));
      tr.appendChild(el("td", "", l.out_shape.join("×")));
      tr.appendChild(el("td", "n", fmt(l.params)));
      tr.appendChild(el("td", "n", fmt(l.flops)));
      t.appendChild(tr);
    });
    box.appendChild(el("p", "cl-note", sum.model + ": input " + sum.input_shape.join("×") + ", " + fmt(sum.params_total) + " parameters, " +
      fmt(sum.flops_per_image) + "FLOPs per image, " + sum.layers.length + " layers."));
    box.appendChild(t);
  }
  var classNames = null; // from the class-names file or the sample, applied to each model opened
  function named() {
    if (!current || !classNames) return;
    var D = current.D;
    D.classes = D.classes.map(function (c, i) { return i < classNames.length && classNames[i] ? classNames[i] : c; });
    current.redraw();
  }
  root.querySelector(".cl-site-classes").onchange = function () {
    var f = this.files[0];
    if (!f) return;
    f.text().then(function (t) {
      classNames = t.split(/\r?\n/).map(function (l) { return l.trim(); });
      while (classNames.length && !classNames[classNames.length - 1]) classNames.pop();
      named();
    });
  };
  function open(bytes, name, imageNet, classes) {
    if (classes) classNames = classes;
    if (!E) { status.textContent = "The engine is still starting."; return; }
    status.textContent = "Opening " + name + "…";
    root.dataset.model = "";
    setTimeout(function () { // let the status show first
      var t0 = performance.now(), res = E.openONNX(bytes, name, !!imageNet);
      if (res.error) { status.textContent = res.error; root.dataset.model = "failed"; return; }
      summary(JSON.parse(res.summary));
      var notes = root.querySelector(".cl-site-notices");
      notes.textContent = "";
      (res.notices || []).forEach(function (n) { notes.appendChild(el("p", "cl-note", n)); });
      var box = root.querySelector(".cl-site-explorer"), exId = id + "-ex" + (++count);
      box.textContent = "";
      var div = el("div", "cl-ex"), script = el("script");
      div.id = exId; script.type = "application/json"; script.id = exId + "-data"; script.textContent = res.explorer;
      box.appendChild(script); box.appendChild(div);
      current = convlensLive(convlensExplore(exId), { engine: E, spec: JSON.parse(res.spec), camLayer: res.camLayer });
      named();
      status.textContent = name + " opened in " + (performance.now() - t0).toFixed(0) + " ms. Pick a photo in the explorer, or change the model.";
      root.dataset.model = name;
    }, 10);
  }
  function openFile(f) {
    f.arrayBuffer().then(function (b) { open(new Uint8Array(b), f.name, root.querySelector(".cl-site-imagenet").checked); });
  }
  root.querySelector(".cl-site-onnx").onchange = function () { if (this.files[0]) openFile(this.files[0]); };
  var drop = root.querySelector(".cl-site-drop");
  root.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("cl-over"); });
  root.addEventListener("dragleave", function () { drop.classList.remove("cl-over"); });
  root.addEventListener("drop", function (e) {
    e.preventDefault(); drop.classList.remove("cl-over");
    var f = e.dataTransfer.files[0];
    if (!f) return;
    if (/\.onnx$/i.test(f.name)) openFile(f); else if (current) current.takePhoto(f);
  });
  var sb = root.querySelector(".cl-site-samples");
  if (data.samples && data.samples.length) sb.appendChild(el("span", "cl-note", "Samples: "));
  (data.samples || []).forEach(function (s) {
    var b = el("button", "cl-site-sample", s.name);
    b.type = "button";
    b.onclick = function () { open(bytesOf(s.onnx), s.name, s.imageNet, s.classes); };
    sb.appendChild(b);
  });
  var ib = root.querySelector(".cl-site-images");
  if (data.images && data.images.length) ib.appendChild(el("span", "cl-note", "Sample images (after a model): "));
  (data.images || []).forEach(function (im) {
    var b = el("button", "cl-site-image"), img = el("img");
    b.type = "button"; b.title = im.name; img.src = im.png; img.alt = im.name; img.width = 32; img.height = 32;
    b.appendChild(img);
    b.onclick = function () {
      if (!current) { status.textContent = "Open a model first."; return; }
      fetch(im.png).then(function (r) { return r.blob(); }).then(function (blob) { blob.name = im.name; current.takePhoto(blob, im.name); });
    };
    ib.appendChild(b);
  });
  convlensStartEngine(document.getElementById(id + "-engine").textContent).then(function (e) {
    E = e;
    root.dataset.engine = "ready";
    status.textContent = "The convlens engine is ready: open an ONNX model.";
  }).catch(function (err) { root.dataset.engine = "failed"; status.textContent = "The engine could not start: " + err; });
}

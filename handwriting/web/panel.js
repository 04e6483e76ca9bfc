// Handwriting panel of the `suite serve` page: write on the canvas; the strokes (x, y, time, pen up
// between strokes) go to POST /v1/read as JSON ink, and the text shows while you write.
"use strict";

suite.registerPanel("handwriting", function (root, ctx) {
  const { el } = ctx;
  ctx.stylesheet("panel.css");
  const canvas = el("canvas", { width: 900, height: 220, class: "ink", "data-testid": "ink-canvas" });
  const text = el("div", { class: "result", "data-testid": "ink-text" });
  const note = el("span", { class: "muted small" });
  const file = el("input", { type: "file", accept: ".json,.inkml,.xml,.dat,.txt" });
  const g = canvas.getContext("2d");
  let strokes = [];      // [[[x, y, t], ...], ...]: JSON ink, y downward, t in seconds
  let current = null;
  let t0 = null;
  let timer = null;
  let asked = 0;         // answers to older requests are dropped

  function point(ev) {
    const r = canvas.getBoundingClientRect();
    const now = performance.now() / 1000;
    if (t0 === null) t0 = now;
    return [Math.round((ev.clientX - r.left) * canvas.width / r.width * 10) / 10,
            Math.round((ev.clientY - r.top) * canvas.height / r.height * 10) / 10,
            Math.round((now - t0) * 1000) / 1000];
  }

  function pen() { g.lineWidth = 2.5; g.lineCap = "round"; g.lineJoin = "round"; g.strokeStyle = "#1d2330"; }

  function redraw() {
    g.clearRect(0, 0, canvas.width, canvas.height);
    pen();
    for (const s of strokes.concat(current ? [current] : [])) {
      g.beginPath();
      s.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      if (s.length === 1) g.lineTo(s[0][0] + 0.1, s[0][1]);
      g.stroke();
    }
  }

  async function recognise() {
    const id = ++asked;
    if (!strokes.length) { text.textContent = ""; note.textContent = ""; return; }
    note.textContent = "reading…";
    try {
      const res = await ctx.post({ strokes });
      if (id !== asked) return;
      text.textContent = res.text;
      note.textContent = "";
    } catch (e) {
      if (id === asked) { ctx.showError(text, e); note.textContent = ""; }
    }
  }

  function soon() { clearTimeout(timer); timer = setTimeout(recognise, 400); }

  canvas.addEventListener("pointerdown", (ev) => {
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    clearTimeout(timer);
    current = [point(ev)];
    pen();
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!current) return;
    const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
    g.beginPath();
    g.moveTo(...current[current.length - 1].slice(0, 2));
    for (const e of events.length ? events : [ev]) {
      current.push(point(e));
      g.lineTo(...current[current.length - 1].slice(0, 2));
    }
    g.stroke();  // only the new piece: a full redraw per move would grow with the ink
  });
  function penUp() {
    if (!current) return;
    strokes.push(current);
    current = null;
    redraw();
    soon();
  }
  canvas.addEventListener("pointerup", penUp);
  canvas.addEventListener("pointercancel", penUp);

  const undo = el("button", { onclick: () => { strokes.pop(); redraw(); soon(); } }, "Undo");
  const clear = el("button", { onclick: () => { strokes = []; t0 = null; redraw(); recognise(); } }, "Clear");
  file.addEventListener("change", async () => {
    if (!file.files[0]) return;
    note.textContent = "reading the file…";
    try {
      const res = await ctx.post(file.files[0]);
      text.textContent = (Array.isArray(res) ? res : [res]).map((r) => r.text).join(" | ");
      note.textContent = file.files[0].name;
    } catch (e) { ctx.showError(text, e); note.textContent = ""; }
  });
  root.append(el("p", { class: "muted small" }, "Write a line with the mouse, a pen or a finger; the text appears as you write."),
    canvas, el("div", { class: "row" }, undo, clear, note), text,
    el("div", { class: "row muted small" }, "or read an ink file (JSON, InkML, IAM-OnDB XML, UNIPEN): ", file));
  redraw();
});

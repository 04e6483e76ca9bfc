// Video panel of the `suite serve` page: upload a clip; shows the top-k labels and, along the clip,
// the timeline of labelled segments (POST /v1/label with top_k and timeline).
"use strict";

suite.registerPanel("video", function (root, ctx) {
  const { el } = ctx;
  const file = el("input", { type: "file", accept: "video/*,.mp4,.avi,.mkv,.webm,.mov", "data-testid": "video-file" });
  const opts = ctx.optionControls(ctx.model, ["top_k"]);
  const topk = el("div", { "data-testid": "video-topk" });
  const plot = el("canvas", { width: 860, height: 120, hidden: true, "data-testid": "video-timeline",
                              style: "width:100%;max-width:860px" });
  const note = el("span", { class: "muted small" });
  const preview = el("video", { controls: true, muted: true, hidden: true, style: "max-width:320px;max-height:180px" });
  const topInput = opts.el.querySelector("input");
  if (topInput) topInput.value = 3;

  function colour(label) {
    const labels = ctx.model.labels || [];
    const i = Math.max(0, labels.indexOf(label));
    return `hsl(${(i * 360) / Math.max(1, labels.length)}, 60%, 55%)`;
  }

  function drawTimeline(segments) {
    const g = plot.getContext("2d");
    const W = plot.width, H = plot.height, top = 8, base = H - 28;
    const end = segments.length ? segments[segments.length - 1].end : 1;
    g.clearRect(0, 0, W, H);
    g.font = "12px system-ui, sans-serif";
    for (const s of segments) {
      const x0 = (s.start / end) * (W - 2), x1 = (s.end / end) * (W - 2);
      const h = (base - top) * s.confidence;
      g.fillStyle = colour(s.label);
      g.fillRect(x0 + 1, base - h, Math.max(1, x1 - x0 - 1), h);
      g.fillStyle = "#1d2330";
      if (x1 - x0 > 40) g.fillText(s.label, x0 + 4, base - h + 14 > base - 2 ? base - 4 : base - h + 14);
    }
    g.strokeStyle = "#6b7280"; g.beginPath(); g.moveTo(0, base + 0.5); g.lineTo(W, base + 0.5); g.stroke();
    g.fillStyle = "#6b7280";
    const step = end > 20 ? 5 : end > 6 ? 2 : 1;
    for (let t = 0; t <= end + 1e-6; t += step) {
      const x = Math.min(W - 20, (t / end) * (W - 2));
      g.fillText(t + " s", x, H - 8);
    }
    plot.hidden = false;
  }

  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    preview.src = URL.createObjectURL(f); preview.hidden = false;
    topk.replaceChildren(); plot.hidden = true; note.textContent = "labelling…";
    try {
      const res = await ctx.post(f, { ...opts.values(), timeline: "true" });
      note.textContent = f.name;
      topk.replaceChildren(el("table", { class: "words" }, (res.top_k || [[res.label, res.confidence]]).map(([label, p]) =>
        el("tr", {}, el("td", {}, label), el("td", {}, el("meter", { min: 0, max: 1, value: p })), el("td", {}, p.toFixed(3))))));
      drawTimeline(res.segments || [{ start: 0, end: 1, label: res.label, confidence: res.confidence }]);
    } catch (e) { ctx.showError(topk, e); note.textContent = ""; }
  });
  root.append(el("p", { class: "muted small" }, "Upload a clip: the most likely actions, then what happens along it."),
    el("div", { class: "row" }, file, opts.el, note), preview, topk, plot);
});

// Speech panel of the `suite serve` page: record from the microphone (Web Audio, encoded here as 16-bit
// PCM WAV, so the server needs no ffmpeg) or upload a file; shows the transcript with word times.
"use strict";

suite.registerPanel("speech", function (root, ctx) {
  const { el } = ctx;
  const text = el("div", { class: "result", "data-testid": "speech-text" });
  const words = el("div");
  const note = el("span", { class: "muted small", "data-testid": "speech-note" });
  const player = el("audio", { controls: true, hidden: true });
  const file = el("input", { type: "file", accept: "audio/*,.wav,.flac,.ogg,.mp3", "data-testid": "speech-file" });
  const opts = ctx.optionControls(ctx.model, ["decoder", "timestamps"]);
  const stamps = opts.el.querySelector("input[name=timestamps]");
  if (stamps) stamps.checked = true;  // word times on by default
  const record = el("button", { "data-testid": "speech-record" }, "● Record");
  let rec = null;

  function wav(chunks, rate) {
    const n = chunks.reduce((a, c) => a + c.length, 0);
    const view = new DataView(new ArrayBuffer(44 + 2 * n));
    const str = (o, s) => [...s].forEach((c, i) => view.setUint8(o + i, c.charCodeAt(0)));
    str(0, "RIFF"); view.setUint32(4, 36 + 2 * n, true); str(8, "WAVE"); str(12, "fmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); str(36, "data"); view.setUint32(40, 2 * n, true);
    let o = 44;
    for (const c of chunks) for (const v of c) { view.setInt16(o, Math.max(-1, Math.min(1, v)) * 0x7fff, true); o += 2; }
    return new Blob([view], { type: "audio/wav" });
  }

  async function send(blob, name) {
    text.textContent = ""; words.replaceChildren(); note.textContent = "transcribing…";
    const upload = new File([blob], name, { type: blob.type });
    try {
      const res = await ctx.post(upload, opts.values());
      const r = Array.isArray(res) ? res[0] : res;
      text.textContent = r.text || "(nothing heard)";
      note.textContent = name;
      if (r.words && r.words.length) {
        words.replaceChildren(el("table", { class: "words" },
          el("tr", {}, el("th", {}, "word"), el("th", {}, "start s"), el("th", {}, "end s")),
          r.words.map((w) => el("tr", {}, el("td", {}, w.word), el("td", {}, w.start.toFixed(2)), el("td", {}, w.end.toFixed(2))))));
      }
    } catch (e) { ctx.showError(text, e); note.textContent = ""; }
  }

  async function start() {
    let stream;
    try { stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false } }); }
    catch (e) { ctx.showError(text, "no microphone (" + e.message + ")"); return; }
    const ac = new AudioContext();
    // a context made after the await may start suspended (autoplay policy): it would record nothing
    if (ac.state === "suspended") await ac.resume();
    const source = ac.createMediaStreamSource(stream);
    const proc = ac.createScriptProcessor(4096, 1, 1);
    const mute = ac.createGain();
    mute.gain.value = 0;
    const chunks = [];
    proc.onaudioprocess = (ev) => {
      chunks.push(new Float32Array(ev.inputBuffer.getChannelData(0)));
      const seconds = (chunks.length * proc.bufferSize) / ac.sampleRate;  // every chunk is one full buffer
      note.textContent = `recording… ${seconds.toFixed(1)} s`;
      note.dataset.seconds = seconds.toFixed(2);
    };
    source.connect(proc); proc.connect(mute); mute.connect(ac.destination);
    rec = { ac, stream, chunks, source, proc };
    record.textContent = "■ Stop"; record.classList.add("recording"); note.textContent = "recording…";
  }

  async function stop() {
    const { ac, stream, chunks, source, proc } = rec;
    rec = null;
    source.disconnect(); proc.disconnect();
    stream.getTracks().forEach((t) => t.stop());
    await ac.close();
    record.textContent = "● Record"; record.classList.remove("recording");
    delete note.dataset.seconds;
    if (!chunks.length) { ctx.showError(text, "nothing was recorded: the microphone sent no audio"); note.textContent = ""; return; }
    const blob = wav(chunks, ac.sampleRate);
    player.src = URL.createObjectURL(blob); player.hidden = false;
    await send(blob, "recording.wav");
  }

  record.addEventListener("click", () => (rec ? stop() : start()));
  file.addEventListener("change", () => {
    if (!file.files[0]) return;
    player.src = URL.createObjectURL(file.files[0]); player.hidden = false;
    send(file.files[0], file.files[0].name);
  });
  root.append(el("p", { class: "muted small" }, "Record from the microphone (press again to stop) or upload a file."),
    el("div", { class: "row" }, record, file, opts.el), player, el("div", { class: "row" }, note), text, words);
});

// The page's core: lists the loaded models (GET /v1/models), loads each domain's panel script and gives
// the panels a small shared API (window.suite). It knows no domain: a model without a panel gets a plain
// upload form.
"use strict";

(function () {
  const panels = {};   // domain name -> mount function registered by its panel script
  const sections = {}; // domain name -> {el, model} waiting for (or given to) a panel

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function token() { return sessionStorage.getItem("suite-token") || ""; }

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // POST to an endpoint: body is a FormData (multipart upload), a Blob/File (sent as field 'file') or a
  // plain object (JSON); params become query-string options. Resolves to the JSON answer.
  async function post(endpoint, body, params) {
    let init = { method: "POST", headers: {} };
    if (token()) init.headers["Authorization"] = "Bearer " + token();
    if (body instanceof Blob) {
      const form = new FormData();
      form.append("file", body, body.name || "upload");
      body = form;
    }
    if (body instanceof FormData) init.body = body;
    else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") query.set(k, v);
    const url = endpoint + (query.toString() ? "?" + query : "");
    const res = await fetch(url, init);
    let data = null;
    try { data = await res.json(); } catch (e) { data = { error: res.statusText || "bad answer" }; }
    if (!res.ok) {
      if (res.status === 401) askToken("The token was refused.");
      throw new ApiError(res.status, (data && data.error) || res.statusText);
    }
    return data;
  }

  // Controls for the model's options named in `names` (those it has), with their current values.
  function optionControls(model, names) {
    const box = el("span", { class: "options" });
    const getters = {};
    for (const name of names) {
      const o = (model.options || {})[name];
      if (!o) continue;
      let input;
      if (o.type === "boolean") input = el("input", { type: "checkbox", checked: !!o.default });
      else if (o.enum) input = el("select", {}, o.enum.map((v) => el("option", { value: v, selected: v === o.default }, v)));
      else input = el("input", { type: "number", value: o.default ?? "", min: o.minimum, max: o.maximum,
                                 step: o.type === "integer" ? 1 : "any", class: "num" });
      input.name = name;
      getters[name] = () => (o.type === "boolean" ? String(input.checked) : input.value);
      box.append(el("label", { title: o.description || "" }, name.replace(/_/g, " ") + " ", input));
    }
    return { el: box, values: () => Object.fromEntries(Object.entries(getters).map(([k, f]) => [k, f()])) };
  }

  function showError(target, err) {
    target.replaceChildren(el("span", { class: "error" }, "error: " + (err && err.message ? err.message : err)));
  }

  function context(model) {
    return {
      model, el, showError, optionControls,
      post: (body, params) => post(model.endpoint, body, params),
      // a file next to the panel script (its css, ...), served at /panels/<domain>/<name>
      asset: (name) => model.panel.replace(/[^/]+$/, name),
      stylesheet(name) { document.head.append(el("link", { rel: "stylesheet", href: this.asset(name) })); },
    };
  }

  function mount(domain) {
    const s = sections[domain];
    if (!s || s.mounted || !panels[domain]) return;
    s.mounted = true;
    s.body.replaceChildren();
    try { panels[domain](s.body, context(s.model)); } catch (e) { showError(s.body, e); }
  }

  // A model whose domain has no panel: upload a file, see the JSON answer.
  function genericPanel(root, ctx) {
    const out = el("pre", { class: "result" });
    const opts = ctx.optionControls(ctx.model, Object.keys(ctx.model.options || {}));
    const file = el("input", { type: "file" });
    root.append(el("div", { class: "row" }, file, opts.el,
      el("button", { onclick: async () => {
        if (!file.files[0]) return;
        out.textContent = "…";
        try { out.textContent = JSON.stringify(await ctx.post(file.files[0], opts.values()), null, 2); }
        catch (e) { showError(out, e); }
      } }, "Send")), out);
  }

  function addSection(model) {
    const metrics = Object.entries(model.scores || model.metrics || {})
      .filter(([, v]) => typeof v === "number").slice(0, 4)
      .map(([k, v]) => `${k} ${Math.abs(v) < 1 ? v.toFixed(3) : v}`).join("; ");
    const body = el("div", { class: "panel-body" }, el("p", { class: "muted" }, "Loading panel…"));
    const section = el("section", { class: "panel", id: "panel-" + model.domain, "data-domain": model.domain },
      el("h2", {}, model.domain, el("span", { class: "muted" }, ` — ${model.model}, POST ${model.endpoint}`)),
      model.description ? el("p", { class: "small" }, model.description) : null,
      metrics ? el("p", { class: "muted small" }, "scores: " + metrics) : null, body);
    document.getElementById("panels").append(section);
    sections[model.domain] = { body, model, mounted: false };
    if (model.panel) {
      const script = el("script", { src: model.panel });
      script.onerror = () => { panels[model.domain] = genericPanel; mount(model.domain); };
      document.body.append(script);
    } else {
      panels[model.domain] = genericPanel;
      mount(model.domain);
    }
  }

  function askToken(message) {
    const form = document.getElementById("token-form");
    form.hidden = false;
    document.getElementById("token-error").textContent = message || "";
  }

  async function start() {
    const status = document.getElementById("status");
    const headers = token() ? { Authorization: "Bearer " + token() } : {};
    let res;
    try { res = await fetch("/v1/models", { headers }); } catch (e) { status.textContent = "The server does not answer."; return; }
    if (res.status === 401) { status.textContent = ""; askToken(token() ? "The token was refused." : ""); return; }
    if (!res.ok) { status.textContent = "Could not list the models: " + res.status; return; }
    const data = await res.json();
    document.getElementById("token-form").hidden = true;
    status.textContent = data.models.length ? "" : "No model is loaded.";
    document.getElementById("panels").replaceChildren();
    for (const k of Object.keys(sections)) delete sections[k];
    data.models.forEach(addSection);
  }

  window.suite = {
    el, post, optionControls, showError,
    // a panel script calls this: mountFn(rootElement, ctx), ctx = {model, post, el, showError, optionControls,
    // asset, stylesheet}
    registerPanel(domain, mountFn) { panels[domain] = mountFn; mount(domain); },
  };

  document.getElementById("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("suite-token", document.getElementById("token-input").value.trim());
    start();
  });
  start();
})();

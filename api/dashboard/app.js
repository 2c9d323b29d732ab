// The operations dashboard: signs in with the API's own token endpoint, reads only the public HTTP API and
// follows the alert stream (EventSource cannot send headers, so the stream alone accepts ?access_token=).
"use strict";
const API = "/api/v1";
const state = { token: sessionStorage.getItem("shopops.token"), lang: localStorage.getItem("shopops.lang") || "en", charts: {}, alerts: new Map(), stream: null };
const $ = (id) => document.getElementById(id);
const t = (key) => (window.I18N[state.lang] || window.I18N.en)[key] || key;

const TILES = [
  ["orders", "orders.count", (v) => v],
  ["revenue", "sales.revenue", money],
  ["aov", "sales.aov", money],
  ["fill_rate", "orders.fill_rate_units", percent],
  ["to_shipped", "orders.placed_to_shipped_s.p50", hours],
  ["inventory_value", "inventory.value", money],
  ["turnover", "inventory.turnover", (v) => fixed(v, 2)],
  ["slow_share", "inventory.slow_mover_share_skus", percent],
  ["sla_breach", "tickets.sla_breach_rate", percent],
  ["first_response", "tickets.first_response_s.p50", hours],
  ["mase", "forecasts.mase", (v) => fixed(v, 2)],
];

function money(v) { return v ? `${v.amount} ${v.currency || ""}`.trim() : "–"; }
function percent(v) { return v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`; }
function hours(v) { return v === null || v === undefined ? "–" : (v / 3600).toFixed(1); }
function fixed(v, n) { return v === null || v === undefined ? "–" : Number(v).toFixed(n); }
function pick(obj, path) { return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj); }
function day(d) { return d.toISOString().slice(0, 10); }

async function api(path) {
  const response = await fetch(API + path, { headers: { Authorization: `Bearer ${state.token}` } });
  if (response.status === 401) { signOut(); throw new Error("signed out"); }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function translate() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("lang").textContent = state.lang === "zh" ? "English" : "中文";
}

async function signIn(event) {
  event.preventDefault();
  const body = JSON.stringify({ username: $("username").value, password: $("password").value });
  const response = await fetch(`${API}/auth/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  if (!response.ok) { $("signin-error").textContent = t("bad_login"); return; }
  state.token = (await response.json()).access_token;
  sessionStorage.setItem("shopops.token", state.token);
  show();
}

function signOut() {
  state.token = null;
  sessionStorage.removeItem("shopops.token");
  if (state.stream) state.stream.close();
  $("board").hidden = true; $("signin").hidden = false; $("signout").hidden = true;
}

function period() { return `from=${$("from").value}&to=${$("to").value}`; }

async function show() {
  $("signin").hidden = true; $("board").hidden = false; $("signout").hidden = false;
  if (!$("to").value) {
    const end = new Date(); end.setUTCDate(end.getUTCDate() + 1);
    const start = new Date(end); start.setUTCDate(start.getUTCDate() - 30);
    $("to").value = day(end); $("from").value = day(start);
  }
  await refresh();
  follow();
}

async function refresh() {
  const kpis = await api(`/kpis?${period()}&compare=previous`);
  renderTiles(kpis);
  const [sales, inventory, weeks] = await Promise.all([
    api(`/reports/sales?${period()}&group_by=channel&interval=day&limit=500`),
    api("/reports/inventory?limit=500"),
    weekly(),
  ]);
  salesChart(sales.items);
  weeklyCharts(weeks);
  slowMovers(inventory.items.filter((row) => row.slow));
  await loadAlerts();
  if ($("sku").value) await forecastChart($("sku").value);
  document.body.dataset.ready = "true";
}

function renderTiles(kpis) {
  $("tiles").replaceChildren(...TILES.map(([label, path, format]) => {
    const tile = document.createElement("div");
    const value = pick(kpis, path);
    const delta = pick(kpis.compare ? kpis.compare.delta_pct : {}, path);
    tile.className = "tile"; tile.dataset.kpi = path; tile.dataset.raw = JSON.stringify(value === undefined ? null : value);
    tile.innerHTML = `<div class="label"></div><div class="value"></div><div class="delta"></div>`;
    tile.querySelector(".label").textContent = t(label);
    tile.querySelector(".value").textContent = value === null || value === undefined ? "–" : format(value);
    if (typeof delta === "number") {
      const d = tile.querySelector(".delta");
      d.textContent = `${delta > 0 ? "▲" : delta < 0 ? "▼" : "■"} ${Math.abs(delta).toFixed(1)}% ${t("vs_previous")}`;
      d.classList.add(delta >= 0 ? "up" : "down");
    }
    return tile;
  }));
}

async function weekly() {
  const end = new Date(`${$("to").value}T00:00:00Z`);
  const starts = [...Array(8).keys()].map((i) => { const d = new Date(end); d.setUTCDate(d.getUTCDate() - 7 * (8 - i)); return d; });
  return Promise.all(starts.map(async (start) => {
    const stop = new Date(start); stop.setUTCDate(stop.getUTCDate() + 7);
    return { week: day(start), kpis: await api(`/kpis?from=${day(start)}&to=${day(stop)}`) };
  }));
}

function chart(id, config) {
  if (state.charts[id]) state.charts[id].destroy();
  config.options = { animation: false, responsive: true, ...(config.options || {}) };
  state.charts[id] = new window.Chart($(id), config);
  $(id).dataset.rendered = "true";
}

function salesChart(items) {
  const days = [...new Set(items.map((r) => r.period))].sort();
  const channels = [...new Set(items.map((r) => r.group))].sort();
  const datasets = channels.map((channel) => ({
    label: channel, data: days.map((d) => { const r = items.find((x) => x.period === d && x.group === channel); return r ? Number(r.revenue.amount) : 0; }),
  }));
  chart("chart-sales", { type: "bar", data: { labels: days, datasets }, options: { scales: { x: { stacked: true }, y: { stacked: true } } } });
}

function weeklyCharts(weeks) {
  const labels = weeks.map((w) => w.week);
  const series = (path, scale = 1) => weeks.map((w) => { const v = pick(w.kpis, path); return v == null ? null : (typeof v === "object" ? Number(v.amount) : v / scale); });
  chart("chart-processing", { type: "line", data: { labels, datasets: [
    { label: `${t("p50")}`, data: series("orders.placed_to_shipped_s.p50", 3600) },
    { label: `${t("p90")}`, data: series("orders.placed_to_shipped_s.p90", 3600) }] } });
  chart("chart-inventory", { type: "line", data: { labels, datasets: [
    { label: t("inventory_value"), data: series("inventory.value"), yAxisID: "y" },
    { label: t("turnover"), data: series("inventory.turnover"), yAxisID: "y1" }] },
  options: { scales: { y1: { position: "right", grid: { drawOnChartArea: false } } } } });
  chart("chart-tickets", { type: "bar", data: { labels, datasets: [
    { label: t("breach"), data: series("tickets.sla_breach_rate") },
    { label: t("first_response"), data: series("tickets.first_response_s.p50", 3600), type: "line" }] } });
}

function slowMovers(rows) {
  const body = $("slow").tBodies[0];
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    [r.sku, r.warehouse, r.on_hand, money(r.value)].forEach((v) => { const td = document.createElement("td"); td.textContent = v; tr.append(td); });
    return tr;
  }));
}

async function forecastChart(sku) {
  const safe = encodeURIComponent(sku);
  const history = await api(`/sales-history/${safe}`);
  let points = [];
  try { points = (await api(`/forecasts/${safe}`)).points; } catch (error) { points = []; }
  const labels = [...new Set([...history.days.map((d) => d.date), ...points.map((p) => p.date)])].sort();
  const actual = labels.map((d) => { const r = history.days.find((x) => x.date === d); return r ? r.units : null; });
  const forecast = labels.map((d) => { const p = points.find((x) => x.date === d); return p ? p.mean : null; });
  chart("chart-forecast", { type: "line", data: { labels, datasets: [{ label: t("actual"), data: actual }, { label: t("forecast"), data: forecast }] } });
}

async function loadAlerts() {
  const page = await api("/alerts?status=open&limit=200");
  state.alerts = new Map(page.items.map((a) => [a.id, a]));
  renderAlerts();
}

function renderAlerts() {
  const open = [...state.alerts.values()].filter((a) => a.status !== "resolved").sort((a, b) => b.raised_at.localeCompare(a.raised_at));
  $("alerts").replaceChildren(...open.map((a) => {
    const li = document.createElement("li");
    li.dataset.alertId = a.id; li.dataset.kind = a.kind; li.className = `sev-${a.severity}`;
    li.textContent = `${a.kind} · ${a.subject} · ${a.raised_at.slice(0, 16).replace("T", " ")}`;
    return li;
  }));
}

function follow() {
  if (state.stream) state.stream.close();
  state.stream = new EventSource(`${API}/alerts/stream?access_token=${encodeURIComponent(state.token)}`);
  state.stream.addEventListener("open", () => { $("stream-state").textContent = t("live"); });
  state.stream.addEventListener("error", () => { $("stream-state").textContent = t("reconnecting"); });
  state.stream.addEventListener("alert", (event) => {
    const alert = JSON.parse(event.data);
    state.alerts.set(alert.id, alert);
    renderAlerts();
  });
}

async function download(path, name) {
  const response = await fetch(API + path, { headers: { Authorization: `Bearer ${state.token}`, Accept: "text/csv" } });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob()); link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

document.addEventListener("DOMContentLoaded", () => {
  translate();
  $("signin").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem("shopops.lang", state.lang); translate(); if (state.token) refresh(); });
  $("refresh").addEventListener("click", refresh);
  $("sku").addEventListener("change", () => forecastChart($("sku").value));
  $("csv-sales").addEventListener("click", (e) => { e.preventDefault(); download(`/reports/sales?${period()}&group_by=channel&interval=day`, "sales.csv"); });
  $("csv-inventory").addEventListener("click", (e) => { e.preventDefault(); download("/reports/inventory", "inventory.csv"); });
  if (state.token) show().catch(() => signOut());
});

#include "gateway/dashboard.h"

namespace inburgering::gateway {

// Plain HTML, CSS and JavaScript with no external resources: it works offline inside a gemeente
// network. Script and style are files of their own, so that the page's Content-Security-Policy
// allows no inline script or style and no other origin. The token is kept in sessionStorage only
// (gone when the tab closes) and sent as a bearer token to the JSON API.
absl::string_view DashboardHtml() {
  static constexpr char kPage[] = R"html(<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inburgering en werk: dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header><h1>Inburgering en werk &mdash; cijfers per gemeente en regio</h1></header>
<main>
<form id="keuze">
 <label>Token<input id="token" type="password" autocomplete="off" required></label>
 <label>Niveau<select id="niveau"><option value="regio">Regio</option><option value="gemeente">Gemeente</option></select></label>
 <label>Regio of gemeente (CBS-code)<input id="scope" value="haaglanden" required></label>
 <label>Van<input id="van" type="date" required></label>
 <label>Tot<input id="tot" type="date" required></label>
 <button type="submit">Toon cijfers</button>
</form>
<div id="status" role="status">Vul uw token in en kies een regio of gemeente.</div>
<div id="rapport"></div>
<p class="meta">Cellen met minder dan de drempel (standaard 10) worden voor wie buiten de gemeente kijkt
onderdrukt, ook als het aantal 0 is; zo is geen persoon te herleiden.</p>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
)html";
  return kPage;
}

absl::string_view DashboardStyle() {
  static constexpr char kStyle[] =
      R"css( body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
 header{background:#154273;color:#fff;padding:12px 24px}
 header h1{font-size:1.3em;margin:0}
 main{padding:16px 24px}
 form{display:flex;flex-wrap:wrap;gap:12px;align-items:end;background:#fff;padding:12px;border-radius:6px}
 label{display:flex;flex-direction:column;font-size:.85em;gap:4px}
 input,select,button{font:inherit;padding:4px 6px}
 button{background:#154273;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}
 section.table{background:#fff;border-radius:6px;padding:12px;margin-top:16px}
 table{border-collapse:collapse;margin-top:8px}
 th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
 th:first-child,td:first-child{text-align:left}
 td.onderdrukt{color:#8a6d00;font-style:italic}
 .bar{display:inline-block;height:10px;background:#3c8dbc;vertical-align:middle;margin-left:6px}
 #status{margin-top:12px}
 #status.fout{color:#b00020}
 .meta{color:#555;font-size:.85em}
)css";
  return kStyle;
}

absl::string_view DashboardScript() {
  static constexpr char kScript[] = R"js("use strict";
const $ = (id) => document.getElementById(id);
const vandaag = new Date();
// Reports cover whole months: by default the twelve months up to and including this one.
const datum = (jaar, maand) => new Date(Date.UTC(jaar, maand, 1)).toISOString().slice(0, 10);
$("tot").value = datum(vandaag.getFullYear(), vandaag.getMonth() + 1);
$("van").value = datum(vandaag.getFullYear() - 1, vandaag.getMonth() + 1);
const params = new URLSearchParams(location.search);
// A link may carry the token in its fragment (never sent to a server, so never in a log): a
// wallboard or a test opens /dashboard#token=...&auto=1. It moves to sessionStorage at once and
// leaves the address bar.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  sessionStorage.setItem("token", fragment.get("token"));
  if (fragment.get("auto") === "1") params.set("auto", "1");
  history.replaceState(null, "", location.pathname + location.search);
}
$("token").value = sessionStorage.getItem("token") || "";
if (params.get("niveau")) $("niveau").value = params.get("niveau");
if (params.get("scope")) $("scope").value = params.get("scope");

function celTekst(cel, drempel) {
  if (!cel || cel.suppressed) return { tekst: "< " + drempel + " (onderdrukt)", onderdrukt: true };
  if (cel.count !== undefined) return { tekst: String(cel.count), waarde: Number(cel.count) };
  if (cel.percentage !== undefined) return { tekst: cel.percentage.toFixed(1) + "%", waarde: cel.percentage };
  if (cel.days !== undefined) return { tekst: cel.days.toFixed(0) + " dagen", waarde: cel.days };
  return { tekst: "0", waarde: 0 };
}

function toonRapport(rapport) {
  const doel = $("rapport");
  doel.textContent = "";
  const drempel = rapport.suppressionThreshold || 10;
  const kop = document.createElement("p");
  kop.className = "meta";
  kop.textContent = "Bereik: " + rapport.scope + (rapport.asOf ? " · stand van " + rapport.asOf : "") +
      (rapport.suppressionApplied ? " · onderdrukking toegepast" : " · geen onderdrukking (eigen gemeente)");
  doel.appendChild(kop);
  for (const tabel of rapport.tables || []) {
    const sectie = document.createElement("section");
    sectie.className = "table";
    sectie.dataset.key = tabel.key;
    const titel = document.createElement("h2");
    titel.textContent = tabel.title;
    sectie.appendChild(titel);
    const t = document.createElement("table");
    const kopRij = t.insertRow();
    const leeg = document.createElement("th");
    kopRij.appendChild(leeg);
    for (const label of tabel.columnLabels || tabel.columns || []) {
      const th = document.createElement("th");
      th.textContent = label;
      kopRij.appendChild(th);
    }
    let max = 0;
    for (const rij of tabel.rows || []) for (const c of rij.cells || []) {
      const w = celTekst(c, drempel).waarde;
      if (w !== undefined && w > max) max = w;
    }
    for (const rij of tabel.rows || []) {
      const tr = t.insertRow();
      tr.dataset.key = rij.key;
      const naam = document.createElement("td");
      naam.textContent = rij.label;
      tr.appendChild(naam);
      for (const c of rij.cells || []) {
        const td = document.createElement("td");
        const cel = celTekst(c, drempel);
        td.textContent = cel.tekst;
        if (cel.onderdrukt) td.className = "onderdrukt";
        if (cel.waarde !== undefined && max > 0) {
          const balk = document.createElement("span");
          balk.className = "bar";
          balk.style.width = Math.round(60 * cel.waarde / max) + "px";
          td.appendChild(balk);
        }
        tr.appendChild(td);
      }
    }
    sectie.appendChild(t);
    doel.appendChild(sectie);
  }
}

async function laad(e) {
  if (e) e.preventDefault();
  const token = $("token").value.trim();
  sessionStorage.setItem("token", token);
  const niveau = $("niveau").value;
  const scope = $("scope").value.trim();
  const periode = { from: $("van").value, to: $("tot").value };
  const rpc = niveau === "regio" ? "GetRegionalReport" : "GetGemeenteReport";
  const body = niveau === "regio" ? { region: scope, period: periode } : { gemeente: scope, period: periode };
  $("status").className = "";
  $("status").textContent = "Bezig met laden…";
  try {
    const antwoord = await fetch("/inburgering.v1.ReportingService/" + rpc, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
      body: JSON.stringify(body),
    });
    const json = await antwoord.json();
    if (!antwoord.ok) {
      const uitleg = { UNAUTHENTICATED: "Token onbekend of ontbreekt.", PERMISSION_DENIED: "Geen toegang tot deze cijfers.",
                       RESOURCE_EXHAUSTED: "Te veel verzoeken; probeer het zo opnieuw.", UNAVAILABLE: "De rapportagedienst is niet bereikbaar.",
                       UNIMPLEMENTED: "De rapportagedienst biedt dit nog niet aan." }[json.code] || "Fout.";
      $("status").className = "fout";
      $("status").textContent = uitleg + " (" + json.code + ": " + json.message + ")";
      $("rapport").textContent = "";
      return;
    }
    $("status").textContent = "Cijfers geladen.";
    toonRapport(json);
  } catch (fout) {
    $("status").className = "fout";
    $("status").textContent = "De gateway is niet bereikbaar.";
  }
}
$("keuze").addEventListener("submit", laad);
if (params.get("auto") === "1" && $("token").value) laad();
)js";
  return kScript;
}

}  // namespace inburgering::gateway

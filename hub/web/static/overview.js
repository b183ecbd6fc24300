// Refreshes the "Out now" table from the JSON API, so checkouts appear without a reload.
(function () {
  "use strict";
  const body = document.querySelector("#items-out tbody");
  const count = document.getElementById("out-count");
  if (!body) return;

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function render(items) {
    const rows = items.map(function (i) {
      const tr = document.createElement("tr");
      tr.dataset.asset = i.asset;
      if (i.overdue) tr.className = "overdue";
      tr.append(cell(i.asset, "code"), cell(i.asset_name), cell(i.person_name), cell(i.since_local));
      const due = cell(i.due_local);
      if (i.overdue) {
        const badge = document.createElement("span");
        badge.className = "badge late";
        badge.textContent = "Overdue · " + i.late;
        due.append(" ", badge);
      }
      tr.append(due, cell(i.kiosk));
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("Nothing is out.");
      td.colSpan = 6;
      tr.append(td);
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
    count.textContent = String(items.length);
  }

  async function refresh() {
    try {
      const response = await fetch("/api/v1/items-out", { credentials: "same-origin" });
      if (response.status === 401) { window.location.assign("/login"); return; }
      if (response.ok) render(await response.json());
    } catch (err) {
      // the hub may be restarting; try again at the next tick
    }
  }

  setInterval(refresh, 2000);
})();

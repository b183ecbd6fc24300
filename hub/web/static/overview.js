// Keeps the overview live: custody events arrive as server-sent events, each is added to the
// feed and the tables and counts are fetched again, so nothing needs a reload.
(function () {
  "use strict";
  const feed = document.getElementById("feed");
  if (!feed) return;
  // the server may send an event twice (it looks back for late commits): show each once
  const shown = new Set(Array.from(feed.querySelectorAll("li[data-id]"), function (li) {
    return li.dataset.id;
  }));

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function rows(items, empty) {
    const out = items.map(function (i) {
      const tr = document.createElement("tr");
      tr.dataset.asset = i.asset;
      if (i.overdue) tr.className = "overdue";
      const code = cell("", "code");
      code.append(link("/a/" + encodeURIComponent(i.asset), i.asset));
      const who = cell("");
      who.append(link("/people/" + encodeURIComponent(i.person), i.person_name));
      const due = cell(i.due_local);
      if (i.overdue) {
        const badge = document.createElement("span");
        badge.className = "badge late";
        badge.textContent = "Overdue · " + i.late;
        due.append(" ", badge);
      }
      const kiosk = cell("");
      kiosk.append(link("/kiosks#kiosk-" + encodeURIComponent(i.kiosk), i.kiosk));
      tr.append(code, cell(i.asset_name), who, cell(i.since_local), due, kiosk);
      return tr;
    });
    if (out.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell(empty);
      td.colSpan = 6;
      tr.append(td);
      out.push(tr);
    }
    return out;
  }

  function fill(id, items, empty) {
    const body = document.querySelector("#" + id + " tbody");
    if (body) body.replaceChildren.apply(body, rows(items, empty));
  }

  async function refresh() {
    try {
      const response = await fetch("/api/v1/overview", { credentials: "same-origin" });
      if (response.status === 401) { window.location.assign("/login"); return; }
      if (!response.ok) return;
      const data = await response.json();
      fill("overdue", data.overdue, "Nothing is overdue.");
      fill("due-today", data.due_today, "Nothing else is due today.");
      document.getElementById("out-count").textContent = String(data.counts.out);
      document.getElementById("overdue-count").textContent = String(data.counts.overdue);
      document.getElementById("today-count").textContent = String(data.counts.due_today);
    } catch (err) {
      // the hub may be restarting; the next event or tick tries again
    }
  }

  function show(event) {
    const e = JSON.parse(event.data);
    if (shown.has(e.id)) return;
    shown.add(e.id);
    const li = document.createElement("li");
    li.className = e.type;
    li.dataset.id = e.id;
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = e.at_local;
    const what = document.createElement("strong");
    what.textContent = e.type;
    li.append(when, " ", what, " ");
    if (e.asset) {
      li.append(link("/a/" + encodeURIComponent(e.asset), e.asset_name || e.asset), " ");
    }
    if (e.person) {
      li.append("· ", link("/people/" + encodeURIComponent(e.person), e.person_name || e.person), " ");
    }
    if (e.refusal) {
      const why = document.createElement("span");
      why.className = "why";
      why.textContent = "— " + e.refusal;
      li.append(why, " ");
    } else if (e.kiosk === "hub" && e.reason) {
      li.append("— " + e.reason + " ");
    }
    const where = e.kiosk === "hub" ? document.createElement("span")
      : link("/kiosks#kiosk-" + encodeURIComponent(e.kiosk), "");
    where.textContent = "@ " + (e.kiosk === "hub" ? "hub" : e.kiosk_name || e.kiosk);
    where.className = "muted";
    li.append(where);
    const empty = feed.querySelector("li.empty");
    if (empty) empty.remove();
    feed.prepend(li);
    while (feed.children.length > 30) feed.lastElementChild.remove();
    refresh();
  }

  // carry on exactly where the list the page came with ends
  const query = new URLSearchParams({ since: feed.dataset.since || "", seen: feed.dataset.seen || "" });
  const source = new EventSource("/api/v1/feed?" + query.toString());
  source.addEventListener("custody", show);
  source.addEventListener("alert", function (event) {
    const a = JSON.parse(event.data);
    if (shown.has(a.id)) return;
    shown.add(a.id);
    const li = document.createElement("li");
    li.className = "alert " + a.kind;
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = a.at_local;
    const badge = document.createElement("span");
    badge.className = a.kind === "withdrawn" ? "badge" : "badge late";
    badge.textContent = a.kind.replace("_", " ");
    li.append(when, " ", badge, " ", a.text);
    const empty = feed.querySelector("li.empty");
    if (empty) empty.remove();
    feed.prepend(li);
    refresh();
  });
  setInterval(refresh, 60000); // due times pass even when nothing happens
})();

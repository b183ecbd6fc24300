// Desk mode. A USB scanner types a whole label and Enter faster than a page reloads, and keys
// typed while a page loads are lost; so scans are sent from here, one after another, while the
// field stays on screen taking the next ones, and the page the last one leads to is shown then.
// Without JavaScript the form posts as usual (one scan per page load).
(() => {
  const form = document.getElementById("desk-scan");
  if (form) {
    const field = form.querySelector("input[name=scanned]");
    const state = ["visit", "person", "badge", "code", "ov"];
    const queue = [];
    let busy = false;
    const show = (html, url) => {
      // The new page, but this form and its field stay where they are, focus and all: keys
      // the scanner is typing now go on landing in the field (they wait while this runs).
      const next = new DOMParser().parseFromString(html, "text/html");
      const main = next.querySelector("main");
      const fresh = next.getElementById("desk-scan");
      history.replaceState(null, "", url);
      if (main === null || fresh === null) {
        document.open();
        document.write(html);
        document.close();
        return;
      }
      form.querySelectorAll("input[type=hidden]").forEach((input) => input.remove());
      fresh.querySelectorAll("input[type=hidden]").forEach((input) => form.prepend(input));
      fresh.replaceWith(form);
      document.querySelector("main").replaceWith(document.adoptNode(main));
      field.focus();
    };
    const drain = async () => {
      busy = true;
      let url = location.href;  // the cart's address after the last scan taken
      let page = null;  // the page it leads to
      let refusal = null;  // the page saying why the last refused scan was refused
      let moved = false;  // whether any scan was taken
      while (queue.length) {
        const data = new FormData(form);
        data.set("scanned", queue.shift());
        if (moved) {  // the cart as the previous scan left it (fetch followed the 303)
          state.forEach((name) => data.delete(name));
          new URL(url).searchParams.forEach((value, name) => data.append(name, value));
        }
        let reply;
        try {
          reply = await fetch(form.action, { method: "POST", body: new URLSearchParams(data) });
        } catch (error) {
          busy = false;
          form.submit();  // the network: let the browser say what is wrong
          return;
        }
        const html = await reply.text();
        if (reply.ok) {
          [url, page, moved] = [reply.url, html, true];
        } else {
          refusal = html;  // not a label, say: the next scans still count
        }
      }
      busy = false;
      if (page === null) {
        show(refusal, url);
        return;
      }
      show(page, url);
      const why = refusal && new DOMParser().parseFromString(refusal, "text/html")
        .getElementById("desk-message");
      if (why) document.querySelector("#desk-message")?.remove();
      if (why) document.querySelector("section.desk h1").after(document.adoptNode(why));
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (field.value.trim() === "") return;
      queue.push(field.value);
      field.value = "";
      if (!busy) drain();
    });
  }
  // the receipt's Print button (inline handlers are barred by the Content-Security-Policy)
  document.getElementById("print")?.addEventListener("click", () => window.print());
  document.querySelector("[autofocus]")?.focus();
  document.body.dataset.desk = "ready";  // scans typed from now on are queued, not lost
})();

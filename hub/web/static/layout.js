// Two things the stylesheet cannot do alone. On a phone each table row is drawn as a card
// (style.css, narrow screens): every cell is labelled with its column's heading, also in rows a
// page adds later (the overview's live tables). And a text box is made wide enough to show its
// whole placeholder, which says what to type.
(function () {
  "use strict";

  function headings(table) {
    return Array.from(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
  }

  function label(table, names) {
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      let column = 0;
      Array.from(tr.children).forEach(function (td) {
        const name = names[column] || "";
        if (name && td.colSpan === 1) td.dataset.label = name;
        column += td.colSpan || 1;
      });
    });
  }

  document.querySelectorAll("table").forEach(function (table) {
    const names = headings(table);
    if (names.length === 0) return;
    table.classList.add("labelled");
    label(table, names);
    table.querySelectorAll("tbody").forEach(function (body) {
      new MutationObserver(function () { label(table, names); })
        .observe(body, { childList: true });
    });
  });

  const ruler = document.createElement("canvas").getContext("2d");
  document.querySelectorAll("input[placeholder]").forEach(function (input) {
    const style = window.getComputedStyle(input);
    ruler.font = style.font;
    const text = ruler.measureText(input.placeholder).width;
    const frame = ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"]
      .reduce(function (sum, side) { return sum + (parseFloat(style[side]) || 0); }, 0);
    const spinner = input.type === "number" ? 28 : 0; // the up/down arrows take room too
    const needed = Math.ceil(text + frame + spinner + 6);
    if (input.getBoundingClientRect().width < needed) input.style.width = needed + "px";
  });
})();

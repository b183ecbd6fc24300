// The receipt's Print button (inline handlers are barred by the Content-Security-Policy).
document.getElementById("print")?.addEventListener("click", () => window.print());

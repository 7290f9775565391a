// Measures each summary page loaded in an <iframe srcdoc> of a fixed width: the page's
// scroll width against its viewport, and for every visible text run its colour, the
// background it sits on, its size and weight, how many lines it takes and whether it
// leaves the viewport. Writes the results as JSON into <pre id="gw-probe">.
"use strict";
function opaque(colour) {
  return colour !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(colour);
}
function backdrop(win, el) {
  for (let a = el; a; a = a.parentElement) {
    const bg = win.getComputedStyle(a).backgroundColor;
    if (opaque(bg)) return bg;
  }
  return "rgb(255, 255, 255)";  // the canvas of a light page
}
function classes(el) {
  const out = [];
  for (let a = el; a && a.tagName !== "BODY"; a = a.parentElement) out.push(...a.classList);
  return out;
}
function probe(frame) {
  const doc = frame.contentDocument, win = frame.contentWindow;
  const root = doc.documentElement, vw = root.clientWidth;
  const out = {
    viewport: vw, scroll_width: root.scrollWidth, height: root.scrollHeight,
    dark: win.matchMedia("(prefers-color-scheme: dark)").matches, texts: [],
  };
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.data.trim()) continue;
    const el = n.parentElement, cs = win.getComputedStyle(el);
    if (cs.display === "none" || cs.visibility === "hidden") continue;
    const range = doc.createRange();
    range.selectNodeContents(n);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    if (!rects.length) continue;
    out.texts.push({
      text: n.data.trim().slice(0, 240),
      classes: classes(el),
      color: cs.color, background: backdrop(win, el),
      size: parseFloat(cs.fontSize), weight: parseInt(cs.fontWeight, 10),
      family: cs.fontFamily,
      lines: new Set(rects.map((r) => Math.round(r.bottom))).size,
      left: Math.min(...rects.map((r) => r.left)),
      right: Math.max(...rects.map((r) => r.right)),
    });
  }
  return out;
}
window.addEventListener("load", () => {
  const results = {};
  for (const frame of document.querySelectorAll("iframe")) results[frame.id] = probe(frame);
  document.getElementById("gw-probe").textContent = JSON.stringify(results);
});

// The transcript page: words of the employee selected in a turn become a finding's quote.
// Selecting shows a button under the turn; pressing it fills the form below (the turn and the
// words, without the quote links the page adds) and moves to it. Without this script, or from
// the keyboard, the form still takes the turn chosen and the words pasted; either way the
// server checks the words against the turn before keeping them.
(() => {
  "use strict";
  const section = document.querySelector("#add[data-select-label]");
  const form = section?.querySelector("form");
  if (!section || !form) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary select-words";
  button.textContent = section.dataset.selectLabel;
  button.hidden = true;
  let chosen = null;

  const turnOf = (node) =>
    (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest("p[data-turn]");

  function selectedWords() {
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount !== 1) return null;
    const range = selection.getRangeAt(0);
    const paragraph = turnOf(range.startContainer);
    if (!paragraph || paragraph !== turnOf(range.endContainer)) return null;
    const copy = range.cloneContents();
    for (const link of copy.querySelectorAll("a")) link.remove();
    const words = copy.textContent.trim();
    return words ? { paragraph, turn: paragraph.dataset.turn, words } : null;
  }

  document.addEventListener("selectionchange", () => {
    chosen = selectedWords();
    if (!chosen) {
      button.hidden = true;
      return;
    }
    if (button.previousElementSibling !== chosen.paragraph) chosen.paragraph.after(button);
    button.hidden = false;
  });
  // Pressing the button must not clear the selection it acts on.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("click", () => {
    if (!chosen) return;
    form.querySelector("#add-turn").value = chosen.turn;
    form.querySelector("#add-words").value = chosen.words;
    section.scrollIntoView({ block: "start" });
    form.querySelector("#add-code").focus();
  });
})();

// What Chainlit's pages cannot be told by configuration: the page's language, names for the
// buttons that only show an icon, a label for the message box, where the keyboard starts,
// Chainlit's untranslatable messages, a message box closed where no answer is taken, and an
// answer being typed kept when Chainlit draws the box again.
// Chainlit renders (and re-renders) its elements at any time, so every change is re-applied
// whenever the page changes. `terrain serve` writes the words and the default language first.
(() => {
  "use strict";
  // The words, from Terrain's catalogs (assistant/web/appearance.py writes them first, with
  // the installation's default language): names by selector, and Chainlit's own messages.
  const WORDS = window.terrainWords || {};
  const fallback = window.terrainDefaultLanguage in WORDS ? window.terrainDefaultLanguage : "fr";
  const browser = (navigator.language || "").toLowerCase().split("-")[0];
  const language = browser in WORDS ? browser : fallback;
  const words = WORDS[language].labels;

  // Chainlit gives some of these elements no id: find them by what they contain.
  function markUnnamed() {
    for (const span of document.querySelectorAll("button > span.sr-only")) {
      if (span.textContent === "Toggle theme") span.parentElement.id ||= "theme-toggle";
    }
    const password = document.querySelector("#password");
    const eye = password?.parentElement?.querySelector("button");
    if (eye) eye.id ||= "password-toggle";
  }

  function name(element, label) {
    if (element.getAttribute("aria-label") !== label) element.setAttribute("aria-label", label);
  }

  // The server tells the page (a window message, see assistant/web/employee.py) which
  // conversation is open, which take no more answers (ended, refused, withdrawn), and that a
  // staff member is signed in: their message box closes. A new conversation has its box.
  const closedThreads = new Set();
  let current = null; // the conversation the server last opened, until the address names one
  let staff = false;
  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || !event.data || typeof event.data !== "object") return;
    const { terrain, thread } = event.data;
    if (terrain === "open" && thread) current = thread;
    if (terrain === "closed" && thread) {
      closedThreads.add(thread);
      current = thread;
    }
    if (terrain === "staff") staff = true;
    apply();
  });

  // The address names the conversation once Chainlit has moved to it; on a phone, with the
  // list of conversations closed, it may stay at "/" while the conversation goes on.
  function threadShown() {
    const match = location.pathname.match(/^\/thread\/([^/]+)/);
    return match ? match[1] : current;
  }

  function translateChainlit() {
    const says = WORDS[language].chainlit;
    for (const toast of document.querySelectorAll("[data-sonner-toast] [data-title]")) {
      const said = toast.textContent.trim();
      if (said in says) toast.textContent = says[said];
    }
  }

  // Chainlit draws its message box again when it moves to the conversation's address (after
  // the first answer or button, once it has fetched the list of conversations), and an answer
  // being typed then would vanish. The box it replaced still holds the text: the new box of
  // the same conversation is given it back. Nothing is stored; the text passes from one box
  // to the next within the page.
  let box = null; // the message box last seen, and the conversation it was for
  let boxThread = null;
  function keepDraft() {
    const now = document.querySelector("#chat-input");
    if (!now) return; // between two drawings: the old box is kept until a new one comes
    if (now === box) {
      boxThread = threadShown();
      return;
    }
    const draft = box && !box.isConnected ? box.value : "";
    const sameThread = boxThread !== null && threadShown() === boxThread;
    box = now;
    boxThread = threadShown();
    if (!draft || now.value || !sameThread) return;
    // Through the element's own setter and an input event, as typing does, so that Chainlit's
    // state (which enables the send button) holds the text too.
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(now, draft);
    now.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function apply() {
    keepDraft();
    if (document.documentElement.lang !== language) document.documentElement.lang = language;
    document.body.classList.toggle("terrain-login", location.pathname.startsWith("/login"));
    document.body.classList.toggle("terrain-staff", staff);
    document.body.classList.toggle("terrain-closed", closedThreads.has(threadShown()));
    translateChainlit();
    markUnnamed();
    for (const [selector, label] of Object.entries(words)) {
      for (const element of document.querySelectorAll(selector)) name(element, label);
    }
    for (const span of document.querySelectorAll("#theme-toggle > span.sr-only")) {
      if (span.textContent !== words["#theme-toggle"]) span.textContent = words["#theme-toggle"];
    }
    // The options of a thread sit inside the thread's own button, as a div that claims a menu
    // (ARIA a div may not carry): the claim goes, the mouse still opens the menu.
    for (const element of document.querySelectorAll("#thread-options")) {
      for (const attribute of ["aria-haspopup", "aria-expanded"]) {
        if (element.hasAttribute(attribute)) element.removeAttribute(attribute);
      }
    }
    // A link to one of the employee's own interviews opens it here, not in another tab.
    for (const link of document.querySelectorAll('a[href^="/thread/"][target]')) {
      link.removeAttribute("target");
    }
    // The conversation list puts its groups straight into a <ul>: a list of nothing.
    for (const list of document.querySelectorAll("ul[data-sidebar=menu]")) {
      if ([...list.children].some((child) => child.tagName !== "LI")) list.setAttribute("role", "none");
    }
  }

  // Applied as soon as the page changes (an observer runs before the browser paints or does
  // anything else), so that no button is ever shown, nor read out, without its name. apply()
  // changes only what differs, so its own changes end the round.
  new MutationObserver(apply).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["aria-haspopup", "aria-expanded", "aria-label"],
  });
  document.addEventListener("DOMContentLoaded", apply);

  // A new conversation asks for consent first, and the message box holds the focus (a typed
  // "oui" answers too). The Tab key then goes to the question's answers, instead of through a
  // dozen controls of the page first.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || event.shiftKey) return;
    const consent = document.querySelector('button[id^="terrain_consent_yes-"]');
    const from = document.activeElement;
    if (!consent || !(from === document.body || from?.id === "chat-input")) return;
    event.preventDefault();
    consent.focus();
  });
})();

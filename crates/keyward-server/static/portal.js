// keyward portal: the two things that need JavaScript. Everything else is
// plain forms and links, and works without this file.
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;

  // Copy button: copies the text of the input it names.
  const copy = target.closest("[data-copy]");
  if (copy) {
    const input = document.getElementById(copy.dataset.copy);
    if (!input) return;
    input.select();
    const done = () => {
      copy.textContent = "Copied";
      setTimeout(() => { copy.textContent = "Copy"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, () => {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
    return;
  }

  // A link that has a confirmation dialog opens it instead of its page.
  const opener = target.closest("[data-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
    }
    return;
  }

  const close = target.closest("[data-close]");
  if (close) {
    const dialog = close.closest("dialog");
    if (dialog) dialog.close();
  }
});

// Invitation and password reset links carry their token in the fragment,
// which browsers never send to a server: move it into the form.
window.addEventListener("DOMContentLoaded", () => {
  const token = document.querySelector("input[data-fragment-token]");
  if (token && !token.value && location.hash.length > 1) {
    token.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
  }
});

// The key form shows what applies to the choices made: the chosen scope's
// owner selector, the date field for a custom expiry, the picker unless
// the key gets all of its scope's rights, and only read-only permissions
// on a read-only key. Without this file every field shows and the server
// refuses what doesn't fit.
function syncKeyForm(form) {
  const chosen = (name) => {
    const field = form.querySelector(`[name="${name}"]:checked`) ||
      form.querySelector(`select[name="${name}"], input[type=hidden][name="${name}"]`);
    return field ? field.value : "";
  };
  const scope = chosen("scope");
  form.querySelectorAll("[data-scope-for]").forEach((el) => {
    el.hidden = el.dataset.scopeFor !== scope;
  });
  const expiry = chosen("expires_in");
  form.querySelectorAll("[data-expiry-for]").forEach((el) => {
    el.hidden = el.dataset.expiryFor !== expiry;
  });
  const picker = form.querySelector("fieldset.picker");
  if (picker) picker.hidden = chosen("rights") === "all";
  const readOnly = form.querySelector("input[name=read_only]");
  form.querySelectorAll(".picker-item[data-read-only=false]").forEach((item) => {
    const hide = Boolean(readOnly && readOnly.checked);
    item.hidden = hide;
    if (hide) item.querySelectorAll("input[type=checkbox]").forEach((box) => { box.checked = false; });
  });
}

window.addEventListener("DOMContentLoaded", () => {
  ["key-form", "roll-form"].forEach((id) => {
    const form = document.getElementById(id);
    if (!form) return;
    syncKeyForm(form);
    form.addEventListener("change", () => syncKeyForm(form));
  });
});

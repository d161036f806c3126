// The branding page: send the unsaved values to the preview frame as the admin types.
(function () {
  "use strict";
  const form = document.getElementById("branding-form");
  const frame = document.getElementById("branding-preview");
  if (!form || !frame) return;
  const lang = document.documentElement.lang || "nl";
  let logoUrl = null;

  function value(name) {
    const field = form.elements.namedItem(name);
    return field ? field.value.trim() : "";
  }

  function send() {
    if (!frame.contentWindow) return;
    frame.contentWindow.postMessage(
      {
        kind: "pelvicoach-branding",
        name: value("name"),
        brand: value("brand_color"),
        accent: value("accent_color"),
        welcome: value("welcome_" + lang),
        supportEmail: value("support_email"),
        supportPhone: value("support_phone"),
        logo: logoUrl,
      },
      window.location.origin
    );
  }

  form.addEventListener("input", send);
  const logo = form.elements.namedItem("logo");
  if (logo) {
    logo.addEventListener("change", function () {
      if (logoUrl) URL.revokeObjectURL(logoUrl);
      const file = logo.files && logo.files[0];
      logoUrl = file && /^image\/(png|jpeg|webp)$/.test(file.type) ? URL.createObjectURL(file) : null;
      send();
    });
  }
  frame.addEventListener("load", send);
})();

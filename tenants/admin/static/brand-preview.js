// Inside the branding preview frame: wear the branding the admin has not saved yet.
(function () {
  "use strict";
  const HEX = /^#[0-9a-fA-F]{6}$/;
  const root = document.documentElement;

  function text(selector, value, fallback) {
    document.querySelectorAll(selector).forEach(function (element) {
      element.textContent = value || fallback || "";
    });
  }

  function show(selector, value) {
    document.querySelectorAll(selector).forEach(function (element) {
      element.textContent = value;
      element.hidden = !value;
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data) return;
    const brand = event.data;
    if (brand.kind !== "pelvicoach-branding") return;
    if (HEX.test(brand.brand)) {
      root.style.setProperty("--pc-brand", brand.brand);
      root.style.setProperty("--pc-on-brand", "#ffffff");
    }
    if (HEX.test(brand.accent)) root.style.setProperty("--pc-accent", brand.accent);
    text(".pc-site-name", brand.name);
    const welcome = document.querySelector(".pc-welcome");
    if (welcome) welcome.textContent = brand.welcome || welcome.dataset.default;
    show(".pc-support-email", brand.supportEmail);
    show(".pc-support-phone", brand.supportPhone);
    document.querySelectorAll(".pc-support").forEach(function (element) {
      element.hidden = !(brand.supportEmail || brand.supportPhone);
    });
    if (brand.logo && brand.logo.startsWith("blob:")) {
      root.style.setProperty("--pc-logo", 'url("' + brand.logo + '")');
      let mark = document.querySelector(".pc-logo");
      if (!mark) {
        mark = document.createElement("span");
        mark.className = "pc-logo";
        mark.setAttribute("aria-hidden", "true");
        const name = document.querySelector(".pc-brand-name");
        if (name) name.prepend(mark);
      }
    }
  });
})();

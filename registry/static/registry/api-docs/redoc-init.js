// Starts Redoc on the schema named by its container, passing the nonce this script was given so
// that Redoc's own <style> elements pass the CSP (style-src 'self' 'nonce-…', no 'unsafe-inline').
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.schemaUrl, { nonce: document.currentScript.nonce }, container);
})();

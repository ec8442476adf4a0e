// Render every chart on the page: a container names the <script type="application/json">
// element holding its Vega-Lite spec. Uses the vendored vega-embed bundle (no CDN).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-newsdigest-spec]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-newsdigest-spec"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    vegaEmbed(el, spec, { renderer: "svg", actions: false }).then(
      function () {
        el.setAttribute("data-rendered", "true");
      },
      function (error) {
        el.textContent = "This chart could not be drawn: " + error;
        console.error(error);
      }
    );
  });
});

// The browse site's only script: search as you type, and copy buttons. Without it the pages are
// complete: every project is listed and every snippet can be selected by hand.
(function () {
  "use strict";
  // PEP 503 normalisation: runs of -, _ and . are one "-", case-insensitive.
  function normalise(text) {
    return text.toLowerCase().replace(/[-_.]+/g, "-");
  }

  var input = document.getElementById("search");
  if (input) {
    var items = Array.prototype.slice.call(document.querySelectorAll("#projects > li"));
    var texts = items.map(function (li) {
      return normalise(li.getAttribute("data-name") + " " + li.getAttribute("data-search"));
    });
    var status = document.getElementById("search-status");
    var none = document.getElementById("no-results");
    var recent = document.getElementById("recent");
    var apply = function () {
      var query = normalise(input.value.trim());
      var shown = 0;
      items.forEach(function (li, i) {
        var hit = !query || texts[i].indexOf(query) !== -1;
        li.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      status.textContent = query
        ? shown + " of " + items.length + " projects match"
        : items.length + " projects";
      none.hidden = shown !== 0;
      if (recent) {
        recent.hidden = Boolean(query);  // while searching, the results come right below the box
      }
    };
    input.form.hidden = false;
    input.form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    input.addEventListener("input", apply);
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function (label) {
        button.textContent = label;
        window.setTimeout(function () {
          button.textContent = "Copy";
        }, 2000);
      };
      if (!navigator.clipboard) {
        window.getSelection().selectAllChildren(source);
        done("Press Ctrl+C");
        return;
      }
      navigator.clipboard.writeText(source.textContent).then(
        function () { done("Copied"); },
        function () {
          window.getSelection().selectAllChildren(source);
          done("Press Ctrl+C");
        }
      );
    });
  });
})();

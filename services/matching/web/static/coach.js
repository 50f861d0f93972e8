// Live alerts on the coach's pages: the coach's own notifications (relayed by /coach/live) are
// listed at the top, and a proposal card on the page that an alert concerns is fetched again and
// put in place (on the pipeline, into the column of its new state). Without JavaScript the pages
// work the same; they are simply not updated until they are loaded again.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) {
    return;
  }
  var list = live.querySelector("ul");

  function announce(entry) {
    var item = document.createElement("li");
    // Only links to the coach's own pages: other services' links name pages the web UI does not serve.
    var linked = typeof entry.link === "string" && entry.link.indexOf("/coach/") === 0;
    var text = document.createElement(linked ? "a" : "span");
    if (linked) {
      text.href = entry.link;
    }
    text.textContent = entry.message;
    item.appendChild(text);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 5) {
      list.removeChild(list.lastChild);
    }
    live.hidden = false;
  }

  function refresh(card, id) {
    fetch("/coach/proposals/" + encodeURIComponent(id) + "/card", { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) {
          return;
        }
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.firstElementChild;
        if (!fresh) {
          return;
        }
        fresh.classList.add("changed");
        var column = card.closest("[data-column]");
        var target = column && document.querySelector('[data-column="' + fresh.dataset.state + '"]');
        if (target && target !== column) {
          card.remove();
          target.insertBefore(fresh, target.firstChild);
        } else {
          card.replaceWith(fresh);
        }
      });
  }

  var source = new EventSource("/coach/live");
  source.addEventListener("open", function () {
    live.dataset.connected = "true";
  });
  source.addEventListener("notification", function (event) {
    var entry;
    try {
      entry = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    announce(entry);
    var id = entry.payload && entry.payload.proposal_id;
    if (id) {
      document.querySelectorAll('[data-proposal="' + id + '"]').forEach(function (card) { refresh(card, id); });
    }
  });
})();

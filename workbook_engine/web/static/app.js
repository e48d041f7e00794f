// The page's only script (no inline script: the CSP forbids it). Filters and sorts the findings table,
// shows a finding's whole row, polls a job's progress, and handles file drops. Everything also works
// with the keyboard: rows are focusable and Enter opens the row.
(function () {
  "use strict";

  function text(el) { return (el.textContent || "").trim(); }

  function setupFindings() {
    var table = document.getElementById("findings");
    if (!table) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var filters = document.getElementById("filters");
    var shown = document.getElementById("shown-count");
    var params = new URLSearchParams(window.location.search);
    ["severity", "sheet", "project", "criterion", "q"].forEach(function (name) {
      var input = document.getElementById("f-" + name);
      if (input && params.get(name)) input.value = params.get(name);
    });

    function apply() {
      var sev = document.getElementById("f-severity").value;
      var sheet = document.getElementById("f-sheet").value;
      var project = document.getElementById("f-project").value;
      var criterion = document.getElementById("f-criterion").value;
      var q = document.getElementById("f-q").value.trim().toLowerCase();
      var count = 0;
      rows.forEach(function (row) {
        var ok = (!sev || row.dataset.severity === sev) && (!sheet || row.dataset.sheet === sheet) &&
          (!project || row.dataset.project === project) && (!criterion || row.dataset.criterion === criterion) &&
          (!q || text(row).toLowerCase().indexOf(q) >= 0);
        row.hidden = !ok;
        if (ok) count += 1;
      });
      shown.textContent = String(count);
    }

    if (!filters.hasAttribute("data-server")) { // else the server filters and pages: the form submits
      filters.addEventListener("input", apply);
      filters.addEventListener("change", apply);
      filters.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
      apply();
    }

    table.querySelectorAll("th button[data-sort]").forEach(function (button) {
      button.addEventListener("click", function () {
        var column = Number(button.dataset.sort);
        var dir = button.dataset.dir === "asc" ? "desc" : "asc";
        table.querySelectorAll("th button[data-sort]").forEach(function (b) { delete b.dataset.dir; });
        button.dataset.dir = dir;
        var key = function (row) {
          if (column === 3) { // cells sort as A1 addresses: by column letters, then row number
            var m = /^([A-Z]+)(\d+)$/.exec(text(row.cells[3]));
            return m ? [m[1].length, m[1], Number(m[2])] : [0, "", 0];
          }
          return [text(row.cells[column]), Number(row.dataset.order)];
        };
        var sorted = rows.slice().sort(function (a, b) {
          var ka = key(a), kb = key(b);
          for (var i = 0; i < ka.length; i++) {
            if (ka[i] < kb[i]) return dir === "asc" ? -1 : 1;
            if (ka[i] > kb[i]) return dir === "asc" ? 1 : -1;
          }
          return 0;
        });
        sorted.forEach(function (row) { table.tBodies[0].appendChild(row); });
      });
    });

    var data = {};
    var holder = document.getElementById("row-data");
    if (holder) { try { data = JSON.parse(holder.textContent); } catch (e) { data = {}; } }
    var detail = document.getElementById("row-detail");

    function show(row) {
      rows.forEach(function (r) { r.classList.remove("selected"); });
      row.classList.add("selected");
      var context = data[row.dataset.row];
      var title = document.getElementById("row-detail-title");
      var head = document.querySelector("#row-table thead tr");
      var body = document.querySelector("#row-table tbody tr");
      head.innerHTML = ""; body.innerHTML = "";
      if (!context) {
        title.textContent = "这个问题不属于某一行（整个工作簿或工作表）。";
        detail.hidden = false;
        return;
      }
      var rowNumber = row.dataset.row.split("!").pop();
      title.textContent = "工作表“" + row.dataset.sheet + "”第 " + rowNumber + " 行" +
        (row.dataset.cell ? "（问题所在单元格 " + row.dataset.cell + " 已标出）" : "");
      var letter = (row.dataset.cell.match(/^[A-Z]+/) || [""])[0];
      context.letters.forEach(function (l, i) {
        var th = document.createElement("th");
        th.scope = "col";
        th.textContent = l + " " + (context.headers[i] || "");
        head.appendChild(th);
        var td = document.createElement("td");
        td.textContent = context.values[i];
        if (l === letter) { td.className = "mark"; td.setAttribute("aria-label", "问题所在单元格 " + l + rowNumber); }
        body.appendChild(td);
      });
      detail.hidden = false;
    }

    rows.forEach(function (row) {
      row.addEventListener("click", function () { show(row); });
      row.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(row); } });
    });
  }

  function setupJob() {
    var holder = document.querySelector("[data-job]");
    if (!holder) return;
    var url = holder.dataset.job;
    var bar = document.getElementById("job-progress");
    var label = document.getElementById("job-text");
    if (!bar) return;
    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.state === "done") { window.location.assign(s.next); return; }
          if (s.state !== "running") { window.location.reload(); return; }
          if (s.total) { bar.max = s.total; bar.value = s.done || 0; }
          label.textContent = "正在处理" + (s.label ? "（" + s.label + "）" : "") + (s.what ? "：" + s.what : "") +
            (s.total ? "　" + (s.done || 0) + " / " + s.total : "");
          window.setTimeout(poll, 700);
        })
        .catch(function () { window.setTimeout(poll, 1500); });
    }
    poll();
  }

  function setupDrop() {
    document.querySelectorAll("[data-drop-zone]").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      var chosen = zone.querySelector("[data-chosen]");
      input.addEventListener("change", function () {
        if (!chosen) return;
        var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
        chosen.textContent = names.length ? "已选择：" + (names.length > 3 ? names.slice(0, 3).join("、") + " 等 " + names.length + " 个文件" : names.join("、")) : "未选择文件";
      });
      ["dragenter", "dragover"].forEach(function (t) {
        zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (t) {
        zone.addEventListener(t, function () { zone.classList.remove("over"); });
      });
      zone.addEventListener("drop", function (e) {
        e.preventDefault();
        if (e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
          input.dispatchEvent(new Event("change"));
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupFindings(); setupJob(); setupDrop(); });
})();

// Without script every row shows; with it, the two filters hide the rows that do not match.
(function () {
  var form = document.getElementById("filters");
  var school = document.getElementById("school-filter");
  var status = document.getElementById("status-filter");
  form.hidden = false;
  function apply() {
    document.querySelectorAll("#runs tr.run").forEach(function (row) {
      var shown = (!school.value || row.dataset.school === school.value) &&
                  (!status.value || row.dataset.status === status.value);
      row.hidden = !shown;
    });
  }
  school.addEventListener("change", apply);
  status.addEventListener("change", apply);
})();

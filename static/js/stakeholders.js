// Directory quick actions: "Copy" buttons copy their data-copy value to the clipboard, and say so (on the button,
// and to screen readers through a polite live region).
function copyStatus() {
  let region = document.getElementById("copy-status");
  if (!region) {
    region = document.createElement("div");
    region.id = "copy-status";
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    document.body.appendChild(region);
  }
  return region;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.dataset.copy).then(() => {
    const label = button.firstChild;
    label.textContent = "Copied";
    copyStatus().textContent = `Copied ${button.dataset.copy}`;
    setTimeout(() => { label.textContent = "Copy"; }, 1500);
  });
});

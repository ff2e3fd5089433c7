// Confirmation before a form is sent: <button data-confirm="Question?">. Replaces the
// inline onclick="return confirm(...)" handlers the CSP (script-src 'self') blocks.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

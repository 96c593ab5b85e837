/**
 * Light or dark as the viewer's system says (the portal follows it too), by the `dark` class
 * the UI kit's styles key on. Done here rather than by the kit's color-mode plugin, which
 * injects a <style> to pause transitions that the page's CSP would refuse.
 */
export function followSystemTheme(): void {
  const q = window.matchMedia?.('(prefers-color-scheme: dark)');
  const apply = () => {
    const dark = q?.matches === true;
    document.documentElement.classList.toggle('dark', dark);
    document.documentElement.classList.toggle('light', !dark);
  };
  apply();
  q?.addEventListener?.('change', apply);
}

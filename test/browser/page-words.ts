import type { Frame, Page } from 'playwright-core';

/**
 * Text on the page that is not words: a dictionary key (`f_first_touch`), a counter name
 * (`leadsOpenOnPortal`), JSON, a `{placeholder}` left unfilled, or a portal event's code. Read
 * from every visible text node and every placeholder, title and aria-label of the app.
 */
export async function rawTexts(f: Frame | Page): Promise<string[]> {
  // A string, not a function: the test runner's transform would add helpers the page lacks.
  return f.evaluate(RAW_TEXTS) as Promise<string[]>;
}

const RAW_TEXTS = `(() => {
  const PATTERNS = [
    ['key', /\\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\\b/],
    ['counter', /\\b[a-z]+[A-Z][a-zA-Z]+\\b/],
    ['json', /[{[]\\s*"[^"]*"\\s*:/],
    ['placeholder', /\\{[a-zA-Z]+\\}/],
    ['event code', /\\bON[A-Z]{6,}\\b/],
  ];
  const out = [];
  const check = (s, where) => {
    const text = (s || '').trim();
    if (!text) return;
    for (const [what, re] of PATTERNS) if (re.test(text)) out.push(what + ' in ' + where + ': ' + text.slice(0, 160));
  };
  const root = document.getElementById('app') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('script, style')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    check(n.textContent, el.tagName.toLowerCase());
  }
  for (const el of Array.from(document.querySelectorAll('[placeholder], [title], [aria-label]'))) {
    for (const a of ['placeholder', 'title', 'aria-label']) {
      // the portal's own code beside the words (a job's error, an event's name) is on hover only
      if (a === 'title' && el.closest('.dead, .job')) continue;
      check(el.getAttribute(a), '@' + a);
    }
  }
  return out;
})()`;

/** The page is as wide as its frame: nothing makes the whole page scroll sideways. */
export async function overflowX(f: Frame | Page): Promise<number> {
  return f.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

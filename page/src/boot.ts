/** What the server put in the page's JSON island (views/app.html): never executed, only read. */
export interface Boot {
  token: string;
  expiresAt: number;
  lang: 'ru' | 'en';
  userId: number;
  isAdmin: boolean;
  viewerName: string;
  domain: string;
}

export function readBoot(): Boot {
  const el = document.getElementById('boot');
  const b = JSON.parse(el?.textContent ?? '{}') as Partial<Boot>;
  return {
    token: String(b.token ?? ''),
    expiresAt: Number(b.expiresAt ?? 0),
    lang: b.lang === 'ru' ? 'ru' : 'en',
    userId: Number(b.userId ?? 0),
    isAdmin: b.isAdmin === true,
    viewerName: String(b.viewerName ?? ''),
    domain: String(b.domain ?? ''),
  };
}

export const boot: Boot = readBoot();

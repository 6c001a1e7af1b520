// Files behind the login (考核排名, 巡查台账 as CSV): a plain link would go
// without the bearer token, so the click fetches the file with it and saves
// it through a temporary link under a readable name. The link keeps the
// address and the name (`href`, `download`), so it still reads as a link.

import type { Api } from './api';
import { errorHtml } from './errors';

/** Fetches `path` with the login's token and saves it as `name`; throws the server's error. */
export async function saveFile(api: Api, path: string, name: string): Promise<void> {
  const blob = await api.blob(path);
  const url = URL.createObjectURL(blob);
  const save = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.appendChild(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A download link clicked: the file saved, or why not said right after the
 * link (a refusal from before goes first).
 */
export async function saveLink(api: Api, a: HTMLAnchorElement, fallbackName: string): Promise<void> {
  const said = a.nextElementSibling;
  if (said?.matches('[data-download-error]')) said.remove();
  try {
    await saveFile(api, a.getAttribute('href') ?? '', a.getAttribute('download') || fallbackName);
  } catch (e) {
    a.insertAdjacentHTML('afterend', `<div data-download-error>${errorHtml(e, 'load')}</div>`);
  }
}

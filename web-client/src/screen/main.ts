// Entry point of the big screen (/).

import 'maplibre-gl/dist/maplibre-gl.css';
import { setWorkerUrl } from 'maplibre-gl';
// MapLibre's worker is a separate module file; Vite copies it into the build
// and gives its URL, so nothing is loaded from anywhere but this server.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import '../styles/screen.css';
import { Api } from '../shared/api';
import { initLang, t } from '../shared/i18n';
import { ensureSession } from '../shared/loginForm';
import { bindPasswordButton } from '../shared/passwordForm';
import { endSession, logout, SessionStore } from '../shared/session';
import { BigScreen } from './bigScreen';
import { loadClientConfig } from './mapStyle';
import { loadCityOffset } from '../shared/format';

declare global {
  interface Window {
    /** The running big screen, for the browser tests and for operators' debugging. */
    riskmap?: BigScreen;
  }
}

async function main(): Promise<void> {
  setWorkerUrl(workerUrl);
  initLang();
  const api = new Api();
  const store = new SessionStore('riskmap.screen.session');
  // The city's time, asked while the login is made: every time shown is the city's.
  const cityTime = loadCityOffset();
  api.onUnauthorized = () => endSession(store);
  const session = await ensureSession(api, store, document.getElementById('login')!, t('title'), 'screen');
  await cityTime;
  // From here on the login form is gone: it takes over again after a reload.
  api.onPasswordChangeRequired = () => window.location.reload();
  bindPasswordButton(document.querySelector<HTMLElement>('[data-password]')!, api, store, session.user.username);
  const config = await loadClientConfig(window.location.search);
  const app = document.getElementById('app')!;
  app.hidden = false;
  const byId = (id: string) => document.getElementById(id)!;
  const screen = new BigScreen(api, session, {
    map: byId('map'),
    crumbs: byId('crumbs'),
    children: byId('children'),
    live: byId('live'),
    clock: byId('clock'),
    today: byId('today'),
    ontime: byId('ontime'),
    intake: byId('intake'),
    staff: byId('staff'),
    overdue: byId('overdue'),
    feed: byId('feed'),
    ticker: byId('ticker'),
    layers: byId('layers'),
    dispatch: byId('dispatch'),
    replay: byId('replay'),
    sos: byId('sos'),
    queue: byId('queue'),
    roster: byId('roster'),
  }, config);
  window.riskmap = screen;
  document.querySelector('[data-logout]')!.addEventListener('click', async () => {
    await logout(api).catch(() => undefined);
    store.clear();
    window.location.reload();
  });
}

void main();

// Entry point of the citizen page (随手拍, no login): `/report` sends a new
// report, `/report/{code}` shows where one stands. Phone-first; Chinese by
// default with the EN switch every page has.

import 'maplibre-gl/dist/maplibre-gl.css';
import { setWorkerUrl } from 'maplibre-gl';
// MapLibre's worker is a separate module file; Vite copies it into the build
// and gives its URL, so nothing is loaded from anywhere but this server.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import '../styles/report.css';
import { initLang, lang, onLangChange, setLang } from '../shared/i18n';
import { loadClientConfig, offlineStyle } from '../screen/mapStyle';
import { NewReportView } from './newReport';
import { parseRoute } from './route';
import { StatusView } from './statusView';
import { rt } from './strings';
import { loadCityOffset } from '../shared/format';

declare global {
  interface Window {
    /** The running view, for the browser tests. */
    riskmapReport?: NewReportView | StatusView;
  }
}

async function main(): Promise<void> {
  setWorkerUrl(workerUrl);
  initLang();
  // Every time shown is the city's, not the phone's zone's.
  await loadCityOffset();
  const route = parseRoute(window.location.pathname);
  const el = document.getElementById('view')!;
  const langButton = document.querySelector<HTMLButtonElement>('[data-lang]')!;
  let view: NewReportView | StatusView;
  if (route.view === 'new') {
    const config = await loadClientConfig(window.location.search);
    view = new NewReportView(el, config.basemapStyle ?? offlineStyle());
  } else view = new StatusView(el, route.code, route.valid);
  window.riskmapReport = view;
  const label = () => {
    document.title = `${rt(route.view === 'new' ? 'title' : 'status.title')} · ${rt('title')}`;
    document.querySelector('header h1')!.textContent = rt('title');
    langButton.textContent = rt('lang_switch');
  };
  label();
  onLangChange(() => {
    label();
    view.render();
  });
  langButton.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
}

void main();

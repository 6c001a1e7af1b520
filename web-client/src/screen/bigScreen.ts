// The big screen: wires the map, the live connection, the stores and the
// panels together, and owns the drill-down scope that every panel follows.

import { viewBBox } from '../shared/geo';
import { type GeoJSONSource, Map as MapLibreMap, NavigationControl, type PointLike, ScaleControl } from 'maplibre-gl';
import type { Api } from '../shared/api';
import { esc, formatClock, localDate, startOfDay } from '../shared/format';
import { lang, onLangChange, setLang, t } from '../shared/i18n';
import { LiveConnection, type LiveState } from '../shared/live';
import { WorkerSocket } from '../shared/workerSocket';
import { FrameBatcher } from '../shared/frame';
import { confirmSession, type Session } from '../shared/session';
import type { Incident, IncidentStats, ServerMessage, Subscription } from '../shared/types';
import { isChainAlert } from './queue';
import { AreaTree, type AreaNode } from './areaTree';
import type { CameraBook } from './cameraHealth';
import { CameraLayer } from './cameraLayer';
import { DispatchPanel } from './dispatchPanel';
import { FenceLayer } from './fenceLayer';
import { DEFAULT_STALE_AFTER_S, ServerClock } from './freshness';
import { heatFeatures, heatResolution, type HeatLayer } from './heat';
import { renderIntakeStats } from './intakeStats';
import { addHeadingArrow } from './icons';
import { IncidentStore } from './incidentStore';
import { areaLabels, asAreaFeatures, loadCollection } from './layersData';
import { layersPanelHtml, showCameraCount } from './layersPanel';
import { addRiskmapLayers, areaCodeOf, areaIs, DEFAULT_OFF, dimUnderHeat, LAYER_GROUPS, setGroupVisible, SHADES_WITH, type LayerGroup } from './mapLayers';
import { offlineStyle, type ClientConfig } from './mapStyle';
import { renderFeed, renderOnTime, renderOverdue, renderStaff, renderTicker, renderTitles, renderToday } from './panels';
import { IncidentMarks } from './incidentMarks';
import { ReplayPanel } from './replayPanel';
import { AnalysisView } from './analysisView';
import { AssessmentView } from './assessmentView';
import { transferTargets } from './orgActions';
import { PatrolLayer } from './patrolLayer';
import { QueuePanel } from './queuePanel';
import { RiskLayer } from './riskLayer';
import { RosterPanel } from './rosterPanel';
import { areaSubscription, sameSubscription, subscriptionFor } from './scope';
import { decideStaffCells } from './staffCensus';
import { ALERT_LAYERS, SosDesk } from './sosDesk';
import { openStaffPopup } from './staffPopup';
import { StaffLayer } from './staffLayer';
import { StaffStore } from './staffStore';
import { decideSources, GEOJSON_PLAN, tiledIn, type SourcePlan } from './tileMode';
import { reloadTiles, tileRequestTransform } from './tileSources';
import { VideoWall } from './videoWall';

type El = Record<
  'map' | 'crumbs' | 'children' | 'live' | 'clock' | 'today' | 'ontime' | 'intake' | 'staff' | 'overdue' | 'feed' | 'ticker' | 'layers' | 'dispatch' | 'replay' | 'sos' | 'queue' | 'roster',
  HTMLElement
>;

/** What a click on the map opens, and the pointer shows over (the alerts' layers first: drawn over everything). */
const CLICKABLE = [...ALERT_LAYERS, 'incident-point', 'staff-point', 'staff-hex-count', 'camera-point', 'camera-cluster'];

export class BigScreen {
  readonly map: MapLibreMap;
  /** The server's time (from hello): staff freshness is measured on it. */
  readonly clock = new ServerClock();
  readonly staff = new StaffStore(() => this.clock.now());
  /** The staff on the map, hexagons or markers, and the counts behind them and the staff panel. */
  readonly staffLayer: StaffLayer;
  readonly incidents = new IncidentStore();
  tree: AreaTree | null = null;
  /** The area every panel is scoped to; null only before the areas load. */
  scope: AreaNode | null = null;
  stats: IncidentStats | null = null;
  live: LiveConnection;
  liveState: LiveState = 'closed';
  /** Set once areas, layers and the first snapshot are in: tests wait on it. */
  ready = false;
  snapshots = 0;
  private subscription: Subscription | null = null;
  /** 摄像头: the cameras drawn, their online state kept live by camera_update, cones, popup. */
  readonly cameraLayer: CameraLayer;
  /** Which static layers come as vector tiles (tileMode.ts); all GeoJSON until the map loads. */
  sources: SourcePlan = GEOJSON_PLAN;
  private readonly plan: Promise<SourcePlan>;
  /** Staff as counts per cell from the server, or as members (staffCensus.ts). */
  private readonly staffCells: Promise<boolean>;
  private visible = new Set<LayerGroup>(LAYER_GROUPS.filter((g) => !DEFAULT_OFF.has(g)));
  private heatLayer: HeatLayer = 'staff';
  private readonly dispatch: DispatchPanel;
  readonly replay: ReplayPanel;
  /** 一键求助: the running SOS alerts, their panel, markers and alarm. */
  readonly sos: SosDesk;
  /** 实时视频 / 视频墙: live camera streams over the map. */
  readonly video: VideoWall;
  /** 风险研判: grids shaded by the server's model, the legend, a grid's breakdown. */
  readonly risk: RiskLayer;
  /** 巡查覆盖: grids shaded by the day's patrols, the legend, a grid's figures, a worker's day card. */
  readonly patrol: PatrolLayer;
  /** 电子围栏: the administrators' geofences, read when the layer is switched on. */
  readonly fences: FenceLayer;
  /** 研判分析: the incidents of the area over a period. */
  readonly analysis: AnalysisView;
  /** 我的待办 and 考核排名 (issue 15). */
  readonly queue: QueuePanel;
  readonly assessment: AssessmentView;
  /** 排班 · 应到未到: who of the drilled area is due on duty and missing. */
  readonly roster: RosterPanel;
  private readonly staffBatch = new FrameBatcher(() => this.flushStaff());
  private readonly incidentMarks: IncidentMarks;
  private statsTimer: ReturnType<typeof setTimeout> | null = null;
  private subscribeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    readonly session: Session,
    private readonly el: El,
    config: ClientConfig,
  ) {
    this.map = new MapLibreMap({
      container: el.map,
      style: config.basemapStyle ?? offlineStyle(),
      center: [120.65, 28.0],
      zoom: 9,
      attributionControl: false,
      // Labels appear and go at once: a fade is a third of a second of frames after every change
      // of a labelled source (the alerts, the staff counts), and the screen's sources change all day.
      fadeDuration: 0,
      // Keep the drawing buffer so screenshots of the canvas are not blank.
      canvasContextAttributes: { preserveDrawingBuffer: true },
      localIdeographFontFamily: "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif",
      // The vector tiles want the login's token, like the rest of the API.
      transformRequest: tileRequestTransform(() => api.getToken(), window.location.origin),
    });
    this.incidentMarks = new IncidentMarks(this.map, () => this.incidents.toFeatures(this.incidentInScope), () => this.visible.has('incidents'));
    // Tiles or GeoJSON, layer by layer: asked while the map loads its style.
    this.plan = decideSources(api, window.location.search);
    this.staffCells = decideStaffCells(api, window.location.search);
    this.cameraLayer = new CameraLayer({
      api,
      map: this.map,
      visible: () => this.visible.has('cameras'),
      tree: () => this.tree,
      showCounts: (c) => showCameraCount(this.el.layers, c),
      wall: () => this.video,
    });
    this.map.addControl(new NavigationControl({ showCompass: true }), 'bottom-right');
    this.map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left');
    this.dispatch = new DispatchPanel(el.dispatch, api, {
      changed: (i) => this.onIncident(i, true),
      focus: (lon, lat) => this.map.flyTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), 17) }),
      videoWall: (subject, cams) => this.video.show(subject, cams),
      transferTargets: (owner) => (this.tree ? transferTargets(this.tree, this.session.user.area || this.tree.roots()[0]?.code || '', owner) : []),
    });
    this.queue = new QueuePanel(el.queue, api, (i) => {
      this.map.flyTo({ center: [i.lon, i.lat], zoom: Math.max(this.map.getZoom(), 15) });
      void this.dispatch.open(i.id);
    });
    void this.queue.load();
    this.roster = new RosterPanel(el.roster, api, this.map, { position: (id) => this.staff.byId.get(id), gridBBox: (code) => this.tree?.byCode.get(code)?.bbox });
    this.assessment = new AssessmentView(api, el.map.parentElement!, {
      areaName: (code) => this.tree?.byCode.get(code)?.name ?? null,
      toggled: () => this.renderLayers(),
    });
    this.video = new VideoWall(el.map.parentElement!);
    this.replay = new ReplayPanel(el.replay, api, this.map, this.staff, () => !this.staffLayer.cells);
    this.risk = new RiskLayer(api, this.map, el.map.parentElement!, () => this.tree);
    this.patrol = new PatrolLayer(api, this.map, el.map.parentElement!, { areaName: (code) => this.tree?.byCode.get(code)?.name ?? null });
    this.fences = new FenceLayer(api, this.map);
    this.analysis = new AnalysisView(api, this.map, el.map.parentElement!, {
      areaName: (code) => this.tree?.byCode.get(code)?.name ?? null,
      showGrid: (code) => this.showGrid(code),
      toggled: () => this.renderLayers(),
    });
    this.sos = new SosDesk(el.sos, api, this.map, session.user.role, {
      areaName: (code) => this.tree?.byCode.get(code)?.name ?? null,
      areaBBox: (code) => this.tree?.byCode.get(code)?.bbox ?? null,
    });
    this.live = new LiveConnection({
      token: session.token,
      // Read on a worker: a city's snapshot must not wait for the repaints (workerSocket.ts).
      socket: (url) => new WorkerSocket(url),
      onMessage: (m) => this.onMessage(m),
      onState: (s, detail) => {
        this.onLiveState(s, detail);
        // SOS alerts that changed while the connection was down, in the whole area.
        if (s === 'open') {
          void this.sos.load();
          this.queue.refreshSoon(0);
        }
      },
      onDrop: () => confirmSession(api),
    });
    this.staffLayer = new StaffLayer(this.map, this.staff, this.inScope);
    this.map.on('load', () => void this.onMapLoad());
    onLangChange(() => this.renderAll());
    this.bindUi();
    setInterval(() => this.tick(), 1000);
  }

  // ---- start-up -------------------------------------------------------

  private async onMapLoad(): Promise<void> {
    // Where the page opened the map: nothing but a hand moves it before the areas are in.
    const opened = { zoom: this.map.getZoom(), center: this.map.getCenter() };
    this.sources = await this.plan;
    this.staffLayer.cells = await this.staffCells;
    addHeadingArrow(this.map);
    addRiskmapLayers(this.map, { tiled: tiledIn(this.sources), origin: window.location.origin });
    this.cameraLayer.attach(this.sources.cameras);
    this.analysis.attach();
    this.sos.attachMap();
    for (const g of LAYER_GROUPS) setGroupVisible(this.map, g, this.visible.has(g));
    this.bindMap();
    // Connected and subscribed while the areas load (a big city's 50,000 grids take seconds): to the
    // login's own area, which the screen opens on (setScope finds it subscribed already), or for a
    // login over every area, to the view as the page opens.
    const { area } = this.session.user;
    this.subscribe(area ? areaSubscription(area, this.staffLayer.liveLayers()) : subscriptionFor(null, viewBBox(this.map), this.staffLayer.liveLayers()));
    this.live.start();
    // The tree (drill-down, extents, grids) needs every area, tiles or not; only drawing them may move to tiles.
    const areas = asAreaFeatures(await loadCollection(this.api, 'areas'));
    this.tree = new AreaTree(areas);
    if (!this.sources.areas.tiles) this.source('areas').setData({ type: 'FeatureCollection', features: areas as unknown as GeoJSON.Feature[] });
    this.source('area_labels').setData(areaLabels(areas));
    this.risk.attach();
    const home = this.tree.byCode.get(this.session.user.area) ?? this.tree.roots()[0] ?? null;
    // Someone who has already panned or zoomed (the figures come before a big city's areas) stays put.
    const moved = this.map.getZoom() !== opened.zoom || this.map.getCenter().distanceTo(opened.center) > 1;
    this.setScope(home?.code ?? null, moved ? 'stay' : 'jump');
    await Promise.all([this.loadStatic('risk_sources'), this.loadStatic('key_places'), this.cameraLayer.load()]);
    this.renderAll();
  }

  /** On GeoJSON a static layer is read whole; on tiles MapLibre asks for what is looked at (again when it changed). */
  private async loadStatic(layer: 'risk_sources' | 'key_places', changed = false): Promise<void> {
    if (this.sources[layer].tiles) return void (changed && reloadTiles(this.map, layer));
    this.source(layer).setData({ type: 'FeatureCollection', features: await loadCollection(this.api, layer) });
  }

  /** The cameras as loaded (GeoJSON): the tests read their online state. */
  get cameras(): CameraBook {
    return this.cameraLayer.book;
  }

  /** What a snapshot says of grid risk and camera health, for the box and area it covers. */
  private applySnapshotRisk(m: Extract<ServerMessage, { type: 'snapshot' }>): void {
    const area = this.subscription && 'area' in this.subscription ? this.subscription.area : null;
    this.risk.applySnapshot(m.grid_risk ?? [], m.bbox, area);
    if (m.cameras_offline) this.cameraLayer.applySnapshot(m.cameras_offline, { bbox: m.bbox ?? null, area });
  }

  private source(id: string): GeoJSONSource {
    return this.map.getSource(id) as GeoJSONSource;
  }

  // ---- scope (drill-down) ----------------------------------------------

  /** Drills to an area: flies or jumps there (or leaves the view be), re-subscribes, re-queries, re-renders. */
  setScope(code: string | null, move: 'fly' | 'jump' | 'stay' = 'fly'): void {
    if (!this.tree || !code) return;
    const a = this.tree.byCode.get(code);
    if (!a) return;
    // Drilled elsewhere: a fresh snapshot even where the subscription reads the same.
    if (this.scope) this.subscription = null;
    this.scope = a;
    this.map.setFilter('area-selected-line', areaIs(a.code));
    const [w, s, e, n] = a.bbox;
    if (move !== 'stay') this.map.fitBounds([w, s, e, n], { padding: 40, duration: move === 'fly' ? 800 : 0, maxZoom: 17 });
    this.resubscribeSoon(move === 'fly' ? 900 : 0);
    this.stats = null;
    this.risk.setScope(a.code);
    this.patrol.setScope(a.code);
    this.analysis.setScope(a.code);
    this.assessment.setScope(a.code);
    this.roster.setScope(a.code);
    this.staffLayer.rescope();
    void this.loadScopeIncidents();
    this.refreshStatsSoon(0);
    this.renderAll();
    this.incidentMarks.request(true);
  }

  inScope = (code: string | null | undefined): boolean => !this.scope || !!this.tree?.within(code, this.scope.code);
  private incidentInScope = (i: Incident) => this.inScope(i.grid) || this.inScope(i.area);

  private async loadScopeIncidents(): Promise<void> {
    if (!this.scope) return;
    const area = this.scope.code;
    try {
      // What awaits action (受理, 派遣) and what is overdue, whatever the page
      // missed before it opened; the newest open ones for the map.
      const [waiting, overdue, open] = await Promise.all([
        this.api.get<{ incidents: Incident[] }>('/api/incidents', { area, state: 'reported,accepted', limit: 200 }),
        this.api.get<{ incidents: Incident[] }>('/api/incidents', { area, open: true, warning: 'red,yellow', limit: 200 }),
        this.api.get<{ incidents: Incident[] }>('/api/incidents', { area, open: true, limit: 500 }),
      ]);
      for (const i of [...open.incidents, ...overdue.incidents, ...waiting.incidents]) this.incidents.upsert(i);
      this.incidents.seedFeed(waiting.incidents.filter((i) => !i.report_only));
      this.afterIncidentsChanged();
    } catch {
      // Older servers have no incident API yet; the live feed still works.
    }
  }

  private refreshStatsSoon(delay = 1500): void {
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(async () => {
      this.statsTimer = null;
      if (!this.scope) return;
      try {
        this.stats = await this.api.get<IncidentStats>('/api/incidents/stats', {
          area: this.scope.code,
          from: startOfDay(Date.now()),
        });
      } catch {
        this.stats = null;
      }
      this.renderIncidentPanels();
    }, delay);
  }

  private resubscribeSoon(delay = 250): void {
    if (this.subscribeTimer) clearTimeout(this.subscribeTimer);
    this.subscribeTimer = setTimeout(() => this.resubscribe(), delay);
  }

  private resubscribe(): void {
    const next = subscriptionFor(this.scope, viewBBox(this.map), this.staffLayer.liveLayers(), this.staffLayer.cells);
    if (!sameSubscription(this.subscription, next)) this.subscribe(next);
  }

  private subscribe(next: Subscription): void {
    this.subscription = next;
    this.live.subscribe(next);
  }

  // ---- live -------------------------------------------------------------

  private onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'hello':
        this.clock.sync(m.server_time);
        this.staff.staleAfterMs = (m.stale_after_s ?? DEFAULT_STALE_AFTER_S) * 1000;
        if (this.staff.reclassify() > 0) this.staffBatch.request();
        break;
      case 'snapshot':
        this.snapshots++;
        this.staff.applySnapshot(m.staff ?? []);
        if (m.staff_cells) this.staffLayer.applyCells(m.staff_cells);
        for (const i of m.incidents ?? []) this.incidents.upsert(i);
        this.sos.applyMessages(m.alerts);
        this.applySnapshotRisk(m);
        this.staffBatch.request();
        this.afterIncidentsChanged();
        this.ready = true;
        break;
      case 'staff_cells':
        this.staffLayer.applyCells(m.cells);
        break;
      case 'staff_moves':
        if (this.staff.applyMoves(m.moves) > 0) this.staffBatch.request();
        break;
      case 'staff_update':
        this.staff.applyUpdate(m.staff);
        this.staffBatch.request();
        break;
      case 'incident':
        this.onIncident(m.incident, true);
        break;
      case 'alert':
        if (isChainAlert(m)) {
          // The command chain (督办 issued or answered, 超时自动上报): the queue
          // and the open drawer show it.
          this.queue.refreshSoon(0);
          this.dispatch.refreshIfOpen(m.incident);
          break;
        }
        if (m.kind !== 'warning' && 'alert' in m) {
          // A worker's alert: an SOS or a rule's (脱岗, 静止); the desk keeps the kinds it knows.
          this.sos.apply(m.alert);
          break;
        }
        this.incidents.applyAlert(m);
        renderTicker(this.el.ticker, this.incidents.alerts);
        this.afterIncidentsChanged();
        break;
      case 'stats':
        if (this.scope && m.area === this.scope.code) {
          // A push may carry only the counts: the channel mix and satisfaction read last stay.
          const last = this.stats;
          this.stats = {
            ...m.stats,
            by_source: m.stats.by_source ?? last?.by_source,
            citizen_today: m.stats.citizen_today ?? last?.citizen_today,
            satisfaction: m.stats.satisfaction ?? last?.satisfaction,
          };
          this.renderIncidentPanels();
        }
        break;
      case 'grid_risk':
        this.risk.applyPush(m.grids);
        break;
      case 'camera_update':
        this.cameraLayer.apply(m.camera);
        break;
      case 'layer_changed':
        void this.reloadLayer(m.layer);
        break;
      case 'error':
        this.el.live.title = `${m.error}: ${m.message}`;
        break;
      default:
        break;
    }
  }

  private onIncident(i: Incident, feed: boolean): void {
    if (this.incidents.upsert(i, { feed, at: Date.now() })) {
      this.afterIncidentsChanged();
      this.refreshStatsSoon();
      this.dispatch.refreshIfOpen(i.id);
      this.queue.refreshSoon();
    }
  }

  private afterIncidentsChanged(): void {
    this.incidentMarks.request();
    this.renderIncidentPanels();
  }

  private async reloadLayer(layer: string): Promise<void> {
    if (layer === 'areas') window.location.reload();
    else if (layer === 'cameras') await this.cameraLayer.reload();
    else if (layer === 'risk_sources' || layer === 'key_places') await this.loadStatic(layer, true);
    else if (layer === 'fences') await this.fences.reload();
  }

  private onLiveState(s: LiveState, detail: string): void {
    this.liveState = s;
    this.el.live.className = `live live-${s}`;
    this.el.live.textContent = t(`live.${s}`);
    this.el.live.title = detail;
    this.el.live.dataset.state = s;
  }

  // ---- map writes (at most once per frame each) --------------------------

  private flushStaff(): void {
    // A snapshot's figures show at once, not at the next second's tick.
    if (this.staffLayer.flush()) this.renderStaffPanel();
  }

  private async updateHeat(): Promise<void> {
    if (!this.visible.has('heatmap')) return;
    try {
      const r = await this.api.get<{ cells: { cell: string; count: number }[] }>('/api/heatmap', {
        bbox: viewBBox(this.map).map((v) => v.toFixed(5)).join(','),
        res: heatResolution(this.map.getZoom()),
        layer: this.heatLayer,
      });
      this.source('heat').setData(heatFeatures(r.cells));
    } catch {
      // a failed refresh keeps the previous picture
    }
  }

  // ---- panels -----------------------------------------------------------

  private renderIncidentPanels(): void {
    renderToday(this.el.today, this.stats, this.incidents.countByState(startOfDay(Date.now()), this.incidentInScope));
    renderOnTime(this.el.ontime, this.stats);
    renderIntakeStats(this.el.intake, this.stats);
    renderOverdue(this.el.overdue, this.incidents.overdue(this.incidentInScope), Date.now());
    renderFeed(
      this.el.feed,
      this.incidents.feed.filter((f) => this.incidentInScope(f.incident)),
    );
  }

  private renderStaffPanel(): void {
    const inViewOnly = !!this.subscription && 'bbox' in this.subscription;
    renderStaff(this.el.staff, this.staffLayer.aggregate.countsByRole(), inViewOnly, this.staff.staleAfterMs);
  }

  private renderCrumbs(): void {
    if (!this.tree || !this.scope) return;
    const chain = this.tree.chain(this.scope.code);
    const root = this.tree.byCode.get(this.session.user.area);
    const visible = root ? chain.slice(chain.findIndex((a) => a.code === root.code)) : chain;
    this.el.crumbs.innerHTML = visible
      .map((a) => `<button data-area="${esc(a.code)}" class="crumb level-${a.level}">${esc(a.name)}</button>`)
      .join('<span class="sep">›</span>');
    const kids = this.tree.childrenOf(this.scope.code);
    this.el.children.innerHTML = kids.length
      ? `<select data-testid="drill-select"><option value="">${esc(t('drill.children'))} (${kids.length})</option>${kids
          .map((k) => `<option value="${esc(k.code)}">${esc(k.name)}</option>`)
          .join('')}</select>`
      : '';
  }

  private renderLayers(): void {
    this.el.layers.innerHTML = layersPanelHtml({
      visible: this.visible,
      heatLayer: this.heatLayer,
      analysisOpen: this.analysis.open,
      assessmentOpen: this.assessment.open,
    });
    showCameraCount(this.el.layers, this.cameraLayer.counts());
  }

  private renderAll(): void {
    document.title = t('title');
    document.querySelector('[data-i18n="title"]')!.textContent = t('title');
    (document.querySelector('[data-lang]') as HTMLElement).textContent = t('lang_switch');
    (document.querySelector('[data-logout]') as HTMLElement).textContent = `${this.session.user.display_name ?? this.session.user.username} · ${t('logout')}`;
    this.onLiveState(this.liveState, '');
    this.renderCrumbs();
    this.renderLayers();
    this.renderIncidentPanels();
    this.renderStaffPanel();
    renderTicker(this.el.ticker, this.incidents.alerts);
    this.sos.render();
    this.risk.render();
    this.patrol.render();
    this.fences.render();
    this.analysis.render();
    this.assessment.render();
    // The incident drawer is drawn from the server's answer: read it again in the new language.
    if (this.dispatch.openId) this.dispatch.refreshIfOpen(this.dispatch.openId);
    renderTitles();
  }

  /**
   * Once a second: the clock, who has gone offline (time alone does that; a
   * pass over the staff costs far less than a frame, and only the members that
   * flipped are redrawn), the staff panel, overdue times.
   */
  private tick(): void {
    const now = Date.now();
    this.el.clock.textContent = `${localDate(now)} ${formatClock(now)}`;
    if (this.staff.reclassify() > 0) this.staffBatch.request();
    this.renderStaffPanel();
    renderOverdue(this.el.overdue, this.incidents.overdue(this.incidentInScope), Date.now());
    this.sos.tick();
  }

  // ---- interaction --------------------------------------------------------

  private bindMap(): void {
    this.map.on('moveend', () => {
      this.resubscribeSoon();
      this.staffLayer.onMove();
      this.cameraLayer.updateCones();
      void this.updateHeat();
      this.analysis.onMove();
    });
    this.map.on('click', (e) => {
      const hit = this.map.queryRenderedFeatures(e.point, { layers: CLICKABLE });
      if (hit[0] && this.sos.clicked(hit[0], e.lngLat)) return;
      const incident = hit.find((f) => f.layer.id === 'incident-point');
      if (incident) {
        this.risk.panel.close();
        return void this.dispatch.open(String(incident.properties.id));
      }
      const staff = hit.find((f) => f.layer.id === 'staff-point');
      if (staff) {
        const actions = { replay: (id: string) => this.replay.open(id), patrolDay: (id: string) => void this.patrol.card.open(id) };
        return openStaffPopup(this.map, staff, e.lngLat, this.staff, this.clock.now(), actions);
      }
      const hex = hit.find((f) => f.layer.id === 'staff-hex-count');
      if (hex) return this.staffLayer.openHex(hex, e.lngLat);
      const cluster = hit.find((f) => f.layer.id === 'camera-cluster');
      if (cluster) return this.map.easeTo({ center: e.lngLat, zoom: this.map.getZoom() + 2 });
      const camera = hit.find((f) => f.layer.id === 'camera-point');
      if (camera) return this.cameraLayer.open(camera, e.lngLat);
      this.cameraLayer.deselect();
      if (this.fences.openAt(e.point, e.lngLat)) return;
      const grid = this.drillAt(e.point);
      if (grid && this.visible.has('patrol')) this.patrol.openGrid(grid, e.lngLat);
      else if (grid) void this.risk.openGrid(grid);
    });
    for (const layer of CLICKABLE) {
      this.map.on('mouseenter', layer, () => (this.map.getCanvas().style.cursor = 'pointer'));
      this.map.on('mouseleave', layer, () => (this.map.getCanvas().style.cursor = ''));
    }
  }

  /**
   * A click on the map inside a child of the scope drills into that child.
   * Returns the grid clicked when the click reached grid level (the child
   * drilled into is a grid, or no child was hit), for its risk breakdown.
   */
  private drillAt(point: PointLike): string | null {
    if (!this.scope || !this.tree) return null;
    const kids = new Set(this.tree.children.get(this.scope.code) ?? []);
    const hits = this.map.queryRenderedFeatures(point, { layers: ['area-hit'] });
    const hit = hits.find((f) => kids.has(areaCodeOf(f.properties)));
    if (hit) this.setScope(areaCodeOf(hit.properties));
    const grid = hits.find((f) => f.properties.level === 'grid');
    return grid && (!hit || areaCodeOf(hit.properties) === areaCodeOf(grid.properties)) ? areaCodeOf(grid.properties) : null;
  }

  /** Flies to a grid and opens its risk breakdown (the analysis view's top grids). */
  showGrid(code: string): void {
    const g = this.tree?.byCode.get(code);
    if (g) this.map.fitBounds(g.bbox, { padding: 80, maxZoom: 16, duration: 800 });
    void this.risk.openGrid(code);
  }

  private bindUi(): void {
    this.el.crumbs.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-area]');
      if (b?.dataset.area) this.setScope(b.dataset.area);
    });
    this.el.children.addEventListener('change', (ev) => {
      const v = (ev.target as HTMLSelectElement).value;
      if (v) this.setScope(v);
    });
    const openIncident = (ev: Event) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-incident]');
      if (!b?.dataset.incident) return;
      const i = this.incidents.byId.get(b.dataset.incident);
      if (i) this.map.flyTo({ center: [i.lon, i.lat], zoom: Math.max(this.map.getZoom(), 15) });
      void this.dispatch.open(b.dataset.incident);
    };
    for (const el of [this.el.overdue, this.el.feed]) el.addEventListener('click', openIncident);
    this.el.layers.addEventListener('change', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.dataset.layer) this.setLayer(input.dataset.layer as LayerGroup, input.checked);
      if ((ev.target as HTMLElement).dataset.heatLayer !== undefined) {
        this.heatLayer = (ev.target as HTMLSelectElement).value as HeatLayer;
        void this.updateHeat();
      }
    });
    this.el.layers.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('[data-replay]')) this.replay.open();
      if ((ev.target as HTMLElement).closest('[data-analysis]')) this.analysis.toggle();
      if ((ev.target as HTMLElement).closest('[data-assessment]')) this.assessment.toggle();
    });
    document.querySelector('[data-lang]')!.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
  }

  /** Turns a layer group on or off: its switch, its map layers and what goes with them. */
  setLayer(g: LayerGroup, on: boolean): void {
    if (on) this.visible.add(g);
    else this.visible.delete(g);
    setGroupVisible(this.map, g, on);
    const box = this.el.layers.querySelector<HTMLInputElement>(`[data-layer="${g}"]`);
    if (box) box.checked = on;
    if (g === 'heatmap') {
      dimUnderHeat(this.map, on);
      void this.updateHeat();
    }
    if (g === 'cameras') this.cameraLayer.updateCones();
    if (g === 'grid_risk') this.risk.legend.show(on);
    if (g === 'patrol') this.patrol.show(on);
    if (g === 'fences') this.fences.show(on);
    if (g === 'incidents') this.incidentMarks.ring();
    // One shading of the grids at a time: the other one goes off.
    const other = SHADES_WITH[g];
    if (on && other && this.visible.has(other)) this.setLayer(other, false);
  }

  /** The SOS alarm (`sounding` while an alert is open), for the tests. */
  get alarm(): SosDesk['alarm'] {
    return this.sos.alarm;
  }

  /** Opens the dispatch panel for an incident (also what a click on it does). */
  openIncident(id: string): Promise<void> {
    return this.dispatch.open(id);
  }
}

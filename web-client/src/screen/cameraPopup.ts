// A camera's popup on the big screen: name, id and owner, offline said, and
// 实时视频 when it has a stream — disabled, with the reason, when it cannot be
// played here (offline, or an RTSP address that needs a media gateway).

import { esc } from '../shared/format';
import { lang, t, type Lang } from '../shared/i18n';
import { playable } from './video';
import type { WallCamera } from './videoWall';

export interface PopupCamera extends WallCamera {
  owner?: string;
  /** On tiles, how many cameras the clicked point stands for (cameras within a few metres share it). */
  count?: number;
}

/** The popup's HTML; the live-video button is `[data-live-video]`. */
export function cameraPopupHtml(cam: PopupCamera, l: Lang = lang()): string {
  const offline = cam.online === false ? ` <span class="cam-offline" data-testid="camera-offline">${esc(t('camera.offline', l))}</span>` : '';
  const here = (cam.count ?? 1) > 1 ? `<br/><small class="cam-count" data-testid="camera-count">${esc(t('camera.here_count', l).replace('{n}', String(cam.count)))}</small>` : '';
  const head = `<b>${esc(cam.name)}</b>${offline}<br/>${esc(cam.id)}${cam.owner ? ` · ${esc(cam.owner)}` : ''}${here}`;
  if (!cam.stream_url) return `<div class="cam-popup" data-camera="${esc(cam.id)}">${head}</div>`;
  const p = playable(cam);
  const why = p.ok ? '' : t(p.reason, l);
  const button = `<button class="live-video" data-live-video data-testid="live-video"${p.ok ? '' : ` disabled title="${esc(why)}"`}>▶ ${esc(t('video.live', l))}</button>`;
  const reason = p.ok ? '' : `<small class="why" data-testid="live-video-why">${esc(why)}</small>`;
  return `<div class="cam-popup" data-camera="${esc(cam.id)}">${head}<div class="cam-video">${button}${reason}</div></div>`;
}

/** A camera from the map's feature properties (see layersData.cameraPoints; a tile's have `count`, no stream_url). */
export function popupCamera(props: Record<string, unknown>): PopupCamera {
  const count = Number(props.count ?? 1);
  return {
    id: String(props.id ?? ''),
    name: String(props.name ?? ''),
    owner: String(props.owner ?? ''),
    online: props.online !== false && props.online !== 'false',
    stream_url: typeof props.stream_url === 'string' && props.stream_url ? props.stream_url : null,
    ...(count > 1 ? { count } : {}),
  };
}

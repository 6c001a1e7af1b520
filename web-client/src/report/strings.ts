// The citizen page's words, Chinese by default and English on request. The
// language is the one every page shares (shared/i18n.ts: the 中/EN switch,
// remembered per browser); the words are this page's own, so a citizen
// never meets the operators' jargon. A missing English entry falls back to
// Chinese, never to a key.

import { formatDayAndTime } from '../shared/format';
import { type Lang, lang } from '../shared/i18n';

type Dict = Record<string, string>;

const zh: Dict = {
  title: '随手拍',
  lead: '发现身边的城市问题？拍张照，标出位置，我们来处理。',
  lang_switch: 'EN',
  // where
  'where.title': '问题位置',
  'where.locating': '正在获取您的位置…',
  'where.located': '已定位到您的位置（误差约 {m} 米）。如不准确，可拖动标记或点击地图调整。',
  'where.denied': '无法使用您的位置（定位权限未开启）。请点击地图标出问题所在位置。',
  'where.unavailable': '暂时无法获取您的位置。请点击地图标出问题所在位置。',
  'where.placed': '已标出位置。可拖动标记或点击地图调整。',
  'where.coords': '经度 {lon}，纬度 {lat}',
  // what
  'what.category': '问题类型',
  'what.pick': '请选择问题类型',
  'what.categories_failed': '问题类型未能加载：{why}',
  'what.retry': '重试',
  'what.description': '问题描述',
  'what.placeholder': '请简要描述问题，例如：路口井盖缺失，行人容易绊倒',
  // photos
  'photos.title': '照片（选填，最多 3 张）',
  'photos.add': '拍照或选择图片',
  'photos.remove': '删除',
  'photos.waiting': '待上传',
  'photos.uploading': '上传中 {p}%',
  'photos.done': '已上传',
  'photos.too_big': '{name} 超过 8 MB，请换一张较小的照片',
  'photos.bad_type': '{name} 不是 JPEG、PNG 或 WebP 图片',
  'photos.max': '最多只能添加 3 张照片',
  // phone
  'phone.title': '手机号（选填，用于回访和积分）',
  'phone.placeholder': '例如 13800138000',
  'phone.digits': '手机号应为 11 位数字，例如 13800138000',
  'phone.prefix': '这不是有效的手机号：手机号以 13 至 19 开头',
  'phone.chars': '手机号只能填写数字',
  // sending
  send: '提交上报',
  'need.category': '请选择问题类型',
  'need.place': '请先在地图上标出问题位置',
  'need.what': '请描述问题，或至少添加一张照片',
  'need.fix': '请先改正上面标出的内容',
  'sending.proof': '正在进行安全校验… {p}%',
  'sending.photo': '正在上传第 {i} 张照片（共 {n} 张）…',
  'sending.report': '正在提交…',
  // sent
  'sent.title': '上报成功',
  'sent.code': '您的查询码',
  'sent.keep': '请记下查询码，凭它随时查看办理进度。',
  'sent.check': '查看办理进度',
  'sent.another': '再报一件',
  'mine.title': '我的上报',
  // status
  'status.title': '办理进度',
  'status.loading': '正在加载…',
  'status.not_found': '没有查询码为 {code} 的上报。请检查查询码是否输入正确。',
  'status.code': '查询码',
  'status.reported': '上报时间',
  'status.category': '问题类型',
  'status.description': '问题描述',
  'status.photos': '现场照片',
  'status.timeline': '办理过程',
  'status.to_come': '待办理',
  'status.reply': '处理答复',
  'status.points': '我的积分',
  'status.new': '我要上报',
  'status.retry': '重新加载',
  'state.received': '已提交，待受理',
  'state.accepted': '已受理',
  'state.handling': '处理中',
  'state.closed': '已办结',
  'state.rejected': '不予受理',
  'step.received': '提交上报',
  'step.accepted': '受理',
  'step.dispatched': '派遣处置人员',
  'step.handling': '开始处置',
  'step.handled': '处置完毕',
  'step.closed': '办结',
  'step.rejected': '不予受理',
  'step.merged': '与同一问题的其他上报合并办理',
  'step.rated': '已评价',
  // rating
  'rate.title': '评价本次办理',
  'rate.stars': '{n} 星',
  'rate.comment': '说说您的意见（选填）',
  'rate.send': '提交评价',
  'rate.need_score': '请先选择星级（1 到 5 星）',
  'rate.yours': '您的评价',
  'rate.thanks': '感谢您的评价！',
  // errors
  'err.network': '网络连接失败，请检查网络后重试',
  'err.wait': '操作太频繁，请在 {s} 秒后再试',
  'err.wait_unknown': '操作太频繁，请稍后再试',
  'err.bad': '提交的内容有误，请检查后重试',
  'err.too_large': '照片太大（最大 8 MB），请换一张',
  'err.not_image': '照片无法识别，只支持 JPEG、PNG 或 WebP 图片',
  'err.conflict': '状态已变化，请刷新页面查看最新进度',
  'err.not_found': '未找到',
  'err.forbidden': '服务器拒绝了该请求',
  'err.server': '服务器暂时出错，请稍后重试',
  'err.said': '服务器说明：{msg}',
};

const en: Dict = {
  title: 'Report a problem',
  lead: 'Seen something wrong in the city? Take a photo, mark the place, and we will deal with it.',
  lang_switch: '中文',
  'where.title': 'Where is it?',
  'where.locating': 'Finding your position…',
  'where.located': 'Placed where you are (within about {m} m). If that is wrong, drag the marker or tap the map.',
  'where.denied': 'Your position is not available (location permission is off). Tap the map to place it.',
  'where.unavailable': 'Your position cannot be found just now. Tap the map to place it.',
  'where.placed': 'Placed. Drag the marker or tap the map to move it.',
  'where.coords': 'lon {lon}, lat {lat}',
  'what.category': 'Kind of problem',
  'what.pick': 'Choose the kind of problem',
  'what.categories_failed': 'The kinds of problem could not be loaded: {why}',
  'what.retry': 'Try again',
  'what.description': 'What is wrong?',
  'what.placeholder': 'In a few words, e.g. a manhole cover is missing at the crossing',
  'photos.title': 'Photos (optional, up to 3)',
  'photos.add': 'Take or choose a photo',
  'photos.remove': 'Remove',
  'photos.waiting': 'Not sent yet',
  'photos.uploading': 'Uploading {p}%',
  'photos.done': 'Uploaded',
  'photos.too_big': '{name} is over 8 MB: choose a smaller photo',
  'photos.bad_type': '{name} is not a JPEG, PNG or WebP image',
  'photos.max': 'Three photos at most',
  'phone.title': 'Mobile number (optional: for a call back and points)',
  'phone.placeholder': 'e.g. 13800138000',
  'phone.digits': 'A mobile number has 11 digits, e.g. 13800138000',
  'phone.prefix': 'That is not a mobile number: they start with 13 to 19',
  'phone.chars': 'Only digits, please',
  send: 'Send report',
  'need.category': 'Choose the kind of problem',
  'need.place': 'Mark the place on the map first',
  'need.what': 'Describe the problem, or add at least one photo',
  'need.fix': 'Please correct what is marked above first',
  'sending.proof': 'Security check… {p}%',
  'sending.photo': 'Uploading photo {i} of {n}…',
  'sending.report': 'Sending…',
  'sent.title': 'Report sent',
  'sent.code': 'Your tracking code',
  'sent.keep': 'Keep this code: it shows how your report is being handled.',
  'sent.check': 'Check status',
  'sent.another': 'Report another',
  'mine.title': 'My reports',
  'status.title': 'Report status',
  'status.loading': 'Loading…',
  'status.not_found': 'There is no report with the code {code}. Check that it was typed correctly.',
  'status.code': 'Tracking code',
  'status.reported': 'Reported',
  'status.category': 'Kind of problem',
  'status.description': 'Description',
  'status.photos': 'Photos',
  'status.timeline': 'Progress',
  'status.to_come': 'to come',
  'status.reply': 'Reply',
  'status.points': 'My points',
  'status.new': 'Report a problem',
  'status.retry': 'Reload',
  'state.received': 'Received, awaiting review',
  'state.accepted': 'Accepted',
  'state.handling': 'Being handled',
  'state.closed': 'Closed',
  'state.rejected': 'Not accepted',
  'step.received': 'Received',
  'step.accepted': 'Accepted',
  'step.dispatched': 'Sent to a team',
  'step.handling': 'Work started',
  'step.handled': 'Work done',
  'step.closed': 'Closed',
  'step.rejected': 'Not accepted',
  'step.merged': 'Merged with another report of the same problem',
  'step.rated': 'Rated',
  'rate.title': 'Rate how it was handled',
  'rate.stars': '{n} stars',
  'rate.comment': 'Anything to add? (optional)',
  'rate.send': 'Send rating',
  'rate.need_score': 'Choose 1 to 5 stars first',
  'rate.yours': 'Your rating',
  'rate.thanks': 'Thank you for your rating!',
  'err.network': 'No connection: check the network and try again',
  'err.wait': 'Too many tries: please wait {s} seconds and try again',
  'err.wait_unknown': 'Too many tries: please wait a little and try again',
  'err.bad': 'Something in the report is not right: please check it',
  'err.too_large': 'The photo is too large (8 MB at most): choose another',
  'err.not_image': 'The photo cannot be read: only JPEG, PNG or WebP images',
  'err.conflict': 'Things have moved on: reload the page to see the latest',
  'err.not_found': 'Not found',
  'err.forbidden': 'The server refused this',
  'err.server': 'The server has a problem just now: please try again later',
  'err.said': 'The server says: {msg}',
};

const dicts: Record<Lang, Dict> = { zh, en };

/** A label in the page's language, `{name}` filled from `vars`. */
export function rt(key: string, vars: Record<string, string | number> = {}, l: Lang = lang()): string {
  const s = dicts[l][key] ?? zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** Keys present in Chinese but missing in English: kept empty by a unit test. */
export function missingEnglish(): string[] {
  return Object.keys(zh).filter((k) => !(k in en));
}

/** Fills every `data-r` (text) and `data-r-ph` (placeholder) under `root` in the page's language. */
export function applyLabels(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>('[data-r]').forEach((e) => (e.textContent = rt(e.dataset.r!)));
  root.querySelectorAll<HTMLInputElement>('[data-r-ph]').forEach((e) => (e.placeholder = rt(e.dataset.rPh!)));
}

/** 2026-05-01 14:03, in the city's time: a citizen reads whole dates. */
export function formatWhen(ms: number): string {
  return formatDayAndTime(ms);
}

/** A category's name in the page's language. */
export function categoryName(c: { name: string; name_en?: string | null }): string {
  return lang() === 'en' && c.name_en ? c.name_en : c.name;
}

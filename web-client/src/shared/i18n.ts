// Chinese by default, English on request. Every label the screens show goes
// through `t`, so a missing English entry falls back to Chinese, never to a key.

export type Lang = 'zh' | 'en';

type Dict = Record<string, string>;

const zh: Dict = {
  title: '风险一张图 · 城市运行指挥中心',
  field_title: '网格员工作台',
  login: '登录',
  logout: '退出',
  username: '用户名',
  password: '密码',
  lang_switch: 'EN',
  // connection
  'live.connecting': '连接中',
  'live.open': '实时在线',
  'live.reconnecting': '重连中',
  'live.closed': '已断开',
  // panels
  'panel.today': '今日事件',
  'panel.on_time': '按期办结率',
  'panel.staff': '人员在线 / 在岗',
  'panel.overdue': '超期预警',
  'panel.feed': '事件动态',
  'panel.alerts': '预警',
  'panel.layers': '图层',
  'panel.in_view': '视野内',
  total: '合计',
  online: '在线',
  on_duty: '在岗',
  none: '暂无',
  // layers
  'layer.areas': '行政区划',
  'layer.grid_risk': '网格风险',
  'layer.patrol': '巡查覆盖',
  'layer.risk_sources': '风险源',
  'layer.cameras': '视频监控',
  'layer.key_places': '重点场所',
  'layer.fences': '电子围栏',
  'layer.staff': '人员',
  'layer.incidents': '事件',
  'layer.heatmap': '热力图',
  // area levels
  'level.city': '城市',
  'level.district': '区县',
  'level.street': '街镇',
  'level.community': '社区/村',
  'level.grid': '网格',
  // incident states
  'state.reported': '上报',
  'state.accepted': '受理',
  'state.rejected': '不予受理',
  'state.merged': '合并',
  'state.dispatched': '派遣',
  'state.signed': '签收',
  'state.in_progress': '处置中',
  'state.handled': '办结',
  'state.verified': '核查',
  'state.closed': '结案',
  // actions
  'action.accept': '受理',
  'action.reject': '不予受理',
  'action.merge': '合并',
  'action.dispatch': '派遣',
  'action.sign': '签收',
  'action.start': '开始处置',
  'action.handle': '办结',
  'action.verify': '核查通过',
  'action.verify_fail': '核查不通过',
  'action.close': '结案',
  'action.return': '回退',
  'action.escalate': '上报上级',
  'action.request_extension': '延期申请',
  'action.approve_extension': '批准延期',
  'action.deny_extension': '驳回延期',
  'action.report': '上报',
  // priorities and warnings
  'priority.normal': '一般',
  'priority.urgent': '紧急',
  'priority.emergency': '特急',
  'warning.green': '正常',
  'warning.yellow': '黄色预警',
  'warning.red': '红色预警',
  'warning.none': '—',
  // duty and roles
  'duty.off': '离岗',
  'duty.available': '在岗',
  'duty.busy': '任务中',
  'duty.sos': '求助',
  'staff.offline': '离线',
  'role.grid_worker': '网格员',
  'role.police': '民警',
  'role.urban_management': '城管',
  'role.comprehensive': '综治',
  'role.volunteer': '志愿者',
  // risk levels
  'risk.1': '重大风险',
  'risk.2': '较大风险',
  'risk.3': '一般风险',
  'risk.4': '低风险',
  // dispatch panel
  'incident.details': '事件详情',
  'incident.log': '流转记录',
  'incident.candidates': '推荐人员',
  'incident.cameras': '可视摄像头',
  'incident.assign': '派遣',
  'incident.assignee': '处置人',
  'incident.deadline': '办结时限',
  'incident.grid': '所属网格',
  'incident.category': '类别',
  'incident.priority': '紧急程度',
  'incident.state': '状态',
  'incident.comment': '意见',
  'incident.same_grid': '本网格',
  'camera.offline': '离线',
  'camera.offline_count': '离线 {offline}/{total}',
  'camera.here_count': '此处共 {n} 个摄像头',
  close: '关闭',
  distance: '距离',
  // replay
  'replay.title': '轨迹回放',
  'replay.staff': '人员（姓名或编号）',
  'replay.no_match': '没有找到与“{q}”匹配的人员',
  'replay.ambiguous': '有 {n} 位人员与“{q}”匹配，请从建议中选择一位',
  'replay.from': '开始',
  'replay.to': '结束',
  'replay.load': '加载',
  'replay.play': '播放',
  'replay.pause': '暂停',
  'replay.speed': '倍速',
  'replay.fixes': '个定位点',
  'replay.empty': '该时段无轨迹',
  // drill-down
  'drill.up': '返回上级',
  'drill.children': '下级区域',
  // field page
  'field.share': '共享位置',
  'field.sharing': '位置共享中',
  'field.stop': '停止共享',
  'field.accuracy': '精度',
  'field.interval': '间隔',
  'field.last_fix': '最近定位',
  'field.acked': '中心已收到',
  'field.tasks': '我的任务',
  'field.no_tasks': '暂无任务',
  'field.note': '处理说明',
  'field.report': '上报事件',
  'field.report_here': '在当前位置上报',
  'field.description': '事件描述',
  'field.no_position': '尚未获取位置',
  'field.reported': '已上报',
  'field.new_task': '新任务',
  'field.geo_denied': '无法获取位置',
};

const en: Dict = {
  title: 'Risk Map · City Operations Command Centre',
  field_title: 'Field workbench',
  login: 'Log in',
  logout: 'Log out',
  username: 'Username',
  password: 'Password',
  lang_switch: '中文',
  'live.connecting': 'Connecting',
  'live.open': 'Live',
  'live.reconnecting': 'Reconnecting',
  'live.closed': 'Disconnected',
  'panel.today': "Today's incidents",
  'panel.on_time': 'On-time completion',
  'panel.staff': 'Staff online / on duty',
  'panel.overdue': 'Overdue warnings',
  'panel.feed': 'Incident feed',
  'panel.alerts': 'Alerts',
  'panel.layers': 'Layers',
  'panel.in_view': 'in view',
  total: 'Total',
  online: 'Online',
  on_duty: 'On duty',
  none: 'None',
  'layer.areas': 'Areas',
  'layer.grid_risk': 'Grid risk',
  'layer.patrol': 'Patrol coverage',
  'layer.risk_sources': 'Risk sources',
  'layer.cameras': 'Cameras',
  'layer.key_places': 'Key places',
  'layer.fences': 'Geofences',
  'layer.staff': 'Staff',
  'layer.incidents': 'Incidents',
  'layer.heatmap': 'Heat map',
  'level.city': 'City',
  'level.district': 'District',
  'level.street': 'Street',
  'level.community': 'Community',
  'level.grid': 'Grid',
  'state.reported': 'Reported',
  'state.accepted': 'Accepted',
  'state.rejected': 'Rejected',
  'state.merged': 'Merged',
  'state.dispatched': 'Dispatched',
  'state.signed': 'Signed',
  'state.in_progress': 'In progress',
  'state.handled': 'Handled',
  'state.verified': 'Verified',
  'state.closed': 'Closed',
  'action.accept': 'Accept',
  'action.reject': 'Reject',
  'action.merge': 'Merge',
  'action.dispatch': 'Dispatch',
  'action.sign': 'Sign for',
  'action.start': 'Start',
  'action.handle': 'Mark handled',
  'action.verify': 'Verify',
  'action.verify_fail': 'Fail verification',
  'action.close': 'Close',
  'action.return': 'Return',
  'action.escalate': 'Escalate',
  'action.request_extension': 'Request extension',
  'action.approve_extension': 'Approve extension',
  'action.deny_extension': 'Deny extension',
  'action.report': 'Report',
  'priority.normal': 'Normal',
  'priority.urgent': 'Urgent',
  'priority.emergency': 'Emergency',
  'warning.green': 'On time',
  'warning.yellow': 'Yellow',
  'warning.red': 'Red (overdue)',
  'warning.none': '—',
  'duty.off': 'Off duty',
  'duty.available': 'Available',
  'duty.busy': 'Busy',
  'duty.sos': 'SOS',
  'staff.offline': 'Offline',
  'role.grid_worker': 'Grid worker',
  'role.police': 'Police',
  'role.urban_management': 'Urban mgmt',
  'role.comprehensive': 'Governance',
  'role.volunteer': 'Volunteer',
  'risk.1': 'Major',
  'risk.2': 'Significant',
  'risk.3': 'General',
  'risk.4': 'Low',
  'incident.details': 'Incident',
  'incident.log': 'Flow log',
  'incident.candidates': 'Suitable staff',
  'incident.cameras': 'Cameras that see it',
  'incident.assign': 'Assign',
  'incident.assignee': 'Assignee',
  'incident.deadline': 'Deadline',
  'incident.grid': 'Grid',
  'incident.category': 'Category',
  'incident.priority': 'Priority',
  'incident.state': 'State',
  'incident.comment': 'Comment',
  'incident.same_grid': 'same grid',
  'camera.offline': 'offline',
  'camera.offline_count': '{offline}/{total} offline',
  'camera.here_count': '{n} cameras here',
  close: 'Close',
  distance: 'Distance',
  'replay.title': 'Track replay',
  'replay.staff': 'Staff (name or id)',
  'replay.no_match': 'No staff member matches “{q}”',
  'replay.ambiguous': '{n} staff members match “{q}”: pick one from the suggestions',
  'replay.from': 'From',
  'replay.to': 'To',
  'replay.load': 'Load',
  'replay.play': 'Play',
  'replay.pause': 'Pause',
  'replay.speed': 'Speed',
  'replay.fixes': 'fixes',
  'replay.empty': 'No track in this period',
  'drill.up': 'Up',
  'drill.children': 'Sub-areas',
  'field.share': 'Share location',
  'field.sharing': 'Sharing location',
  'field.stop': 'Stop sharing',
  'field.accuracy': 'Accuracy',
  'field.interval': 'Interval',
  'field.last_fix': 'Last fix',
  'field.acked': 'Received',
  'field.tasks': 'My tasks',
  'field.no_tasks': 'No tasks',
  'field.note': 'Note',
  'field.report': 'Report an incident',
  'field.report_here': 'Report at my location',
  'field.description': 'Description',
  'field.no_position': 'No position yet',
  'field.reported': 'Reported',
  'field.new_task': 'New task',
  'field.geo_denied': 'Location unavailable',
};

const dicts: Record<Lang, Dict> = { zh, en };

/** Adds a feature's own labels (kept beside the code that shows them). */
export function addTranslations(more: Record<Lang, Dict>): void {
  Object.assign(zh, more.zh);
  Object.assign(en, more.en);
}

let current: Lang = 'zh';
const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem('riskmap.lang', l);
  } catch {
    // storage may be unavailable (private mode); the choice then lasts the page
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  for (const f of listeners) f();
}

/** Restores the saved language; Chinese unless English was chosen. */
export function initLang(): void {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem('riskmap.lang');
  } catch {
    saved = null;
  }
  setLang(saved === 'en' ? 'en' : 'zh');
}

export function onLangChange(f: () => void): void {
  listeners.add(f);
}

export function t(key: string, l: Lang = current): string {
  return dicts[l][key] ?? zh[key] ?? key;
}

/** Keys present in Chinese but missing in English: kept empty by a unit test. */
export function missingTranslations(): string[] {
  return Object.keys(zh).filter((k) => !(k in en));
}

import type { NotifyOn } from '../../config/sections/notifiers.js';

/** `manual`: the operator's notify button on the incident page (no rule decides it). */
export type Moment = NotifyOn | 'manual';

interface Facts {
  site: string;
  incident: string | null;
  priority: number;
  started?: boolean;
  minutes?: number;
  reason?: string;
  /** manual: the operator's own words, if any. */
  note?: string;
}

const ZH: Record<Moment, (f: Facts) => string> = {
  opened: (f) => `${f.site} 发生报警（P${f.priority}），报警中心正在处置。事件编号 ${f.incident}。`,
  confirmed: (f) => `${f.site} 的报警已确认为真实警情，已通知辖区派出所。事件编号 ${f.incident}。`,
  forwarded: (f) => `${f.site} 的报警已转报辖区派出所。事件编号 ${f.incident}。`,
  closed: (f) => `${f.site} 的报警已处置完毕。事件编号 ${f.incident}。`,
  manual: (f) =>
    `报警中心通知：${f.site} 有报警（P${f.priority}）正在处置，请联系中心或到场。${f.note ? `${f.note}。` : ''}事件编号 ${f.incident}。`,
  test_mode: (f) =>
    f.started
      ? `${f.site} 已进入测试状态 ${f.minutes} 分钟（${f.reason}），期间报警不出警。`
      : `${f.site} 的测试状态已结束，恢复正常布防监控。`,
};

const EN: Record<Moment, (f: Facts) => string> = {
  opened: (f) =>
    `Alarm at ${f.site} (P${f.priority}); the alarm centre is handling it. Incident ${f.incident}.`,
  confirmed: (f) =>
    `The alarm at ${f.site} is confirmed; the police station has been told. Incident ${f.incident}.`,
  forwarded: (f) => `The alarm at ${f.site} was forwarded to the police station. Incident ${f.incident}.`,
  closed: (f) => `The alarm at ${f.site} is closed. Incident ${f.incident}.`,
  manual: (f) =>
    `From the alarm centre: an alarm at ${f.site} (P${f.priority}) is being handled; please call the centre or attend. ${f.note ? `${f.note}. ` : ''}Incident ${f.incident}.`,
  test_mode: (f) =>
    f.started
      ? `${f.site} is on test for ${f.minutes} minutes (${f.reason}); alarms will not be dispatched.`
      : `Test mode at ${f.site} has ended.`,
};

/** Subject and body of a notification in the configured language. */
export function messageFor(
  language: 'zh-CN' | 'en',
  on: Moment,
  f: Facts,
): { subject: string; body: string } {
  const zh = language === 'zh-CN';
  return {
    subject: zh ? `【联网报警中心】${f.site}` : `[Alarm centre] ${f.site}`,
    body: (zh ? ZH : EN)[on](f),
  };
}

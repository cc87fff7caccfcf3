import { NS, type SoapClient } from './onvif-soap.js';
import { all, attr, child, escapeXml, OnvifError, path, text, type XmlNode } from './onvif-xml.js';

export type CameraEventKind = 'motion' | 'tamper' | 'video_loss';

/** One ONVIF notification, normalized: what happened, whether it is now on, when (camera clock). */
export interface DriverCameraEvent {
  kind: CameraEventKind;
  active: boolean;
  /** Topic without namespace prefixes, e.g. `RuleEngine/CellMotionDetector/Motion`. */
  topic: string;
  /** `Initialized` (state at subscribe time), `Changed` or `Deleted`. */
  operation: string;
  utcTime: string;
  source: Record<string, string>;
}

export interface RawNotification {
  topic: string;
  operation: string;
  utcTime: string;
  source: Record<string, string>;
  data: Record<string, string>;
}

export interface Subscription {
  address: string;
  terminationTime?: string;
  currentTime?: string;
}

/** Topic text keeps its prefixes (`tns1:RuleEngine/tnsaxis:…`); compare on local names only. */
export function normalizeTopic(topic: string): string {
  return topic
    .trim()
    .split('/')
    .map((s) => (s.includes(':') ? s.slice(s.lastIndexOf(':') + 1) : s))
    .join('/');
}

function simpleItems(node: XmlNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of all(node, 'SimpleItem')) {
    const name = attr(it, 'Name');
    const value = attr(it, 'Value');
    if (name !== undefined && value !== undefined) out[name] = value;
  }
  return out;
}

export function parseNotifications(body: XmlNode): { messages: RawNotification[]; terminationTime?: string } {
  const r = child(body, 'PullMessagesResponse');
  if (!r) throw new OnvifError('PullMessages: no PullMessagesResponse in body');
  const messages = all(r, 'NotificationMessage').map((n) => {
    // wsnt:Message wraps tt:Message; a few NVRs send tt:Message's content directly under wsnt:Message.
    const outer = child(n, 'Message');
    const msg = child(outer, 'Message') ?? outer;
    return {
      topic: normalizeTopic(text(n, 'Topic') ?? ''),
      operation: attr(msg, 'PropertyOperation') ?? 'Changed',
      utcTime: attr(msg, 'UtcTime') ?? new Date().toISOString(),
      source: simpleItems(child(msg, 'Source')),
      data: simpleItems(child(msg, 'Data')),
    };
  });
  const terminationTime = text(r, 'TerminationTime');
  return terminationTime ? { messages, terminationTime } : { messages };
}

const KINDS: Array<[RegExp, CameraEventKind]> = [
  // Hikvision/Dahua: RuleEngine/CellMotionDetector/Motion (IsMotion); profile S: VideoSource/MotionAlarm (State)
  [/MotionAlarm|CellMotionDetector|MotionDetector|VideoAnalytics\/Motion|\/Motion$/i, 'motion'],
  // Profile S: VideoSource/GlobalSceneChange (State); Hikvision: RuleEngine/TamperDetector/Tamper (IsTamper)
  [/GlobalSceneChange|Tamper/i, 'tamper'],
  // VideoSource/SignalLoss on encoders and NVR channels; Hikvision uses VideoLoss
  [/SignalLoss|VideoLoss/i, 'video_loss'],
];

const STATE_ITEMS = ['State', 'IsMotion', 'IsTamper', 'IsSignalLoss', 'Value', 'Active'];

/** Maps a notification to a camera event; undefined for topics we do not act on. */
export function classify(n: RawNotification): DriverCameraEvent | undefined {
  const kind = KINDS.find(([re]) => re.test(n.topic))?.[1];
  if (!kind) return undefined;
  const key = STATE_ITEMS.find((k) => n.data[k] !== undefined) ?? Object.keys(n.data)[0];
  const raw = key !== undefined ? n.data[key] : undefined;
  // Some firmware send "1"/"0" instead of xs:boolean, Axis older ones "True".
  const active = raw === undefined ? true : /^(true|1|on|active)$/i.test(raw);
  return { kind, active, topic: n.topic, operation: n.operation, utcTime: n.utcTime, source: n.source };
}

export function parseSubscription(body: XmlNode): Subscription {
  const r = child(body, 'CreatePullPointSubscriptionResponse');
  if (!r) throw new OnvifError('CreatePullPointSubscription: no response element in body');
  const address = text(path(r, 'SubscriptionReference'), 'Address');
  if (!address) throw new OnvifError('CreatePullPointSubscription: no SubscriptionReference/Address');
  const out: Subscription = { address };
  const term = text(r, 'TerminationTime');
  const cur = text(r, 'CurrentTime');
  if (term) out.terminationTime = term;
  if (cur) out.currentTime = cur;
  return out;
}

/** WS-Addressing headers: Axis and Hikvision route PullMessages by `To`, some Bosch by `Action`. */
function wsa(address: string, action: string): string {
  return (
    `<wsa:Action xmlns:wsa="${NS.wsa}">${action}</wsa:Action>` +
    `<wsa:To xmlns:wsa="${NS.wsa}">${escapeXml(address)}</wsa:To>`
  );
}

const ACTION = {
  pull: 'http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest',
  renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest',
  unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest',
};

/** Events service: PullPoint subscription (WS-BaseNotification over a polled endpoint). */
export class OnvifEvents {
  constructor(
    private readonly soap: SoapClient,
    readonly url: string,
  ) {}

  async subscribe(terminationSeconds = 60): Promise<Subscription> {
    const body =
      `<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT${terminationSeconds}S` +
      '</tev:InitialTerminationTime></tev:CreatePullPointSubscription>';
    return parseSubscription(await this.soap.call(this.url, 'CreatePullPointSubscription', body));
  }

  /** Long poll: the camera answers when messages arrive or after `timeoutSeconds`. */
  async pull(sub: Subscription, timeoutSeconds = 5, limit = 32) {
    const body =
      `<tev:PullMessages><tev:Timeout>PT${timeoutSeconds}S</tev:Timeout>` +
      `<tev:MessageLimit>${limit}</tev:MessageLimit></tev:PullMessages>`;
    const res = await this.soap.call(sub.address, 'PullMessages', body, {
      header: wsa(sub.address, ACTION.pull),
      timeoutMs: (timeoutSeconds + 10) * 1000,
    });
    return parseNotifications(res);
  }

  async renew(sub: Subscription, terminationSeconds = 60): Promise<void> {
    const body = `<wsnt:Renew><wsnt:TerminationTime>PT${terminationSeconds}S</wsnt:TerminationTime></wsnt:Renew>`;
    const res = await this.soap.call(sub.address, 'Renew', body, { header: wsa(sub.address, ACTION.renew) });
    if (!child(res, 'RenewResponse')) throw new OnvifError('Renew: no RenewResponse in body');
  }

  async unsubscribe(sub: Subscription): Promise<void> {
    const res = await this.soap.call(sub.address, 'Unsubscribe', '<wsnt:Unsubscribe/>', {
      header: wsa(sub.address, ACTION.unsubscribe),
      timeoutMs: 3000,
    });
    if (!child(res, 'UnsubscribeResponse'))
      throw new OnvifError('Unsubscribe: no UnsubscribeResponse in body');
  }
}

import { escapeXml } from '../../onvif/onvif-xml.js';

/**
 * SOAP replies of the simulated camera, in the shape Hikvision firmware sends (SOAP 1.2 `env:`,
 * `tt:`/`trt:`/`tds:`/`tptz:`/`tev:` prefixes, WS-Addressing on event replies).
 */
const NS =
  'xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" ' +
  'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa="http://www.w3.org/2005/08/addressing" ' +
  'xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:ter="http://www.onvif.org/ver10/error"';

export function reply(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${NS}><env:Body>${body}</env:Body></env:Envelope>`;
}

export function fault(code: 'Sender' | 'Receiver', subcode: string, reason: string): string {
  return reply(
    `<env:Fault><env:Code><env:Value>env:${code}</env:Value><env:Subcode><env:Value>${subcode}</env:Value>` +
      `</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">${escapeXml(reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

export function systemDateAndTime(now: Date): string {
  return reply(
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>' +
      '<tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime>' +
      `<tt:Time><tt:Hour>${now.getUTCHours()}</tt:Hour><tt:Minute>${now.getUTCMinutes()}</tt:Minute><tt:Second>${now.getUTCSeconds()}</tt:Second></tt:Time>` +
      `<tt:Date><tt:Year>${now.getUTCFullYear()}</tt:Year><tt:Month>${now.getUTCMonth() + 1}</tt:Month><tt:Day>${now.getUTCDate()}</tt:Day></tt:Date>` +
      '</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>',
  );
}

export function deviceInformation(serial: string, name: string): string {
  return reply(
    '<tds:GetDeviceInformationResponse><tds:Manufacturer>Sharpeyes</tds:Manufacturer>' +
      `<tds:Model>${escapeXml(name)}</tds:Model><tds:FirmwareVersion>V5.7.3 build 220112</tds:FirmwareVersion>` +
      `<tds:SerialNumber>${escapeXml(serial)}</tds:SerialNumber><tds:HardwareId>88</tds:HardwareId>` +
      '</tds:GetDeviceInformationResponse>',
  );
}

export function capabilities(base: string): string {
  return reply(
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
      `<tt:Device><tt:XAddr>${base}/onvif/device_service</tt:XAddr></tt:Device>` +
      `<tt:Events><tt:XAddr>${base}/onvif/events_service</tt:XAddr><tt:WSSubscriptionPolicySupport>true</tt:WSSubscriptionPolicySupport>` +
      '<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false' +
      '</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>' +
      `<tt:Media><tt:XAddr>${base}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>' +
      `<tt:PTZ><tt:XAddr>${base}/onvif/ptz_service</tt:XAddr></tt:PTZ>` +
      '</tds:Capabilities></tds:GetCapabilitiesResponse>',
  );
}

export interface SimProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
  ptz: boolean;
}

export function profiles(list: SimProfile[]): string {
  const one = (p: SimProfile) =>
    `<trt:Profiles fixed="true" token="${p.token}"><tt:Name>${p.name}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>` +
    `<tt:SourceToken>VideoSource_1</tt:SourceToken><tt:Bounds x="0" y="0" width="${p.width}" height="${p.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="VideoEncoderToken_${p.token}"><tt:Name>VideoEncoder_${p.token}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>3.0</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>1024</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>${p.fps}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    '<tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
    (p.ptz
      ? '<tt:PTZConfiguration token="PTZToken"><tt:Name>PTZ</tt:Name><tt:UseCount>1</tt:UseCount><tt:NodeToken>PTZNODETOKEN</tt:NodeToken></tt:PTZConfiguration>'
      : '') +
    '</trt:Profiles>';
  return reply(`<trt:GetProfilesResponse>${list.map(one).join('')}</trt:GetProfilesResponse>`);
}

export function mediaUri(kind: 'GetStreamUri' | 'GetSnapshotUri', uri: string): string {
  return reply(
    `<trt:${kind}Response><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
      `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:${kind}Response>`,
  );
}

export function presets(count: number): string {
  const items = Array.from(
    { length: count },
    (_, i) => `<tptz:Preset token="${i + 1}"><tt:Name>Preset ${i + 1}</tt:Name></tptz:Preset>`,
  );
  return reply(`<tptz:GetPresetsResponse>${items.join('')}</tptz:GetPresetsResponse>`);
}

export function empty(action: string, prefix = 'tptz'): string {
  return reply(`<${prefix}:${action}Response/>`);
}

export function subscription(address: string, now: Date, until: Date): string {
  return reply(
    '<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>' +
      `<wsa:Address>${escapeXml(address)}</wsa:Address></tev:SubscriptionReference>` +
      `<wsnt:CurrentTime>${now.toISOString()}</wsnt:CurrentTime><wsnt:TerminationTime>${until.toISOString()}</wsnt:TerminationTime>` +
      '</tev:CreatePullPointSubscriptionResponse>',
  );
}

export interface SimMessage {
  topic: string;
  utcTime: string;
  operation: 'Initialized' | 'Changed';
  source: Record<string, string>;
  data: Record<string, string>;
}

export function pullMessages(now: Date, until: Date, messages: SimMessage[]): string {
  const items = (tag: string, kv: Record<string, string>) =>
    `<tt:${tag}>${Object.entries(kv)
      .map(([k, v]) => `<tt:SimpleItem Name="${k}" Value="${escapeXml(v)}"/>`)
      .join('')}</tt:${tag}>`;
  const msgs = messages.map(
    (m) =>
      `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${m.topic}</wsnt:Topic>` +
      `<wsnt:Message><tt:Message UtcTime="${m.utcTime}" PropertyOperation="${m.operation}">` +
      `${items('Source', m.source)}${items('Data', m.data)}</tt:Message></wsnt:Message></wsnt:NotificationMessage>`,
  );
  return reply(
    `<tev:PullMessagesResponse><tev:CurrentTime>${now.toISOString()}</tev:CurrentTime>` +
      `<tev:TerminationTime>${until.toISOString()}</tev:TerminationTime>${msgs.join('')}</tev:PullMessagesResponse>`,
  );
}

export function renew(now: Date, until: Date): string {
  return reply(
    `<wsnt:RenewResponse><wsnt:TerminationTime>${until.toISOString()}</wsnt:TerminationTime>` +
      `<wsnt:CurrentTime>${now.toISOString()}</wsnt:CurrentTime></wsnt:RenewResponse>`,
  );
}

export function probeMatches(relatesTo: string, urn: string, xaddr: string, name: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header>' +
    `<wsa:MessageID>urn:uuid:${crypto.randomUUID()}</wsa:MessageID><wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` +
    '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>' +
    '<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>${urn}</wsa:Address></wsa:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
    `<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/name/${encodeURIComponent(name)} onvif://www.onvif.org/hardware/SE-SIM</d:Scopes>` +
    `<d:XAddrs>${xaddr}</d:XAddrs><d:MetadataVersion>10</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

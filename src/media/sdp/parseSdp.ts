import { SdpError } from './SdpError.ts';
import type {
  Candidate,
  CodecParameters,
  Connection,
  Direction,
  DtlsSetup,
  Extmap,
  Fingerprint,
  Group,
  MediaSection,
  Msid,
  Origin,
  Rid,
  SdpAttribute,
  SessionDescription,
  Simulcast,
  SimulcastLayer,
  SsrcAttribute,
  SsrcGroup,
} from './types.ts';

export const SDP_MAX_BYTES = 64 * 1024;
export const SDP_MAX_LINES = 2000;
export const SDP_MAX_LINE_LENGTH = 4096;
export const SDP_MAX_MEDIA_SECTIONS = 64;

const SESSION_LINE_TYPES = new Set('vosiuepcbtrzka');
const MEDIA_LINE_TYPES = new Set('micbka');
const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const SETUPS = new Set<string>(['actpass', 'active', 'passive', 'holdconn']);
// RFC 4566 token characters: mids, attribute names, candidate foundations...
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;
const CODEC_NAME = /^[A-Za-z0-9_.+-]+$/;
const RID_ID = /^[A-Za-z0-9_-]{1,255}$/;
// RFC 8830 says token characters, but GStreamer writes "user@host" ids: any visible ASCII is safe to echo.
const MSID_ID = /^[\x21-\x7e]+$/;
const HEX_FINGERPRINT = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+$/;

// RFC 3551 static payload types that may appear without an a=rtpmap.
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, { name: string; clockRate: number; channels?: number }> =
  new Map([
    [0, { name: 'PCMU', clockRate: 8000, channels: 1 }],
    [3, { name: 'GSM', clockRate: 8000, channels: 1 }],
    [4, { name: 'G723', clockRate: 8000, channels: 1 }],
    [8, { name: 'PCMA', clockRate: 8000, channels: 1 }],
    [9, { name: 'G722', clockRate: 8000, channels: 1 }],
    [13, { name: 'CN', clockRate: 8000, channels: 1 }],
    [18, { name: 'G729', clockRate: 8000, channels: 1 }],
    [26, { name: 'JPEG', clockRate: 90000 }],
    [31, { name: 'H261', clockRate: 90000 }],
    [34, { name: 'H263', clockRate: 90000 }],
  ]);

/**
 * Parses an SDP offer or answer into a typed model. Tolerant of CRLF or LF line endings, trailing blanks and
 * blank lines; strict on everything a negotiation depends on. Bad input only ever raises SdpError.
 */
export function parseSdp(text: string): SessionDescription {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof SdpError) throw error;
    // A bug here must not turn a hostile offer into a 500 with a stack trace.
    const reason = error instanceof Error ? error.message : String(error);
    throw new SdpError('malformed', `SDP could not be parsed: ${reason}`);
  }
}

interface MediaBuilder {
  section: MediaSection;
  direction?: Direction;
  rtpmaps: Map<number, { name: string; clockRate: number; channels?: number; line: number }>;
  fmtps: Map<number, string>;
  feedback: Map<number | '*', string[]>;
  isRtp: boolean;
}

interface SessionBuilder {
  session: SessionDescription;
  hasOrigin: boolean;
  hasName: boolean;
  hasTiming: boolean;
  direction?: Direction;
  endOfCandidates: boolean;
  mids: Map<string, number>;
}

function parse(text: string): SessionDescription {
  if (typeof text !== 'string') throw new SdpError('malformed', 'SDP must be a string');
  if (text.length > SDP_MAX_BYTES || Buffer.byteLength(text, 'utf8') > SDP_MAX_BYTES) {
    throw new SdpError(
      'too-large',
      `SDP is ${Buffer.byteLength(text, 'utf8')} bytes; the limit is ${SDP_MAX_BYTES}`,
    );
  }
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new SdpError('malformed', 'SDP is empty');
  if (lines.length > SDP_MAX_LINES) {
    throw new SdpError('too-large', `SDP has ${lines.length} lines; the limit is ${SDP_MAX_LINES}`);
  }

  const builder: SessionBuilder = {
    session: {
      version: 0,
      origin: { username: '', sessionId: '', sessionVersion: '', netType: '', addressType: '', address: '' },
      sessionName: '',
      iceLite: false,
      fingerprints: [],
      groups: [],
      extmaps: [],
      extmapAllowMixed: false,
      attributes: [],
      media: [],
    },
    hasOrigin: false,
    hasName: false,
    hasTiming: false,
    endOfCandidates: false,
    mids: new Map(),
  };
  const mediaBuilders: MediaBuilder[] = [];
  let current: MediaBuilder | undefined;
  let sawVersion = false;

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    let line = lines[index];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > SDP_MAX_LINE_LENGTH) {
      throw new SdpError(
        'too-large',
        `line ${lineNumber} is ${line.length} characters long; the limit is ${SDP_MAX_LINE_LENGTH}`,
      );
    }
    line = line.replace(/[ \t]+$/, '');
    if (line === '') continue;
    if (hasControlCharacter(line)) {
      throw new SdpError('malformed', `line ${lineNumber} contains a control character: ${quote(line)}`);
    }
    if (line.length < 2 || line[1] !== '=' || line[0] < 'a' || line[0] > 'z') {
      throw new SdpError('malformed', `line ${lineNumber}: expected "<letter>=<value>", got ${quote(line)}`);
    }
    const type = line[0];
    const value = line.slice(2);

    if (!sawVersion) {
      if (line !== 'v=0') {
        throw new SdpError('malformed', `line ${lineNumber}: SDP must start with "v=0", got ${quote(line)}`);
      }
      sawVersion = true;
      continue;
    }

    if (type === 'm') {
      if (mediaBuilders.length >= SDP_MAX_MEDIA_SECTIONS) {
        throw new SdpError(
          'too-large',
          `line ${lineNumber}: more than ${SDP_MAX_MEDIA_SECTIONS} m= sections; that is the limit`,
        );
      }
      current = parseMediaLine(value, lineNumber);
      mediaBuilders.push(current);
      continue;
    }

    if (current === undefined) {
      if (!SESSION_LINE_TYPES.has(type)) {
        throw new SdpError('malformed', `line ${lineNumber}: "${type}=" is not a session-level SDP line`);
      }
      parseSessionLine(builder, type, value, lineNumber);
    } else {
      if (!MEDIA_LINE_TYPES.has(type)) {
        throw new SdpError(
          'malformed',
          `line ${lineNumber}: "${type}=" is not allowed inside a media section`,
        );
      }
      if (type === 'c') current.section.connection = parseConnection(value, lineNumber);
      else if (type === 'a') parseMediaAttribute(builder, current, value, lineNumber);
      // i=, b=, k= carry nothing we negotiate.
    }
  }

  if (!builder.hasOrigin) throw new SdpError('malformed', 'SDP has no "o=" line');
  if (!builder.hasName) throw new SdpError('malformed', 'SDP has no "s=" line');
  if (!builder.hasTiming) throw new SdpError('malformed', 'SDP has no "t=" line');

  const session = builder.session;
  session.direction = builder.direction;
  for (const media of mediaBuilders) session.media.push(finishMedia(builder, media));
  session.bundle = session.groups.find((group) => group.semantics === 'BUNDLE')?.mids;
  for (const group of session.groups) {
    for (const mid of group.mids) {
      if (!builder.mids.has(mid)) {
        throw new SdpError(
          'malformed',
          `a=group:${group.semantics} lists mid ${quote(mid)} that no m= line has`,
        );
      }
    }
  }
  return session;
}

function parseSessionLine(builder: SessionBuilder, type: string, value: string, lineNumber: number): void {
  const session = builder.session;
  switch (type) {
    case 'v':
      throw new SdpError('malformed', `line ${lineNumber}: a second "v=" line`);
    case 'o':
      if (builder.hasOrigin) throw new SdpError('malformed', `line ${lineNumber}: a second "o=" line`);
      session.origin = parseOrigin(value, lineNumber);
      builder.hasOrigin = true;
      return;
    case 's':
      if (builder.hasName) throw new SdpError('malformed', `line ${lineNumber}: a second "s=" line`);
      session.sessionName = value;
      builder.hasName = true;
      return;
    case 't':
      if (!/^\d+ \d+$/.test(value)) {
        throw new SdpError('malformed', `line ${lineNumber}: "t=" must be two numbers, got ${quote(value)}`);
      }
      builder.hasTiming = true;
      return;
    case 'c':
      session.connection = parseConnection(value, lineNumber);
      return;
    case 'a':
      parseSessionAttribute(builder, value, lineNumber);
      return;
    default:
      // i= u= e= p= b= r= z= k=: informational, nothing to negotiate.
      return;
  }
}

function parseOrigin(value: string, lineNumber: number): Origin {
  const parts = value.split(/ +/);
  if (parts.length !== 6) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: "o=" needs 6 fields (username sess-id sess-version nettype addrtype address), got ${quote(value)}`,
    );
  }
  const [username, sessionId, sessionVersion, netType, addressType, address] = parts;
  return { username, sessionId, sessionVersion, netType, addressType, address };
}

function parseConnection(value: string, lineNumber: number): Connection {
  const parts = value.split(/ +/);
  if (parts.length !== 3 || parts[0] !== 'IN' || (parts[1] !== 'IP4' && parts[1] !== 'IP6')) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: "c=" must be "IN IP4|IP6 <address>", got ${quote(value)}`,
    );
  }
  return { netType: parts[0], addressType: parts[1], address: parts[2] };
}

function parseMediaLine(value: string, lineNumber: number): MediaBuilder {
  const parts = value.split(/ +/);
  if (parts.length < 4) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: "m=" needs <media> <port> <proto> <fmt>..., got ${quote(value)}`,
    );
  }
  const [kind, portText, protocol, ...formats] = parts;
  if (!TOKEN.test(kind)) throw new SdpError('malformed', `line ${lineNumber}: bad media type ${quote(kind)}`);
  const portMatch = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(portText);
  const port = portMatch ? Number(portMatch[1]) : Number.NaN;
  if (!portMatch || port > 65535) {
    throw new SdpError('malformed', `line ${lineNumber}: m= port ${quote(portText)} is not a number 0-65535`);
  }
  if (!/^[A-Za-z0-9/_.-]+$/.test(protocol)) {
    throw new SdpError('malformed', `line ${lineNumber}: bad m= protocol ${quote(protocol)}`);
  }
  const isRtp = protocol.includes('RTP/');
  const seen = new Set<string>();
  for (const format of formats) {
    if (isRtp) parsePayloadType(format, lineNumber, 'm= payload type');
    else if (!TOKEN.test(format)) {
      throw new SdpError('malformed', `line ${lineNumber}: bad m= format ${quote(format)}`);
    }
    if (seen.has(format)) {
      throw new SdpError('malformed', `line ${lineNumber}: format ${quote(format)} is listed twice`);
    }
    seen.add(format);
  }
  const section: MediaSection = {
    kind,
    port,
    protocol,
    formats,
    line: lineNumber,
    direction: 'sendrecv',
    codecs: [],
    extmaps: [],
    ssrcs: [],
    ssrcGroups: [],
    rids: [],
    msids: [],
    fingerprints: [],
    candidates: [],
    endOfCandidates: false,
    rtcpMux: false,
    rtcpRsize: false,
    bundleOnly: false,
    attributes: [],
  };
  if (portMatch[2] !== undefined) section.portCount = Number(portMatch[2]);
  return { section, rtpmaps: new Map(), fmtps: new Map(), feedback: new Map(), isRtp };
}

function splitAttribute(value: string, lineNumber: number): SdpAttribute {
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (!TOKEN.test(name)) {
    throw new SdpError('malformed', `line ${lineNumber}: bad attribute name ${quote(name)}`);
  }
  return colon === -1
    ? { name, line: lineNumber }
    : { name, value: value.slice(colon + 1), line: lineNumber };
}

function requireValue(attribute: SdpAttribute): string {
  const value = attribute.value?.trim();
  if (!value) {
    throw new SdpError('malformed', `line ${attribute.line}: a=${attribute.name} needs a value`);
  }
  return value;
}

/** Attributes that mean the same at session and media level. Returns false if `attribute` is not one. */
function parseTransportAttribute(
  target: {
    iceUfrag?: string;
    icePwd?: string;
    iceOptions?: string[];
    fingerprints: Fingerprint[];
    setup?: DtlsSetup;
  },
  attribute: SdpAttribute,
): boolean {
  const lineNumber = attribute.line;
  switch (attribute.name) {
    case 'ice-ufrag':
    case 'ice-pwd': {
      const value = requireValue(attribute);
      if (/\s/.test(value)) {
        throw new SdpError('malformed', `line ${lineNumber}: a=${attribute.name} must not contain spaces`);
      }
      const key = attribute.name === 'ice-ufrag' ? 'iceUfrag' : 'icePwd';
      if (target[key] !== undefined && target[key] !== value) {
        throw new SdpError('malformed', `line ${lineNumber}: a second, different a=${attribute.name}`);
      }
      target[key] = value;
      return true;
    }
    case 'ice-options':
      // libdatachannel (OBS) separates them with commas.
      target.iceOptions = requireValue(attribute)
        .split(/[\s,]+/)
        .filter((option) => option !== '');
      return true;
    case 'fingerprint': {
      const parts = requireValue(attribute).split(/\s+/);
      if (parts.length !== 2 || !TOKEN.test(parts[0]) || !HEX_FINGERPRINT.test(parts[1])) {
        throw new SdpError(
          'malformed',
          `line ${lineNumber}: a=fingerprint must be "<hash-function> <XX:XX:...>", got ${quote(attribute.value ?? '')}`,
        );
      }
      target.fingerprints.push({ algorithm: parts[0].toLowerCase(), value: parts[1].toUpperCase() });
      return true;
    }
    case 'setup': {
      const value = requireValue(attribute);
      if (!SETUPS.has(value)) {
        throw new SdpError(
          'malformed',
          `line ${lineNumber}: a=setup must be actpass, active, passive or holdconn, got ${quote(value)}`,
        );
      }
      target.setup = value as DtlsSetup;
      return true;
    }
    default:
      return false;
  }
}

function parseSessionAttribute(builder: SessionBuilder, value: string, lineNumber: number): void {
  const session = builder.session;
  const attribute = splitAttribute(value, lineNumber);
  session.attributes.push(attribute);
  if (parseTransportAttribute(session, attribute)) return;
  if (DIRECTIONS.has(attribute.name)) {
    if (builder.direction !== undefined) {
      throw new SdpError('malformed', `line ${lineNumber}: more than one session-level direction attribute`);
    }
    builder.direction = attribute.name as Direction;
    return;
  }
  switch (attribute.name) {
    case 'ice-lite':
      session.iceLite = true;
      return;
    case 'group':
      session.groups.push(parseGroup(attribute));
      return;
    case 'extmap':
      addExtmap(session.extmaps, parseExtmap(attribute), lineNumber);
      return;
    case 'extmap-allow-mixed':
      session.extmapAllowMixed = true;
      return;
    case 'end-of-candidates':
      builder.endOfCandidates = true;
      return;
  }
}

function parseMediaAttribute(
  builder: SessionBuilder,
  media: MediaBuilder,
  value: string,
  lineNumber: number,
): void {
  const section = media.section;
  const attribute = splitAttribute(value, lineNumber);
  section.attributes.push(attribute);
  if (parseTransportAttribute(section, attribute)) return;
  if (DIRECTIONS.has(attribute.name)) {
    if (media.direction !== undefined) {
      throw new SdpError(
        'malformed',
        `line ${lineNumber}: more than one direction attribute in this m= section`,
      );
    }
    media.direction = attribute.name as Direction;
    return;
  }
  switch (attribute.name) {
    case 'mid': {
      const mid = requireValue(attribute);
      if (!TOKEN.test(mid)) throw new SdpError('malformed', `line ${lineNumber}: bad a=mid ${quote(mid)}`);
      if (section.mid !== undefined) {
        throw new SdpError('malformed', `line ${lineNumber}: a second a=mid in this m= section`);
      }
      const previous = builder.mids.get(mid);
      if (previous !== undefined) {
        throw new SdpError(
          'malformed',
          `line ${lineNumber}: duplicate a=mid:${mid} (already used on line ${previous})`,
        );
      }
      builder.mids.set(mid, lineNumber);
      section.mid = mid;
      return;
    }
    case 'rtpmap':
      if (media.isRtp) parseRtpmap(media, attribute);
      return;
    case 'fmtp':
      if (media.isRtp) parseFmtp(media, attribute);
      return;
    case 'rtcp-fb':
      if (media.isRtp) parseRtcpFeedback(media, attribute);
      return;
    case 'extmap':
      addExtmap(section.extmaps, parseExtmap(attribute), lineNumber);
      return;
    case 'ssrc':
      section.ssrcs.push(parseSsrc(attribute));
      return;
    case 'ssrc-group':
      section.ssrcGroups.push(parseSsrcGroup(attribute));
      return;
    case 'rid':
      addRid(section.rids, parseRid(attribute), lineNumber);
      return;
    case 'simulcast':
      if (section.simulcast !== undefined) {
        throw new SdpError('malformed', `line ${lineNumber}: a second a=simulcast in this m= section`);
      }
      section.simulcast = parseSimulcast(attribute);
      return;
    case 'msid':
      section.msids.push(parseMsid(requireValue(attribute), lineNumber));
      return;
    case 'candidate':
      section.candidates.push(parseCandidate(attribute));
      return;
    case 'end-of-candidates':
      section.endOfCandidates = true;
      return;
    case 'rtcp-mux':
      section.rtcpMux = true;
      return;
    case 'rtcp-rsize':
      section.rtcpRsize = true;
      return;
    case 'bundle-only':
      section.bundleOnly = true;
      return;
  }
}

function parseNumber(text: string, max: number, lineNumber: number, what: string, min = 0): number {
  // The length cap keeps absurd digit strings from turning into imprecise floats.
  const number = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= min && number <= max)) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: ${what} ${quote(text)} is not a number ${min}-${max}`,
    );
  }
  return number;
}

function parsePayloadType(text: string, lineNumber: number, what: string): number {
  return parseNumber(text, 127, lineNumber, what);
}

function parseRtpmap(media: MediaBuilder, attribute: SdpAttribute): void {
  const lineNumber = attribute.line;
  const match = /^(\S+) +(.+)$/.exec(requireValue(attribute));
  if (!match) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=rtpmap must be "<pt> <name>/<clock>[/<channels>]", got ${quote(attribute.value ?? '')}`,
    );
  }
  const payloadType = parsePayloadType(match[1], lineNumber, 'a=rtpmap payload type');
  const encoding = match[2].split('/');
  if (encoding.length < 2 || encoding.length > 3 || !CODEC_NAME.test(encoding[0])) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=rtpmap encoding must be "<name>/<clock>[/<channels>]", got ${quote(match[2])}`,
    );
  }
  const clockRate = parseNumber(encoding[1], 0xffffffff, lineNumber, 'a=rtpmap clock rate', 1);
  const channels =
    encoding.length === 3
      ? parseNumber(encoding[2], 255, lineNumber, 'a=rtpmap channel count', 1)
      : undefined;
  if (media.rtpmaps.has(payloadType)) {
    throw new SdpError('malformed', `line ${lineNumber}: a second a=rtpmap for payload type ${payloadType}`);
  }
  media.rtpmaps.set(payloadType, { name: encoding[0], clockRate, channels, line: lineNumber });
}

function parseFmtp(media: MediaBuilder, attribute: SdpAttribute): void {
  const lineNumber = attribute.line;
  const match = /^(\S+)(?: +(.*))?$/.exec(requireValue(attribute));
  if (!match) throw new SdpError('malformed', `line ${lineNumber}: bad a=fmtp`);
  const payloadType = parsePayloadType(match[1], lineNumber, 'a=fmtp payload type');
  if (media.fmtps.has(payloadType)) {
    throw new SdpError('malformed', `line ${lineNumber}: a second a=fmtp for payload type ${payloadType}`);
  }
  const parameters = (match[2] ?? '').trim();
  if (parameters !== '') media.fmtps.set(payloadType, parameters);
}

function parseRtcpFeedback(media: MediaBuilder, attribute: SdpAttribute): void {
  const lineNumber = attribute.line;
  const parts = requireValue(attribute).split(/ +/);
  if (parts.length < 2) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=rtcp-fb must be "<pt|*> <type> [<subtype>]", got ${quote(attribute.value ?? '')}`,
    );
  }
  const key = parts[0] === '*' ? '*' : parsePayloadType(parts[0], lineNumber, 'a=rtcp-fb payload type');
  for (const token of parts.slice(1)) {
    if (!TOKEN.test(token)) {
      throw new SdpError('malformed', `line ${lineNumber}: bad a=rtcp-fb parameter ${quote(token)}`);
    }
  }
  const feedback = parts.slice(1).join(' ');
  const list = media.feedback.get(key) ?? [];
  if (!list.includes(feedback)) list.push(feedback);
  media.feedback.set(key, list);
}

function parseExtmap(attribute: SdpAttribute): Extmap {
  const lineNumber = attribute.line;
  const parts = requireValue(attribute).split(/ +/);
  const idMatch = /^(\d{1,3})(?:\/([a-z]+))?$/.exec(parts[0]);
  if (!idMatch || parts.length < 2) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=extmap must be "<id>[/<direction>] <uri>", got ${quote(attribute.value ?? '')}`,
    );
  }
  const id = parseNumber(idMatch[1], 255, lineNumber, 'a=extmap id', 1);
  const extmap: Extmap = { id, uri: parts[1] };
  if (idMatch[2] !== undefined) {
    if (!DIRECTIONS.has(idMatch[2])) {
      throw new SdpError('malformed', `line ${lineNumber}: bad a=extmap direction ${quote(idMatch[2])}`);
    }
    extmap.direction = idMatch[2] as Direction;
  }
  if (parts.length > 2) extmap.attributes = parts.slice(2).join(' ');
  return extmap;
}

function addExtmap(list: Extmap[], extmap: Extmap, lineNumber: number): void {
  if (list.some((existing) => existing.id === extmap.id)) {
    throw new SdpError('malformed', `line ${lineNumber}: a second a=extmap with id ${extmap.id}`);
  }
  list.push(extmap);
}

function parseSsrcNumber(text: string, lineNumber: number): number {
  return parseNumber(text, 0xffffffff, lineNumber, 'SSRC');
}

function parseSsrc(attribute: SdpAttribute): SsrcAttribute {
  const lineNumber = attribute.line;
  const match = /^(\S+) +([^:\s]+)(?::(.*))?$/.exec(requireValue(attribute));
  if (!match) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=ssrc must be "<ssrc> <attribute>[:<value>]", got ${quote(attribute.value ?? '')}`,
    );
  }
  const ssrc = parseSsrcNumber(match[1], lineNumber);
  return match[3] === undefined
    ? { ssrc, attribute: match[2] }
    : { ssrc, attribute: match[2], value: match[3] };
}

function parseSsrcGroup(attribute: SdpAttribute): SsrcGroup {
  const lineNumber = attribute.line;
  const parts = requireValue(attribute).split(/ +/);
  if (parts.length < 2 || !TOKEN.test(parts[0])) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=ssrc-group must be "<semantics> <ssrc>...", got ${quote(attribute.value ?? '')}`,
    );
  }
  return { semantics: parts[0], ssrcs: parts.slice(1).map((part) => parseSsrcNumber(part, lineNumber)) };
}

function parseGroup(attribute: SdpAttribute): Group {
  const lineNumber = attribute.line;
  const parts = requireValue(attribute).split(/ +/);
  for (const part of parts) {
    if (!TOKEN.test(part))
      throw new SdpError('malformed', `line ${lineNumber}: bad a=group token ${quote(part)}`);
  }
  return { semantics: parts[0], mids: parts.slice(1) };
}

function parseRid(attribute: SdpAttribute): Rid {
  const lineNumber = attribute.line;
  const match = /^(\S+) +(\S+)(?: +(.*))?$/.exec(requireValue(attribute));
  if (!match || !RID_ID.test(match[1]) || (match[2] !== 'send' && match[2] !== 'recv')) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=rid must be "<id> send|recv [<restrictions>]", got ${quote(attribute.value ?? '')}`,
    );
  }
  const rid: Rid = { id: match[1], direction: match[2] };
  if (match[3] !== undefined && match[3].trim() !== '') rid.restrictions = match[3].trim();
  return rid;
}

function addRid(list: Rid[], rid: Rid, lineNumber: number): void {
  if (list.some((existing) => existing.id === rid.id)) {
    throw new SdpError('malformed', `line ${lineNumber}: a second a=rid:${rid.id}`);
  }
  list.push(rid);
}

function parseSimulcast(attribute: SdpAttribute): Simulcast {
  const lineNumber = attribute.line;
  const parts = requireValue(attribute).split(/ +/);
  const simulcast: Simulcast = {};
  if (parts.length !== 2 && parts.length !== 4) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=simulcast must be "send|recv <streams> [send|recv <streams>]", got ${quote(attribute.value ?? '')}`,
    );
  }
  for (let i = 0; i < parts.length; i += 2) {
    const direction = parts[i];
    if ((direction !== 'send' && direction !== 'recv') || simulcast[direction] !== undefined) {
      throw new SdpError('malformed', `line ${lineNumber}: bad a=simulcast direction ${quote(direction)}`);
    }
    // Old Firefox wrote "send rid=a;b"; the prefix carries no meaning today.
    const list = parts[i + 1].startsWith('rid=') ? parts[i + 1].slice(4) : parts[i + 1];
    simulcast[direction] = list.split(';').map((stream) =>
      stream.split(',').map((alternative): SimulcastLayer => {
        const paused = alternative.startsWith('~');
        const rid = paused ? alternative.slice(1) : alternative;
        if (!RID_ID.test(rid)) {
          throw new SdpError('malformed', `line ${lineNumber}: bad rid ${quote(alternative)} in a=simulcast`);
        }
        return { rid, paused };
      }),
    );
  }
  return simulcast;
}

function parseMsid(value: string, lineNumber: number): Msid {
  const parts = value.split(/ +/);
  if (parts.length > 2 || !MSID_ID.test(parts[0]) || (parts.length === 2 && !MSID_ID.test(parts[1]))) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: msid must be "<stream-id> [<track-id>]", got ${quote(value)}`,
    );
  }
  return parts.length === 2 ? { streamId: parts[0], trackId: parts[1] } : { streamId: parts[0] };
}

function parseCandidate(attribute: SdpAttribute): Candidate {
  const lineNumber = attribute.line;
  const parts = requireValue(attribute).split(/ +/);
  if (parts.length < 8 || parts[6] !== 'typ' || (parts.length - 8) % 2 !== 0) {
    throw new SdpError(
      'malformed',
      `line ${lineNumber}: a=candidate must be "<foundation> <component> <transport> <priority> <address> <port> typ <type> [<name> <value>]...", got ${quote(attribute.value ?? '')}`,
    );
  }
  for (const part of [parts[0], parts[2], parts[4], parts[7]]) {
    if (!/^[A-Za-z0-9+/.:_-]+$/.test(part)) {
      throw new SdpError('malformed', `line ${lineNumber}: bad a=candidate field ${quote(part)}`);
    }
  }
  const candidate: Candidate = {
    foundation: parts[0],
    component: parseNumber(parts[1], 256, lineNumber, 'candidate component', 1),
    transport: parts[2].toLowerCase(),
    priority: parseNumber(parts[3], 0xffffffff, lineNumber, 'candidate priority'),
    address: parts[4],
    port: parseNumber(parts[5], 65535, lineNumber, 'candidate port'),
    type: parts[7],
    extensions: [],
  };
  for (let i = 8; i < parts.length; i += 2) {
    const name = parts[i];
    const value = parts[i + 1];
    if (name === 'raddr') candidate.relatedAddress = value;
    else if (name === 'rport')
      candidate.relatedPort = parseNumber(value, 65535, lineNumber, 'candidate rport');
    else candidate.extensions.push({ name, value });
  }
  return candidate;
}

function finishMedia(builder: SessionBuilder, media: MediaBuilder): MediaSection {
  const section = media.section;
  section.direction = media.direction ?? builder.direction ?? 'sendrecv';
  if (builder.endOfCandidates) section.endOfCandidates = true;
  for (const extmap of builder.session.extmaps) {
    if (!section.extmaps.some((existing) => existing.id === extmap.id)) section.extmaps.push({ ...extmap });
  }
  if (!media.isRtp) return section;
  const wildcard = media.feedback.get('*') ?? [];
  for (const format of section.formats) {
    const payloadType = Number(format);
    const mapped = media.rtpmaps.get(payloadType) ?? STATIC_PAYLOAD_TYPES.get(payloadType);
    if (mapped === undefined) continue;
    const codec: CodecParameters = {
      payloadType,
      name: mapped.name,
      clockRate: mapped.clockRate,
      rtcpFeedback: [...(media.feedback.get(payloadType) ?? [])],
    };
    for (const feedback of wildcard)
      if (!codec.rtcpFeedback.includes(feedback)) codec.rtcpFeedback.push(feedback);
    if (mapped.channels !== undefined) codec.channels = mapped.channels;
    const fmtp = media.fmtps.get(payloadType);
    if (fmtp !== undefined) codec.fmtp = fmtp;
    section.codecs.push(codec);
  }
  return section;
}

// Tab is tolerated inside values; every other control character means binary junk or an injection attempt.
function hasControlCharacter(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/** Quotes untrusted text for an error message: short, escaped, never multi-line. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}

/** The RTCP toolkit in one import: packet types, the compound parser and the builders. */
export { type Bye, buildBye, parseBye } from './bye.ts';
export { parseRtcpCompound, type RtcpPacket, type UnknownRtcp } from './compound.ts';
export { buildFir, type FullIntraRequest, parseFir } from './fir.ts';
export {
  KeyframeRequestAggregator,
  type KeyframeRequestAggregatorOptions,
  type KeyframeRequestKind,
} from './KeyframeRequestAggregator.ts';
export { buildNack, type GenericNack, nackToSequenceNumbers, parseNack } from './nack.ts';
export { buildPli, type PictureLossIndication, parsePli } from './pli.ts';
export { RoundTripEstimator } from './RoundTripEstimator.ts';
export {
  buildReceiverReport,
  MAX_REPORT_BLOCKS,
  parseReceiverReport,
  type ReceiverReport,
} from './receiverReport.ts';
export { buildRemb, parseRemb, type Remb } from './remb.ts';
export type { ReportBlock } from './reportBlock.ts';
export * from './rtcpHeader.ts';
export {
  buildSdes,
  buildSdesCname,
  parseSdes,
  SDES_CNAME,
  type Sdes,
  type SdesChunk,
  type SdesItem,
} from './sdes.ts';
export {
  buildSenderReport,
  ntpFromUnixMs,
  ntpMiddle32,
  parseSenderReport,
  type SenderReport,
  type SenderReportInit,
} from './senderReport.ts';
export { TwccRecorder, type TwccRecorderOptions } from './TwccRecorder.ts';
export {
  buildTransportWideCcFeedback,
  parseTransportWideCc,
  type TransportWideCcFeedback,
  type TransportWideCcFeedbackInit,
  TWCC_DELTA_TICK_US,
  TWCC_LARGE_DELTA,
  TWCC_NOT_RECEIVED,
  TWCC_REFERENCE_TICK_US,
  TWCC_SMALL_DELTA,
} from './transportWideCc.ts';

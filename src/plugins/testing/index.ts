/**
 * The channel plugin conformance kit (`parley/plugins/testing`): the contract suite every channel
 * plugin runs, and the fake host connection it runs against. See README "Write a channel plugin".
 */
export { channelPluginConformance, conformanceInbound, conformanceOutbound } from './conformance';
export type { ChannelPluginConformanceOptions, ChannelPluginScenario, ConformanceInbound } from './conformance';
export { FakeHostConnection, FAKE_AGENT, inboundProblems } from './fake-host-connection';
export type { FakeHostOptions, FakeRequestOptions, FakeRoute, StoredMessage } from './fake-host-connection';

/**
 * The channel plugin conformance kit (`parley/plugin/testing`): the contract suite every channel
 * plugin runs, and the fake host connection it runs against. See docs/plugins.md.
 */
export { channelPluginConformance, conformanceInbound, conformanceOutbound, replyWindowProblems, templateProblems } from './conformance';
export type { ChannelPluginConformanceOptions, ChannelPluginScenario, ConformanceInbound } from './conformance';
export { FakeHostConnection, FAKE_AGENT, inboundExtrasProblems, inboundProblems } from './fake-host-connection';
export type { FakeConnectionInput, FakeHostOptions, FakeReply, FakeRequestOptions, FakeRoute, StoredMessage } from './fake-host-connection';
export { MemoryPluginStorage } from './memory-plugin-storage';
